{#- Attached to an entity's check model: every row of its raw table is in exactly one place
    (raw rows = staged + superseded + quarantined) and every valid key is staged exactly once.
    Returns one row with the counts when that fails. -#}
{% test raw_rows_reconcile(model, raw, key) %}

with

raw_rows as (
    select count(*) as raw_rows
    from {{ raw }}
),

outcomes as (
    select
        coalesce(sum(case when row_outcome = 'staged' then 1 else 0 end), 0) as staged,
        coalesce(sum(case when row_outcome = 'superseded' then 1 else 0 end), 0) as superseded,
        coalesce(sum(case when row_outcome = 'quarantined' then 1 else 0 end), 0) as quarantined,
        count(distinct case when row_outcome = 'staged' then {{ key }} end) as staged_keys,
        count(distinct case when row_outcome <> 'quarantined' then {{ key }} end) as valid_keys
    from {{ model }}
),

final as (
    select
        raw_rows.raw_rows,
        outcomes.staged,
        outcomes.superseded,
        outcomes.quarantined,
        outcomes.staged_keys,
        outcomes.valid_keys
    from raw_rows
    cross join outcomes
    where
        raw_rows.raw_rows <> outcomes.staged + outcomes.superseded + outcomes.quarantined
        or outcomes.staged <> outcomes.staged_keys
        or outcomes.staged_keys <> outcomes.valid_keys
)

select * from final

{% endtest %}
