{#- Per customer, over the last `lifespan_lookback_months` complete months: months in which they were
    a customer at the start (exposed to churn) and how many of those months they churned in.
    Summed over any group of customers, churn_events / months_exposed is that group's monthly churn
    rate, from which the customer lifespan of historic CLV is estimated. -#}
{#- A table, not a view: several models and tests read it, and at scale a view is recomputed for each. -#}
{{ config(materialized='table') }}

with

customer_months as (
    select * from {{ ref('int_customer_months_spined') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

lookback as (
    select
        customer_months.customer_id,
        customer_months.is_customer_at_month_start,
        customer_months.is_churned
    from customer_months
    cross join reporting_dates
    where
        customer_months.month_start > {{ dbt.dateadd(
            'month', -(var('lifespan_lookback_months') | int), 'reporting_dates.last_complete_month'
        ) }}
        and customer_months.month_start <= reporting_dates.last_complete_month
),

final as (
    select
        customer_id,
        sum(case when is_customer_at_month_start then 1 else 0 end) as months_exposed,
        sum(case when is_churned then 1 else 0 end) as churn_events
    from lookback
    group by customer_id
)

select * from final
