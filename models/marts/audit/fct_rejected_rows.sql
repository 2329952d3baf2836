{#- Every raw row the contract quarantined, of every entity: what an analyst queries to see what was
    rejected and why (docs/data-contract.md). -#}

{%- set checked = [
    ('customers', 'customer_id', 'base_shop__customers_checked'),
    ('orders', 'order_id', 'base_shop__orders_checked'),
    ('survey_responses', 'response_id', 'base_survey__responses_checked'),
    ('support_tickets', 'ticket_id', 'base_support__tickets_checked'),
    ('campaign_assignments', 'assignment_id', 'base_crm__campaign_assignments_checked'),
] %}

with

{% for entity, key, model in checked -%}
    {{ entity }} as (
        select * from {{ ref(model) }}
        where row_outcome = 'quarantined'
    ),

{% endfor -%}
unioned as (
    {% for entity, key, model in checked -%}
        select
            '{{ entity }}' as entity,
            {{ key }} as record_key,
            rejected_column as column_name,
            rejection_reason as reason,
            source_file,
            source_row,
            loaded_at,
            raw_record
        from {{ entity }}
        {% if not loop.last %}union all
        {% endif -%}
    {% endfor %}
),

final as (
    select
        cast(entity as {{ dbt.type_string() }}) as entity,
        record_key,
        column_name,
        reason,
        source_file,
        cast(source_row as {{ dbt.type_int() }}) as source_row,
        {{ utc_timestamp('loaded_at') }} as loaded_at,
        raw_record
    from unioned
)

select * from final
