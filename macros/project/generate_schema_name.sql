{#-
    Schemas by layer: a model configured with +schema: marts lands in schema `marts`, not
    `<target schema>_marts`, so BI sees marts.fct_... on every target.

    Var marts_schema moves the marts (and so the tests that read them) to another schema:
    `warehouse publish` on PostgreSQL builds into `marts__work` and swaps it in for `marts`
    only when every test passed (scripts/retention_warehouse/publish/postgres_schemas.py).

    Var schema_prefix (default none) puts every schema under a prefix: `dev_ana_` builds
    dev_ana_staging, dev_ana_marts, ... beside the shared ones, a developer's own copy in the same
    warehouse (point retention_raw_schema at the raw tables to read).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set prefix = var('schema_prefix', '') | trim -%}
    {%- if custom_schema_name is none -%}
        {{ prefix }}{{ target.schema }}
    {%- elif custom_schema_name | trim == 'marts' -%}
        {{ prefix }}{{ var('marts_schema', 'marts') | trim }}
    {%- else -%}
        {{ prefix }}{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
