{#- One row: the date everything is reported as of, and the last complete month. -#}
{#- A table, not a view: several models and tests read it, and at scale a view is recomputed for each. -#}
{{ config(materialized='table') }}

with

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

bounds as (
    select
        {% if var('as_of_date', none) -%}
            cast('{{ var("as_of_date") }}' as date) as as_of_date,
        {%- else -%}
            max(order_date) as as_of_date,
        {%- endif %}
        min(order_month) as first_order_month
    from orders
    where counts_as_order
),

final as (
    select
        as_of_date,
        first_order_month,
        cast({{ dbt.dateadd(
            'month', -1, dbt.date_trunc('month', dbt.dateadd('day', 1, 'as_of_date'))
        ) }} as date) as last_complete_month
    from bounds
)

select * from final
