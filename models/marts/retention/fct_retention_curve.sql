{#-
    The pooled cohort retention curve: one row per month since first order, pooling every cohort
    observed that many months by summing numerators and denominators before dividing (the rates'
    macros are the ones fct_cohort_retention applies per cohort). The revenue rates pool only the
    revenue cohorts, those with net revenue in month 0. See the docs block `pooled_retention_curve`.
-#}
with

cohort_months as (
    select * from {{ ref('int_cohort_months_aggregated') }}
),

flagged as (
    select
        months_since_first_order,
        cohort_customers,
        active_customers,
        net_revenue_usd,
        retained_revenue_capped_usd,
        first_month_net_revenue_usd,
        first_month_net_revenue_usd > 0 as is_revenue_cohort
    from cohort_months
),

pooled as (
    select
        months_since_first_order,
        count(*) as cohorts_observed,
        sum(cohort_customers) as cohort_customers,
        sum(active_customers) as active_customers,
        sum(case when is_revenue_cohort then 1 else 0 end) as revenue_cohorts_observed,
        coalesce(sum(case when is_revenue_cohort then first_month_net_revenue_usd end), 0)
            as first_month_net_revenue_usd,
        coalesce(sum(case when is_revenue_cohort then net_revenue_usd end), 0) as net_revenue_usd,
        coalesce(sum(case when is_revenue_cohort then retained_revenue_capped_usd end), 0)
            as retained_revenue_capped_usd
    from flagged
    group by months_since_first_order
),

final as (
    select
        cast(months_since_first_order as integer) as months_since_first_order,
        cast(cohorts_observed as integer) as cohorts_observed,
        cast(cohort_customers as integer) as cohort_customers,
        cast(active_customers as integer) as active_customers,
        {{ retention_rate('active_customers', 'cohort_customers') }} as retention_rate,
        cast(revenue_cohorts_observed as integer) as revenue_cohorts_observed,
        cast(first_month_net_revenue_usd as decimal(18, 2)) as first_month_net_revenue_usd,
        cast(net_revenue_usd as decimal(18, 2)) as net_revenue_usd,
        cast(retained_revenue_capped_usd as decimal(18, 2)) as retained_revenue_capped_usd,
        {{ net_revenue_retention_rate('net_revenue_usd', 'first_month_net_revenue_usd') }}
            as net_revenue_retention_rate,
        {{ gross_revenue_retention_rate('retained_revenue_capped_usd', 'first_month_net_revenue_usd') }}
            as gross_revenue_retention_rate
    from pooled
)

select * from final
