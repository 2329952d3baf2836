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

cohort_months as (
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
        cast(cohort_month as date) as cohort_month,
        cast(months_since_first_order as integer) as months_since_first_order,
        cast(cohort_customers as integer) as cohort_customers,
        cast(active_customers as integer) as active_customers,
        {{ safe_ratio('active_customers', 'cohort_customers') }} as retention_rate,
        cast(net_revenue_usd as decimal(18, 2)) as net_revenue_usd,
        {{ safe_ratio('net_revenue_usd', 'first_month_net_revenue_usd') }} as net_revenue_retention_rate,
        {{ safe_ratio('retained_revenue_capped_usd', 'first_month_net_revenue_usd') }}
            as gross_revenue_retention_rate
    from cohort_months
)

select * from final
