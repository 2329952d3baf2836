{#-
    The median of an expression as an aggregate (continuous: the mean of the two middle values
    when the count is even), on every engine.
-#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'retention_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    quantile_cont({{ expression }}, 0.5)
{%- endmacro %}

{% macro spark__median(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}
