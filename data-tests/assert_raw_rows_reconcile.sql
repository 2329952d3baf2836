{#- Per entity, every raw row is in exactly one place: raw rows = staged + superseded + quarantined
    (counted from the source itself), and every valid key is staged exactly once. Returns the
    entities where that fails. -#}

{%- set entities = [
    ('customers', 'customer_id', source('shop', 'customers'), 'base_shop__customers_checked'),
    ('orders', 'order_id', source('shop', 'orders'), 'base_shop__orders_checked'),
    ('survey_responses', 'response_id', source('survey', 'survey_responses'), 'base_survey__responses_checked'),
    ('support_tickets', 'ticket_id', source('support', 'support_tickets'), 'base_support__tickets_checked'),
    ('campaign_assignments', 'assignment_id', source('crm', 'campaign_assignments'), 'base_crm__campaign_assignments_checked'),
] %}

with

raw_rows as (
    {% for entity, key, relation, model in entities -%}
    select '{{ entity }}' as entity, count(*) as raw_rows from {{ relation }}
    {% if not loop.last %}union all
    {% endif -%}
    {% endfor %}
),

outcomes as (
    {% for entity, key, relation, model in entities -%}
    select
        '{{ entity }}' as entity,
        sum(case when row_outcome = 'staged' then 1 else 0 end) as staged,
        sum(case when row_outcome = 'superseded' then 1 else 0 end) as superseded,
        sum(case when row_outcome = 'quarantined' then 1 else 0 end) as quarantined,
        count(distinct case when row_outcome = 'staged' then {{ key }} end) as staged_keys,
        count(distinct case when row_outcome <> 'quarantined' then {{ key }} end) as valid_keys
    from {{ ref(model) }}
    {% if not loop.last %}union all
    {% endif -%}
    {% endfor %}
)

select
    raw_rows.entity,
    raw_rows.raw_rows,
    outcomes.staged,
    outcomes.superseded,
    outcomes.quarantined
from raw_rows
inner join outcomes on raw_rows.entity = outcomes.entity
where
    raw_rows.raw_rows <> coalesce(outcomes.staged, 0) + coalesce(outcomes.superseded, 0) + coalesce(outcomes.quarantined, 0)
    or coalesce(outcomes.staged, 0) <> outcomes.staged_keys
    or outcomes.staged_keys <> outcomes.valid_keys
