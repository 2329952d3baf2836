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
        {{ dbt.datediff('customer_orders.first_order_date', 'reporting_dates.as_of_date', 'day') }}
            as days_since_first_order,
        {{ dbt.datediff('customer_orders.last_order_date', 'reporting_dates.as_of_date', 'day') }}
            as days_since_last_order,
        {{ dbt.datediff('customer_orders.last_reactivation_date', 'reporting_dates.as_of_date', 'day') }}
            as days_since_reactivation,
        {{ is_customer_at('customer_orders.last_order_date', 'reporting_dates.as_of_date') }}
            as is_customer_at_as_of_date,
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
        predicted_clv.predicted_clv_usd
    from customers
    left join customer_orders
        on customers.customer_id = customer_orders.customer_id
    left join rfm
        on customers.customer_id = rfm.customer_id
    left join historic_clv
        on customers.customer_id = historic_clv.customer_id
    left join predicted_clv
        on customers.customer_id = predicted_clv.customer_id
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
        case
            when first_order_date is null then 'never_purchased'
            when not is_customer_at_as_of_date then 'churned'
            when days_since_first_order < {{ var('new_customer_days') }} then 'new'
            when days_since_reactivation < {{ var('new_customer_days') }} then 'reactivated'
            when days_since_last_order < {{ var('at_risk_after_days') }} then 'active'
            else 'at_risk'
        end as lifecycle_status,
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
        as_of_date
    from joined
)

select * from final
