{#-
    A timestamp with time zone as a UTC timestamp without time zone: the one convention for
    every *_at column after staging. Dispatched so that each engine gets its own spelling.
-#}
{% macro utc_timestamp(column) -%}
    {{ return(adapter.dispatch('utc_timestamp', 'retention_warehouse')(column)) }}
{%- endmacro %}

{% macro default__utc_timestamp(column) -%}
    cast(({{ column }}) at time zone 'UTC' as timestamp)
{%- endmacro %}

{% macro spark__utc_timestamp(column) -%}
    to_utc_timestamp({{ column }}, 'UTC')
{%- endmacro %}
