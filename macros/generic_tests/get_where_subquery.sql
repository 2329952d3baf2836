{#- dbt's get_where_subquery (the relation a generic data test reads, filtered by the test's `where`
    config) with one condition more, from macro rebuilt_rows_condition. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set rebuilt = rebuilt_rows_condition(relation) -%}
    {%- if rebuilt -%}
        {%- do conditions.append(rebuilt) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- The data tests of one table that read only the rows the last run rebuilt, on a model whose meta
    says data_tests_read: rows built last (the incremental models, each with a built_at column). Each
    judges a row or a key on its own, and a run rebuilds every row of a key it touches (delete+insert
    on the key), so the rows it did not rebuild are those the published warehouse already passed:
    keys stay unique. Tests across tables (relationships, raw_rows_reconcile) read everything. -#}
{% macro rebuilt_rows_tests() -%}
    {{ return(['not_null', 'unique', 'accepted_values', 'accepted_range', 'expression_is_true',
               'unique_combination_of_columns']) }}
{%- endmacro %}

{#- The condition that keeps the rows of the newest built_at, or '' to read the whole table. -#}
{% macro rebuilt_rows_condition(relation) -%}
    {{ return(adapter.dispatch('rebuilt_rows_condition', 'retention_warehouse')(relation)) }}
{%- endmacro %}

{#- PostgreSQL and Spark read everything: without an index on built_at, finding the newest costs a
    scan of the table, as the test itself does. -#}
{% macro default__rebuilt_rows_condition(relation) -%}
    {{ return('') }}
{%- endmacro %}

{#- DuckDB: the newest built_at comes from one compressed column, and its row groups' min/max let the
    filter skip every row group the run did not write. -#}
{% macro duckdb__rebuilt_rows_condition(relation) -%}
    {%- set tested = graph.nodes.get(model.attached_node) if execute and model.attached_node else none -%}
    {%- if tested is none or tested.config.meta.get('data_tests_read') != 'rows built last'
        or model.test_metadata.name not in rebuilt_rows_tests() -%}
        {{ return('') }}
    {%- endif -%}
    {{ return('built_at = (select max(built_at) from ' ~ relation ~ ')') }}
{%- endmacro %}
