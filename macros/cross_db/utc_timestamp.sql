{#-
    A timestamp with time zone as a UTC timestamp without time zone: the one convention for
    every *_at column after staging. Dispatched so that each engine gets its own spelling.
-#}
{% macro utc_timestamp(column) -%}
    {{ return(adapter.dispatch('utc_timestamp', 'retention_warehouse')(column)) }}
{%- endmacro %}

{#- PostgreSQL (and any engine with the SQL standard's `at time zone`): timestamptz to UTC wall time. -#}
{% macro default__utc_timestamp(column) -%}
    cast(({{ column }}) at time zone 'UTC' as timestamp)
{%- endmacro %}

{#- DuckDB: microseconds since the epoch are UTC by definition, so this is exact and needs no time
    zone lookup. `at time zone` goes through ICU and costs about 15 times as much; staging views are
    evaluated again by every data test on them, so at 10M orders that difference is minutes. -#}
{% macro duckdb__utc_timestamp(column) -%}
    make_timestamp(epoch_us({{ column }}))
{%- endmacro %}

{#- Spark: its timestamps are instants shown in the session time zone (UTC in profiles.yml). -#}
{% macro spark__utc_timestamp(column) -%}
    to_utc_timestamp({{ column }}, 'UTC')
{%- endmacro %}

{#- Microseconds since 1970-01-01 00:00 of a timestamp without time zone (UTC), a bigint. -#}
{% macro epoch_microseconds(column) -%}
    {{ return(adapter.dispatch('epoch_microseconds', 'retention_warehouse')(column)) }}
{%- endmacro %}

{#- PostgreSQL: extract returns a numeric with the microseconds. -#}
{% macro default__epoch_microseconds(column) -%}
    cast(extract(epoch from {{ column }}) * 1000000 as bigint)
{%- endmacro %}

{% macro duckdb__epoch_microseconds(column) -%}
    epoch_us({{ column }})
{%- endmacro %}

{% macro spark__epoch_microseconds(column) -%}
    unix_micros({{ column }})
{%- endmacro %}
