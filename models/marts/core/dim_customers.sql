with

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

customer_orders as (
    select * from {{ ref('int_customer_orders_aggregated') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

rfm as (
    select * from {{ ref('int_customer_rfm_scored') }}
),

historic_clv as (
    select * from {{ ref('int_customer_historic_clv_calculated') }}
),

predicted_clv as (
    select * from {{ ref('int_customer_clv_predicted') }}
),

churn_risk as (
    select * from {{ ref('int_customer_churn_scored') }}
    where snapshot_purpose = 'current'
),

survey_responses as (
    select * from {{ ref('int_survey_responses_enriched') }}
),

loyalty_tiers as (
    select * from {{ ref('int_customer_loyalty_tiers_assigned') }}
    where snapshot_purpose = 'current'
),

ranked_survey_responses as (
    select
        customer_id,
        score,
        nps_category,
        responded_at,
        row_number() over (
            partition by customer_id order by responded_at desc, response_id desc
        ) as response_rank
    from survey_responses
    where is_matched
),

latest_survey_responses as (
    select
        customer_id,
        score as latest_nps_score,
        nps_category as latest_nps_category,
        responded_at as latest_responded_at
    from ranked_survey_responses
    where response_rank = 1
),

joined as (
    select
        customers.customer_id,
        {{ hash_pii('customers.email') }} as email_hash,
        customers.country_code,
        customers.acquisition_channel,
        customers.signed_up_at,
        customer_orders.first_order_date,
        customer_orders.last_order_date,
        customer_orders.last_reactivation_date,
        coalesce(customer_orders.order_count, 0) as order_count,
        coalesce(customer_orders.net_revenue_usd, 0) as net_revenue_usd,
        reporting_dates.as_of_date,
        rfm.recency_score,
        rfm.frequency_score,
        rfm.monetary_score,
        rfm.rfm_segment,
        historic_clv.average_purchase_value_usd,
        historic_clv.purchase_frequency_per_year,
        historic_clv.customer_lifespan_years,
        historic_clv.historic_clv_usd,
        predicted_clv.predicted_purchases_12m,
        predicted_clv.probability_alive,
        predicted_clv.predicted_clv_usd,
        churn_risk.churn_risk_score,
        loyalty_tiers.loyalty_tier,
        loyalty_tiers.trailing_365d_net_revenue_usd,
        latest_survey_responses.latest_nps_score,
        latest_survey_responses.latest_nps_category,
        latest_survey_responses.latest_responded_at
    from customers
    left join customer_orders
        on customers.customer_id = customer_orders.customer_id
    left join rfm
        on customers.customer_id = rfm.customer_id
    left join historic_clv
        on customers.customer_id = historic_clv.customer_id
    left join predicted_clv
        on customers.customer_id = predicted_clv.customer_id
    left join churn_risk
        on customers.customer_id = churn_risk.customer_id
    left join latest_survey_responses
        on customers.customer_id = latest_survey_responses.customer_id
    left join loyalty_tiers
        on customers.customer_id = loyalty_tiers.customer_id
    cross join reporting_dates
),

final as (
    select
        customer_id,
        email_hash,
        country_code,
        acquisition_channel,
        signed_up_at as signup_at,
        first_order_date,
        last_order_date,
        cast(order_count as integer) as order_count,
        cast(net_revenue_usd as decimal(18, 2)) as net_revenue_usd,
        cast({{ dbt.date_trunc('month', 'first_order_date') }} as date) as cohort_month,
        {{ lifecycle_status('first_order_date', 'last_order_date', 'last_reactivation_date', 'as_of_date') }}
            as lifecycle_status,
        order_count > 1 as is_repeat_customer,
        cast(recency_score as integer) as recency_score,
        cast(frequency_score as integer) as frequency_score,
        cast(monetary_score as integer) as monetary_score,
        cast(rfm_segment as {{ dbt.type_string() }}) as rfm_segment,
        cast(average_purchase_value_usd as {{ type_double() }}) as average_purchase_value_usd,
        cast(purchase_frequency_per_year as {{ type_double() }}) as purchase_frequency_per_year,
        cast(customer_lifespan_years as {{ type_double() }}) as customer_lifespan_years,
        cast(historic_clv_usd as decimal(18, 2)) as historic_clv_usd,
        cast(predicted_purchases_12m as {{ type_double() }}) as predicted_purchases_12m,
        cast(probability_alive as {{ type_double() }}) as probability_alive,
        {{ round_to_cents('predicted_clv_usd') }} as predicted_clv_usd,
        cast(churn_risk_score as {{ type_double() }}) as churn_risk_score,
        cast(
            case when churn_risk_score is not null then {{ risk_band('churn_risk_score') }} end
            as {{ dbt.type_string() }}
        ) as churn_risk_band,
        cast(loyalty_tier as {{ dbt.type_string() }}) as loyalty_tier,
        cast(coalesce(trailing_365d_net_revenue_usd, 0) as decimal(18, 2)) as trailing_365d_net_revenue_usd,
        cast(latest_nps_score as integer) as latest_nps_score,
        cast(latest_nps_category as {{ dbt.type_string() }}) as latest_nps_category,
        latest_responded_at,
        as_of_date
    from joined
)

select * from final
