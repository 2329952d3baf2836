{#-
    Schemas by layer: a model configured with +schema: marts lands in schema `marts`, not
    `<target schema>_marts`, so BI sees marts.fct_... on every target.

    Var marts_schema moves the marts (and so the tests that read them) to another schema:
    `warehouse publish` on PostgreSQL builds into `marts__work` and swaps it in for `marts`
    only when every test passed (scripts/retention_warehouse/publish/postgres_schemas.py).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif custom_schema_name | trim == 'marts' -%}
        {{ var('marts_schema', 'marts') | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
