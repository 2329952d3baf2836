with

customer_months as (
    select * from {{ ref('int_customer_months_spined') }}
),

counted as (
    select
        month_start as period_month,
        sum(case when is_customer_at_month_start then 1 else 0 end) as customers_at_start,
        sum(case when is_new then 1 else 0 end) as new_customers,
        sum(case when is_reactivated then 1 else 0 end) as reactivated_customers,
        sum(case when is_churned then 1 else 0 end) as churned_customers,
        sum(case when is_customer_at_month_end then 1 else 0 end) as customers_at_end,
        sum(case when is_active then 1 else 0 end) as active_customers,
        sum(net_revenue_usd) as net_revenue_usd
    from customer_months
    group by month_start
),

final as (
    select
        cast(period_month as date) as period_month,
        cast(customers_at_start as integer) as customers_at_start,
        cast(new_customers as integer) as new_customers,
        cast(reactivated_customers as integer) as reactivated_customers,
        cast(churned_customers as integer) as churned_customers,
        cast(customers_at_end as integer) as customers_at_end,
        cast(active_customers as integer) as active_customers,
        cast(net_revenue_usd as decimal(18, 2)) as net_revenue_usd,
        {{ crr_pct('customers_at_end', 'new_customers', 'customers_at_start') }} as crr_pct,
        {{ churn_rate_pct('churned_customers', 'customers_at_start') }} as churn_rate_pct
    from counted
)

select * from final
