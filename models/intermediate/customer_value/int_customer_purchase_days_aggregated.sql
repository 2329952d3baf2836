{#- One row per customer and day with at least one counted order: the purchases of the CLV models,
    which count a day's orders as one purchase (as Fader, Hardie & Lee count CDNOW purchases). -#}
{#- A table, not a view: several models and tests read it, and at scale a view is recomputed for each. -#}
{{ config(materialized='table') }}

with

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

final as (
    select
        customer_id,
        order_date as purchase_date,
        count(*) as counted_orders,
        sum(net_revenue_usd) as net_revenue_usd
    from orders
    where counts_as_order
    group by customer_id, order_date
)

select * from final
