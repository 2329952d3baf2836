{#- Per loyalty tier at the snapshot churn_outcome_days (90) before the as-of date (the churn backtest's
    test snapshot): the tier's customers and the share of them who placed a counted order in the next
    churn_outcome_days, a window that ends on the as-of date, so it is fully observed. -#}
{%- set outcome_days = var('churn_outcome_days') | int -%}
with

tiers as (
    select * from {{ ref('int_customer_loyalty_tiers_assigned') }}
    where snapshot_purpose = 'test'
),

signals as (
    select * from {{ ref('int_customer_churn_signals_computed') }}
    where snapshot_purpose = 'test'
),

outcomes as (
    select
        tiers.loyalty_tier,
        tiers.tier_rank,
        tiers.tier_min_net_revenue_usd,
        tiers.snapshot_date,
        tiers.customer_id,
        tiers.trailing_365d_net_revenue_usd,
        not signals.churned_in_outcome_window as is_retained
    from tiers
    inner join signals
        on tiers.customer_id = signals.customer_id
    where tiers.loyalty_tier is not null
),

per_tier as (
    select
        loyalty_tier,
        tier_rank,
        tier_min_net_revenue_usd,
        snapshot_date,
        count(*) as customers,
        sum(case when is_retained then 1 else 0 end) as retained_customers,
        avg(trailing_365d_net_revenue_usd) as average_trailing_365d_net_revenue_usd
    from outcomes
    group by loyalty_tier, tier_rank, tier_min_net_revenue_usd, snapshot_date
),

final as (
    select
        cast(loyalty_tier as {{ dbt.type_string() }}) as loyalty_tier,
        cast(tier_rank as integer) as tier_rank,
        cast(tier_min_net_revenue_usd as decimal(18, 2)) as min_trailing_365d_net_revenue_usd,
        cast(snapshot_date as date) as snapshot_date,
        cast({{ dbt.dateadd('day', outcome_days, 'snapshot_date') }} as date) as outcome_end_date,
        cast(customers as integer) as customers,
        cast(retained_customers as integer) as retained_customers,
        {{ safe_ratio('retained_customers', 'customers') }} as retention_rate,
        cast(round(average_trailing_365d_net_revenue_usd, 2) as decimal(18, 2))
            as average_trailing_365d_net_revenue_usd
    from per_tier
)

select * from final
