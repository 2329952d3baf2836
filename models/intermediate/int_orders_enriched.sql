with

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

order_statuses as (
    select * from {{ ref('order_statuses') }}
),

currency_rates as (
    select * from {{ ref('currency_rates') }}
),

final as (
    select
        orders.order_id,
        orders.customer_id,
        orders.order_status,
        order_statuses.counts_as_order,
        orders.currency_code,
        orders.ordered_at,
        cast(orders.ordered_at as date) as order_date,
        cast({{ dbt.date_trunc('month', 'orders.ordered_at') }} as date) as order_month,
        orders.promised_delivery_date,
        orders.actual_delivery_date,
        {{ to_usd('orders.gross_amount', 'currency_rates.usd_per_unit') }} as gross_amount_usd,
        {{ to_usd('orders.discount_amount', 'currency_rates.usd_per_unit') }} as discount_amount_usd,
        {{ to_usd('orders.refunded_amount', 'currency_rates.usd_per_unit') }} as refunded_amount_usd,
        {{ to_usd(
            net_revenue('orders.gross_amount', 'orders.discount_amount', 'orders.refunded_amount'),
            'currency_rates.usd_per_unit'
        ) }} as net_revenue_usd
    from orders
    left join order_statuses
        on orders.order_status = order_statuses.order_status
    left join currency_rates
        on orders.currency_code = currency_rates.currency_code
)

select * from final
