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
            as is_customer_at_as_of_date
    from customers
    left join customer_orders
        on customers.customer_id = customer_orders.customer_id
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
        as_of_date
    from joined
)

select * from final
