{#- Per campaign and arm: the customers whose first assignment to the campaign is fully observed, how
    many of them were retained, and what was left out (int_campaign_assignments_evaluated). -#}
with

assignments as (
    select * from {{ ref('int_campaign_assignments_evaluated') }}
),

final as (
    select
        campaign_id,
        campaign_arm,
        is_treated,
        sum(case when is_first_assignment and is_fully_observed then 1 else 0 end) as customers,
        sum(case when is_first_assignment and is_retained then 1 else 0 end) as retained_customers,
        sum(case when is_first_assignment and not is_fully_observed then 1 else 0 end)
            as customers_not_fully_observed,
        sum(case when not is_first_assignment then 1 else 0 end) as repeat_assignments,
        min(assigned_at) as first_assigned_at,
        max(assigned_at) as last_assigned_at
    from assignments
    group by campaign_id, campaign_arm, is_treated
)

select * from final
