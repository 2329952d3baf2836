{#- Loyalty tier per customer at the churn model's test (as-of date - churn_outcome_days) and current
    (the as-of date) snapshot dates of int_customer_churn_signals_computed: the highest tier of seed
    loyalty_tiers whose lower bound the customer's net revenue of counted orders in the 365 days up to
    the date (days 0-364 before it) reaches. Customers without a counted order in those days have no row. -#}
{#- A table, not a view: several models and tests read it, and at scale a view is recomputed for each. -#}
{{ config(materialized='table') }}

with

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

loyalty_tiers as (
    select * from {{ ref('loyalty_tiers') }}
),

signals as (
    select * from {{ ref('int_customer_churn_signals_computed') }}
),

snapshots as (
    select distinct
        snapshot_purpose,
        snapshot_date
    from signals
    where snapshot_purpose in ('test', 'current')
),

trailing_revenue as (
    select
        snapshots.snapshot_purpose,
        snapshots.snapshot_date,
        orders.customer_id,
        -- a decimal(18, 2) on every engine (PostgreSQL's sum of numerics has no scale of its own)
        cast(sum(orders.net_revenue_usd) as decimal(18, 2)) as trailing_365d_net_revenue_usd,
        count(*) as trailing_365d_orders
    from orders
    cross join snapshots
    where
        orders.counts_as_order
        and {{ is_within_days_before('orders.order_date', 'snapshots.snapshot_date', 365) }}
    group by snapshots.snapshot_purpose, snapshots.snapshot_date, orders.customer_id
),

tier_bounds as (
    select
        loyalty_tier,
        tier_rank,
        min_trailing_365d_net_revenue_usd,
        lead(min_trailing_365d_net_revenue_usd) over (
            order by min_trailing_365d_net_revenue_usd
        ) as next_tier_min_net_revenue_usd
    from loyalty_tiers
),

final as (
    select
        trailing_revenue.snapshot_purpose,
        trailing_revenue.snapshot_date,
        trailing_revenue.customer_id,
        trailing_revenue.trailing_365d_orders,
        trailing_revenue.trailing_365d_net_revenue_usd,
        tier_bounds.loyalty_tier,
        tier_bounds.tier_rank,
        tier_bounds.min_trailing_365d_net_revenue_usd as tier_min_net_revenue_usd
    from trailing_revenue
    left join tier_bounds
        on
            trailing_revenue.trailing_365d_net_revenue_usd >= tier_bounds.min_trailing_365d_net_revenue_usd
            and (
                tier_bounds.next_tier_min_net_revenue_usd is null
                or trailing_revenue.trailing_365d_net_revenue_usd < tier_bounds.next_tier_min_net_revenue_usd
            )
)

select * from final
