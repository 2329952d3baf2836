{#-
    Incremental builds of the large facts, configured in one place per target.

    Every incremental model rebuilds whole partitions: int_orders_enriched whole order days,
    int_customer_months_spined whole calendar months. Whole partitions make one batch right for
    both families of strategies: delete+insert / merge on a key (DuckDB, PostgreSQL) and
    insert_overwrite of the partitions present in the batch (Spark). A target that needs another
    strategy overrides `<adapter>__incremental_strategy`; var `incremental_strategy` overrides it
    for a single run.
-#}
{% macro incremental_strategy() -%}
    {{ return(var('incremental_strategy', none) or adapter.dispatch('incremental_strategy', 'retention_warehouse')()) }}
{%- endmacro %}

{% macro default__incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{#- The partition column of an incremental model where the target partitions tables (Spark), else none. -#}
{% macro incremental_partition_by(column) -%}
    {{ return(adapter.dispatch('incremental_partition_by', 'retention_warehouse')(column)) }}
{%- endmacro %}

{% macro default__incremental_partition_by(column) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__incremental_partition_by(column) -%}
    {{ return(column) }}
{%- endmacro %}

{#- Days of event time every incremental run derives again, so rows that arrive up to this many
    days late are picked up even without a newer load time (var incremental_lookback_days, 3). -#}
{% macro incremental_lookback_days() -%}
    {%- set days = var('incremental_lookback_days', 3) | int -%}
    {%- if days < 0 -%}
        {{ exceptions.raise_compiler_error("var incremental_lookback_days must be 0 or more, got " ~ days) }}
    {%- endif -%}
    {{ days }}
{%- endmacro %}
