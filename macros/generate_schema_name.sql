{#-
    Schemas by layer: a model configured with +schema: marts lands in schema `marts`, not
    `<target schema>_marts`, so BI sees marts.fct_... on every target.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
