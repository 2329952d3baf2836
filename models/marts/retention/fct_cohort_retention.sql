with

cohort_months as (
    select * from {{ ref('int_cohort_months_aggregated') }}
),

final as (
    select
        cast(cohort_month as date) as cohort_month,
        cast(months_since_first_order as integer) as months_since_first_order,
        cast(cohort_customers as integer) as cohort_customers,
        cast(active_customers as integer) as active_customers,
        {{ retention_rate('active_customers', 'cohort_customers') }} as retention_rate,
        cast(net_revenue_usd as decimal(18, 2)) as net_revenue_usd,
        {{ net_revenue_retention_rate('net_revenue_usd', 'first_month_net_revenue_usd') }}
            as net_revenue_retention_rate,
        {{ gross_revenue_retention_rate('retained_revenue_capped_usd', 'first_month_net_revenue_usd') }}
            as gross_revenue_retention_rate
    from cohort_months
)

select * from final
