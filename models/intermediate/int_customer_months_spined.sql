{#-
    One row per customer per calendar month, from the customer's cohort month to the last
    complete month, months without orders included. Every retention mart reads this model,
    so "active", "is a customer", "new", "reactivated" and "churned" exist once.
-#}
with

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

month_numbers as (
    {{ dbt.generate_series(1200) }}
),

counted_orders as (
    select
        orders.customer_id,
        orders.order_month,
        orders.order_date,
        orders.net_revenue_usd
    from orders
    cross join reporting_dates
    where
        orders.counts_as_order
        and orders.order_month <= reporting_dates.last_complete_month
),

customer_months_with_orders as (
    select
        customer_id,
        order_month,
        count(*) as counted_orders,
        sum(net_revenue_usd) as net_revenue_usd,
        max(order_date) as last_order_date_in_month
    from counted_orders
    group by customer_id, order_month
),

cohorts as (
    select
        customer_id,
        min(order_month) as cohort_month
    from customer_months_with_orders
    group by customer_id
),

month_offsets as (
    select generated_number - 1 as month_index
    from month_numbers
),

calendar_months as (
    select
        {{ dbt.dateadd('month', 'month_offsets.month_index', 'reporting_dates.first_order_month') }}
            as month_start
    from month_offsets
    cross join reporting_dates
),

reporting_months as (
    select cast(calendar_months.month_start as date) as month_start
    from calendar_months
    cross join reporting_dates
    where calendar_months.month_start <= reporting_dates.last_complete_month
),

spine as (
    select
        cohorts.customer_id,
        cohorts.cohort_month,
        reporting_months.month_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'reporting_months.month_start')) }} as date)
            as month_end,
        {{ dbt.datediff('cohorts.cohort_month', 'reporting_months.month_start', 'month') }}
            as months_since_first_order,
        coalesce(customer_months_with_orders.counted_orders, 0) as counted_orders,
        cast(coalesce(customer_months_with_orders.net_revenue_usd, 0) as decimal(18, 2)) as net_revenue_usd,
        customer_months_with_orders.last_order_date_in_month
    from cohorts
    inner join reporting_months
        on cohorts.cohort_month <= reporting_months.month_start
    left join customer_months_with_orders
        on
            cohorts.customer_id = customer_months_with_orders.customer_id
            and reporting_months.month_start = customer_months_with_orders.order_month
),

with_last_order as (
    select
        customer_id,
        cohort_month,
        month_start,
        month_end,
        months_since_first_order,
        counted_orders,
        net_revenue_usd,
        max(last_order_date_in_month) over (
            partition by customer_id order by month_start rows between unbounded preceding and current row
        ) as last_order_date_to_month_end
    from spine
),

with_status as (
    select
        customer_id,
        cohort_month,
        month_start,
        month_end,
        months_since_first_order,
        counted_orders,
        net_revenue_usd,
        last_order_date_to_month_end,
        counted_orders > 0 as is_active,
        {{ is_customer_at('last_order_date_to_month_end', 'month_end') }} as is_customer_at_month_end
    from with_last_order
),

with_start as (
    select
        customer_id,
        cohort_month,
        month_start,
        month_end,
        months_since_first_order,
        counted_orders,
        net_revenue_usd,
        last_order_date_to_month_end,
        is_active,
        is_customer_at_month_end,
        coalesce(
            lag(is_customer_at_month_end) over (partition by customer_id order by month_start), false
        ) as is_customer_at_month_start,
        month_start = cohort_month as is_new
    from with_status
),

final as (
    select
        customer_id,
        cohort_month,
        month_start,
        month_end,
        months_since_first_order,
        counted_orders,
        net_revenue_usd,
        last_order_date_to_month_end,
        is_active,
        is_customer_at_month_start,
        is_customer_at_month_end,
        is_new,
        not is_new and not is_customer_at_month_start and is_customer_at_month_end as is_reactivated,
        is_customer_at_month_start and not is_customer_at_month_end as is_churned
    from with_start
)

select * from final
