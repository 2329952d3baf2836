{#- A table, not a view: several models and tests read it, and at scale a view is recomputed for each. -#}
{{ config(materialized='table') }}

with

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

counted_orders as (
    select
        orders.customer_id,
        orders.order_id,
        orders.order_date,
        orders.net_revenue_usd,
        lag(orders.order_date) over (
            partition by orders.customer_id order by orders.order_date, orders.order_id
        ) as previous_order_date
    from orders
    cross join reporting_dates
    where
        orders.counts_as_order
        and orders.order_date <= reporting_dates.as_of_date
),

final as (
    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        min(case when previous_order_date is not null then order_date end) as second_order_date,
        count(*) as order_count,
        sum(net_revenue_usd) as net_revenue_usd,
        max(
            case when {{ is_reactivation_order('previous_order_date', 'order_date') }} then order_date end
        ) as last_reactivation_date
    from counted_orders
    group by customer_id
)

select * from final
