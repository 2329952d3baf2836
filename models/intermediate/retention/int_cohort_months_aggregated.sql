{#-
    One row per cohort month and month since first order: the cohort's customers, active customers and
    revenue in that month, summed exactly (integers and decimals), with each customer's revenue capped
    at their own first-month revenue for gross revenue retention. fct_cohort_retention turns a row into
    the cohort's rates; fct_retention_curve pools the rows of one month since first order over cohorts.
-#}
{#- A table, not a view: several models and tests read it, and at scale a view is recomputed for each. -#}
{{ config(materialized='table') }}

with

customer_months as (
    select * from {{ ref('int_customer_months_spined') }}
),

with_first_month_revenue as (
    select
        cohort_month,
        months_since_first_order,
        is_active,
        net_revenue_usd,
        first_value(net_revenue_usd) over (
            partition by customer_id order by month_start rows between unbounded preceding and current row
        ) as first_month_net_revenue_usd
    from customer_months
),

aggregated as (
    select
        cohort_month,
        months_since_first_order,
        count(*) as cohort_customers,
        sum(case when is_active then 1 else 0 end) as active_customers,
        sum(net_revenue_usd) as net_revenue_usd,
        sum(
            case
                when net_revenue_usd < first_month_net_revenue_usd then net_revenue_usd
                else first_month_net_revenue_usd
            end
        ) as retained_revenue_capped_usd,
        sum(first_month_net_revenue_usd) as first_month_net_revenue_usd
    from with_first_month_revenue
    group by cohort_month, months_since_first_order
),

final as (
    select
        cohort_month,
        months_since_first_order,
        cohort_customers,
        active_customers,
        -- decimal(18, 2) on every engine (PostgreSQL's sum of numerics has no scale of its own)
        cast(net_revenue_usd as decimal(18, 2)) as net_revenue_usd,
        cast(retained_revenue_capped_usd as decimal(18, 2)) as retained_revenue_capped_usd,
        cast(first_month_net_revenue_usd as decimal(18, 2)) as first_month_net_revenue_usd
    from aggregated
)

select * from final
