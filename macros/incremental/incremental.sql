{#-
    Incremental builds of the large facts, configured in one place per target.

    Every incremental model rebuilds whole partitions: int_orders_enriched whole order days (order
    months on Spark, incremental_batch_unit), int_customer_months_spined whole calendar months. Whole partitions make one batch right for
    both families of strategies: delete+insert on a key (DuckDB, PostgreSQL) and insert_overwrite of
    the partitions present in the batch (Spark, whose Parquet tables are partitioned by that
    column). The others are wrong for these batches and refused: append adds a second copy of
    every row a run derives again; merge matches each target row once, and the spine's key
    (month_start) names a partition, not a row (PostgreSQL and Delta stop with "cannot affect row a
    second time"; dbt-spark accepts merge only on Delta, Iceberg or Hudi anyway). A target that
    needs another strategy overrides `<adapter>__incremental_strategy`; var `incremental_strategy`
    overrides it for a single run.
-#}
{% macro incremental_strategy() -%}
    {%- set strategy = var('incremental_strategy', none) or adapter.dispatch('incremental_strategy', 'retention_warehouse')() -%}
    {%- if strategy in ('append', 'merge') -%}
        {{ exceptions.raise_compiler_error(
            "incremental strategy " ~ strategy ~ " is wrong for this project's incremental models: each run derives "
            ~ "whole partitions again, so use delete+insert (DuckDB, PostgreSQL) or insert_overwrite (Spark)"
        ) }}
    {%- endif -%}
    {{ return(strategy) }}
{%- endmacro %}

{#- DuckDB and PostgreSQL (dbt-postgres runs delete+insert on every version; merge needs 15+ and a row key). -#}
{% macro default__incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{#- Spark: dynamic partition overwrite (dbt-spark sets partitionOverwriteMode to dynamic), which works
    on plain Parquet, needs no Delta Lake, and replaces exactly the days or months of the batch. -#}
{% macro spark__incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{#- The unit a run of int_orders_enriched derives again: the order day, or on Spark the order month.
    Spark writes a folder per partition, and a partition per day is a thousand small Parquet folders
    for three years of orders, which every later read lists again; a month is 36 of them. -#}
{% macro incremental_batch_unit() -%}
    {{ return(adapter.dispatch('incremental_batch_unit', 'retention_warehouse')()) }}
{%- endmacro %}

{% macro default__incremental_batch_unit() -%}
    {{ return('day') }}
{%- endmacro %}

{% macro spark__incremental_batch_unit() -%}
    {{ return('month') }}
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

{#- The post-hook of an incremental model keyed by its upstream's key (int_orders_enriched by order,
    int_survey_responses_matched by response): delete the rows whose key the upstream no longer has.
    delete+insert replaces the keys of the batch, so a key whose raw rows were all removed (a file
    replaced without it, or removed) would stay. Nothing on a table build, nor under insert_overwrite
    (Spark), which replaces whole partitions instead (a partition left with no row keeps its rows
    until --full-refresh). -#}
{% macro delete_keys_gone_from(upstream, key) -%}
    {%- if is_incremental() and incremental_strategy() == 'delete+insert' -%}
    delete from {{ this }} as built
    where not exists (
        select 1
        from {{ upstream }} as upstream_keys
        where upstream_keys.{{ key }} = built.{{ key }}
    )
    {%- endif -%}
{%- endmacro %}

{#- The post-hook of int_customer_months_spined: delete the months after the last complete month. A
    run rebuilds only months up to it, so when it moves back (the newest orders removed or
    cancelled, an earlier as-of date) the later months would stay. Nothing on a table build, nor under
    insert_overwrite (Spark: their partitions stay until --full-refresh). -#}
{% macro delete_months_after_last_complete() -%}
    {%- if is_incremental() and incremental_strategy() == 'delete+insert' -%}
    delete from {{ this }}
    where month_start > (select reporting_dates.last_complete_month from {{ ref('int_reporting_dates') }} as reporting_dates)
    {%- endif -%}
{%- endmacro %}

{#- The post-hook of int_customer_churn_signals_computed: delete the snapshots the run no longer lists
    (macro churn_snapshot_dates): yesterday's test and current dates, and the oldest training month
    when a new one joins. Nothing on a table build (Spark builds the table). -#}
{% macro delete_churn_snapshots_not_listed() -%}
    {%- if is_incremental() and incremental_strategy() == 'delete+insert' -%}
    delete from {{ this }} as built
    where not exists (
        select 1
        from ({{ churn_snapshot_dates(ref('int_reporting_dates')) }}) as listed
        where listed.snapshot_date = built.snapshot_date and listed.snapshot_purpose = built.snapshot_purpose
    )
    {%- endif -%}
{%- endmacro %}

{#- The column built_at of the incremental models: when the dbt invocation that wrote the row
    started (run_started_at, UTC). The rows the last run rebuilt are those with the newest built_at,
    which is all rows after a full refresh; macro rebuilt_rows_condition scopes data tests to them. -#}
{% macro built_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
