{#-
    Historic and predicted CLV per segment. The historic CLV of a segment is the classic formula on
    the segment's pooled factors: average purchase value (net revenue / counted orders) × purchase
    frequency (counted orders / observed customer-years) × customer lifespan (1 / the segment's
    monthly churn rate over the last lifespan_lookback_months complete months, in years).
-#}
with

customer_values as (
    select * from {{ ref('int_customer_value_joined') }}
),

customer_segments as (
    select * from {{ ref('int_customer_segments_joined') }}
),

churn_exposure as (
    select * from {{ ref('int_customer_churn_exposure_aggregated') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

purchasers as (
    select
        customer_values.customer_id,
        customer_segments.country_code,
        customer_segments.acquisition_channel,
        customer_segments.cohort_month,
        customer_segments.rfm_segment,
        customer_values.order_count,
        customer_values.net_revenue_usd,
        -- decimals, so the segment sums below are exact and the same in every build (float sums
        -- depend on the order a parallel aggregate meets the rows in)
        cast(
            {{ observed_customer_years('customer_values.first_order_date', 'reporting_dates.as_of_date') }}
            as decimal(18, 9)
        ) as observed_years,
        coalesce(churn_exposure.months_exposed, 0) as months_exposed,
        coalesce(churn_exposure.churn_events, 0) as churn_events,
        cast(customer_values.predicted_clv_usd as decimal(18, 9)) as predicted_clv_usd
    from customer_values
    inner join customer_segments
        on customer_values.customer_id = customer_segments.customer_id
    left join churn_exposure
        on customer_values.customer_id = churn_exposure.customer_id
    cross join reporting_dates
),

segment_types as (
    select 'all' as segment_type
    union all
    select 'cohort' as segment_type
    union all
    select 'acquisition_channel' as segment_type
    union all
    select 'country' as segment_type
    union all
    select 'rfm_segment' as segment_type
),

segmented as (
    select
        segment_types.segment_type,
        case segment_types.segment_type
            when 'all' then 'all'
            when 'cohort' then cast(purchasers.cohort_month as {{ dbt.type_string() }})
            when 'acquisition_channel' then coalesce(purchasers.acquisition_channel, 'not_set')
            when 'country' then coalesce(purchasers.country_code, 'not_set')
            when 'rfm_segment' then purchasers.rfm_segment
        end as segment_value,
        purchasers.order_count,
        purchasers.net_revenue_usd,
        purchasers.observed_years,
        purchasers.months_exposed,
        purchasers.churn_events,
        purchasers.predicted_clv_usd
    from purchasers
    cross join segment_types
),

factors as (
    select
        segment_type,
        segment_value,
        count(*) as customers,
        sum(order_count) as counted_orders,
        sum(net_revenue_usd) as net_revenue_usd,
        {{ safe_ratio('sum(net_revenue_usd)', 'sum(order_count)') }} as average_purchase_value_usd,
        {{ safe_ratio('sum(order_count)', 'sum(observed_years)') }} as purchase_frequency_per_year,
        {{ lifespan_years('sum(churn_events)', 'sum(months_exposed)') }} as customer_lifespan_years,
        avg(predicted_clv_usd) as average_predicted_clv_usd,
        sum(predicted_clv_usd) as total_predicted_clv_usd
    from segmented
    group by segment_type, segment_value
),

final as (
    select
        cast(segment_type as {{ dbt.type_string() }}) as segment_type,
        cast(segment_value as {{ dbt.type_string() }}) as segment_value,
        cast(customers as integer) as customers,
        cast(counted_orders as integer) as counted_orders,
        cast(net_revenue_usd as decimal(18, 2)) as net_revenue_usd,
        cast(average_purchase_value_usd as {{ type_double() }}) as average_purchase_value_usd,
        cast(purchase_frequency_per_year as {{ type_double() }}) as purchase_frequency_per_year,
        cast(customer_lifespan_years as {{ type_double() }}) as customer_lifespan_years,
        {{ round_to_cents(historic_clv(
            'average_purchase_value_usd', 'purchase_frequency_per_year', 'customer_lifespan_years'
        )) }} as historic_clv_usd,
        {{ round_to_cents('average_predicted_clv_usd') }} as average_predicted_clv_usd,
        {{ round_to_cents('total_predicted_clv_usd') }} as total_predicted_clv_usd
    from factors
)

select * from final
