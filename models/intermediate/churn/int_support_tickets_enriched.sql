{#- Support tickets with their category's complaint flag and the response deadline (var
    complaint_response_days after opening). A complaint is ignored when no first response came by the
    deadline; that is known once the deadline has passed, whatever came later, so a model may use
    is_ignored_complaint at any date on or after response_due_date without looking ahead. -#}
with

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

ticket_categories as (
    select * from {{ ref('ticket_categories') }}
),

deadlines as (
    select
        tickets.ticket_id,
        tickets.customer_id,
        tickets.ticket_category,
        coalesce(ticket_categories.is_complaint, false) as is_complaint,
        tickets.opened_at,
        tickets.first_responded_at,
        tickets.resolved_at,
        {{ dbt.dateadd('day', complaint_response_days(), 'tickets.opened_at') }} as response_due_at
    from tickets
    left join ticket_categories
        on tickets.ticket_category = ticket_categories.ticket_category
),

final as (
    select
        ticket_id,
        customer_id,
        ticket_category,
        is_complaint,
        opened_at,
        cast(opened_at as date) as opened_date,
        first_responded_at,
        resolved_at,
        response_due_at,
        cast(response_due_at as date) as response_due_date,
        coalesce(first_responded_at <= response_due_at, false) as is_answered_in_time,
        is_complaint and coalesce(first_responded_at > response_due_at, true) as is_ignored_complaint
    from deadlines
)

select * from final
