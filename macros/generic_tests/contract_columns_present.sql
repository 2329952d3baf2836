{#- Attached to a raw source table: one row per required contract column the table lacks (names
    compared case-insensitively). A file lacking one never lands (the loader refuses it); a table an
    EL tool loaded, or a mapping view, is checked here before its rows are judged. -#}
{% test contract_columns_present(model, entity) %}
{%- set missing = [] -%}
{%- if execute -%}
    {%- set present = contract_column_names(model) -%}
    {%- for column in raw_contract()[entity].columns -%}
        {%- if column.required and column.name not in present -%}
            {%- do missing.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

{% if missing -%}
{% for name in missing -%}
select '{{ name }}' as missing_required_column
{% if not loop.last %}union all
{% endif -%}
{% endfor %}
{%- else -%}
select cast(null as {{ dbt.type_string() }}) as missing_required_column
from {{ model }}
where 1 = 0
{%- endif %}

{% endtest %}
