with

customer_orders as (
    select * from {{ ref('int_customer_orders_aggregated') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

customers as (
    select
        customer_orders.customer_id,
        cast({{ dbt.date_trunc('month', 'customer_orders.first_order_date') }} as date) as cohort_month,
        customer_orders.order_count > 1 as is_repeat_customer,
        {{ dbt.datediff('customer_orders.first_order_date', 'customer_orders.second_order_date', 'day') }}
            as days_to_second_order,
        {{ dbt.datediff('customer_orders.first_order_date', 'reporting_dates.as_of_date', 'day') }}
            as days_observed
    from customer_orders
    cross join reporting_dates
),

by_cohort as (
    select
        cohort_month,
        count(*) as cohort_customers,
        sum(case when is_repeat_customer then 1 else 0 end) as repeat_customers,
        {{ median('days_to_second_order') }} as median_days_to_second_order,
        sum(case when days_observed >= 30 then 1 else 0 end) as customers_observed_30d,
        sum(case when days_observed >= 30 and days_to_second_order <= 30 then 1 else 0 end) as repeated_within_30d,
        sum(case when days_observed >= 90 then 1 else 0 end) as customers_observed_90d,
        sum(case when days_observed >= 90 and days_to_second_order <= 90 then 1 else 0 end) as repeated_within_90d,
        sum(case when days_observed >= 365 then 1 else 0 end) as customers_observed_365d,
        sum(case when days_observed >= 365 and days_to_second_order <= 365 then 1 else 0 end)
            as repeated_within_365d
    from customers
    group by cohort_month
),

final as (
    select
        cohort_month,
        cast(cohort_customers as integer) as cohort_customers,
        cast(repeat_customers as integer) as repeat_customers,
        {{ safe_ratio('repeat_customers', 'cohort_customers') }} as repeat_purchase_rate,
        cast(median_days_to_second_order as {{ type_double() }}) as median_days_to_second_order,
        cast(customers_observed_30d as integer) as customers_observed_30d,
        {{ safe_ratio('repeated_within_30d', 'customers_observed_30d') }} as repeat_within_30d_rate,
        cast(customers_observed_90d as integer) as customers_observed_90d,
        {{ safe_ratio('repeated_within_90d', 'customers_observed_90d') }} as repeat_within_90d_rate,
        cast(customers_observed_365d as integer) as customers_observed_365d,
        {{ safe_ratio('repeated_within_365d', 'customers_observed_365d') }} as repeat_within_365d_rate
    from by_cohort
)

select * from final
