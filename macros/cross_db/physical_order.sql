{#-
    An `order by` that lays a table's rows out on disk in that order, where the engine keeps it and
    it pays: on DuckDB a table keeps insertion order, and a table of orders stored by customer lets
    every per-customer aggregate read each customer's rows together (at 10M orders the churn
    signals took 26 s and 2.5 GB instead of 35 s and 3.6 GB; docs/performance.md). Elsewhere nothing:
    PostgreSQL's heap would not stay in order after updates, and on Spark a global sort is a shuffle.
-#}
{% macro physical_order(columns) -%}
    {{ return(adapter.dispatch('physical_order', 'retention_warehouse')(columns)) }}
{%- endmacro %}

{% macro default__physical_order(columns) -%}
{%- endmacro %}

{% macro duckdb__physical_order(columns) -%}
    order by {{ columns }}
{%- endmacro %}
