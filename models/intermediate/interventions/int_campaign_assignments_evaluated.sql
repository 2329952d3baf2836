{#- One row per campaign assignment with its outcome: retained = a counted order in the
    campaign_outcome_days (90) after the assignment. Only a customer's first assignment to a campaign
    counts, and only when its whole outcome window lies on or before the as-of date (fully observed):
    a later window would count customers who have not had the full time to come back as lost. -#}
{#- A table, not a view: several models and tests read it, and at scale a view is recomputed for each. -#}
{{ config(materialized='table') }}
{%- set outcome_days = var('campaign_outcome_days') | int -%}
with

assignments as (
    select * from {{ ref('stg_crm__campaign_assignments') }}
),

campaign_arms as (
    select * from {{ ref('campaign_arms') }}
),

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

windows as (
    select
        assignments.assignment_id,
        assignments.campaign_id,
        assignments.customer_id,
        assignments.campaign_arm,
        campaign_arms.is_treated,
        assignments.assigned_at,
        {{ dbt.dateadd('day', outcome_days, 'assignments.assigned_at') }} as outcome_window_end_at,
        row_number() over (
            partition by assignments.campaign_id, assignments.customer_id
            order by assignments.assigned_at asc, assignments.assignment_id asc
        ) as customer_assignment_rank
    from assignments
    left join campaign_arms
        on assignments.campaign_arm = campaign_arms.arm
),

orders_in_window as (
    select
        windows.assignment_id,
        count(*) as orders_in_window
    from windows
    inner join orders
        on windows.customer_id = orders.customer_id
    where
        orders.counts_as_order
        and orders.ordered_at > windows.assigned_at
        and orders.ordered_at <= windows.outcome_window_end_at
    group by windows.assignment_id
),

final as (
    select
        windows.assignment_id,
        windows.campaign_id,
        windows.customer_id,
        windows.campaign_arm,
        windows.is_treated,
        windows.assigned_at,
        windows.outcome_window_end_at,
        windows.customer_assignment_rank = 1 as is_first_assignment,
        cast(windows.outcome_window_end_at as date) <= reporting_dates.as_of_date as is_fully_observed,
        case
            when cast(windows.outcome_window_end_at as date) <= reporting_dates.as_of_date
                then coalesce(orders_in_window.orders_in_window, 0) > 0
        end as is_retained
    from windows
    cross join reporting_dates
    left join orders_in_window
        on windows.assignment_id = orders_in_window.assignment_id
)

select * from final
