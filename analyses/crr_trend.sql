-- Customer retention rate and churn rate by month, with a trailing three-month average of CRR.
with

retention_periods as (
    select * from {{ ref('fct_retention_periods') }}
),

final as (
    select
        period_month,
        customers_at_start,
        new_customers,
        reactivated_customers,
        churned_customers,
        customers_at_end,
        round(crr_pct, 1) as crr_pct,
        round(churn_rate_pct, 1) as churn_rate_pct,
        round(avg(crr_pct) over (order by period_month rows between 2 preceding and current row), 1)
            as crr_pct_trailing_3_months
    from retention_periods
)

select * from final
order by period_month
