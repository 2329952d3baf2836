{#-
    Whole days between two dates, and a date some days later, on every engine. dbt's datediff and
    dateadd go through timestamps on DuckDB (a cast per row and timestamp arithmetic); these stay in
    dates there, which at 10M orders made the churn snapshots' per-order projections about 15%
    cheaper. Elsewhere they are dbt's own. And the trailing window of days up to a date that the churn
    signals, loyalty tiers and outreach cooldown count in (dbt's dateadd on every engine).
-#}

{#- end_date - start_date in days, an integer (negative when end_date is earlier). -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'retention_warehouse')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{% macro duckdb__days_between(start_date, end_date) -%}
    (cast({{ end_date }} as date) - cast({{ start_date }} as date))
{%- endmacro %}

{#- The date `days` days after date_expression (before it when negative). -#}
{% macro add_days(date_expression, days) -%}
    {{ return(adapter.dispatch('add_days', 'retention_warehouse')(date_expression, days)) }}
{%- endmacro %}

{% macro default__add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}

{% macro duckdb__add_days(date_expression, days) -%}
    (cast({{ date_expression }} as date) + cast({{ days }} as integer))
{%- endmacro %}

{#- Spark: date_add. dbt-spark's dateadd repeats its argument several times, so nested calls grow
    the SQL exponentially (three levels made the churn snapshot dates 850 kB, which ran Spark's
    planner out of memory). -#}
{% macro spark__add_days(date_expression, days) -%}
    date_add({{ date_expression }}, {{ days }})
{%- endmacro %}

{#- The first day of the month of date_expression, a date. -#}
{% macro month_start(date_expression) -%}
    {{ return(adapter.dispatch('month_start', 'retention_warehouse')(date_expression)) }}
{%- endmacro %}

{% macro default__month_start(date_expression) -%}
    cast({{ dbt.date_trunc('month', date_expression) }} as date)
{%- endmacro %}

{% macro spark__month_start(date_expression) -%}
    trunc({{ date_expression }}, 'MM')
{%- endmacro %}

{#- The date `months` months after date_expression (before it when negative), a date. -#}
{% macro add_months(date_expression, months) -%}
    {{ return(adapter.dispatch('add_months', 'retention_warehouse')(date_expression, months)) }}
{%- endmacro %}

{% macro default__add_months(date_expression, months) -%}
    cast({{ dbt.dateadd('month', months, date_expression) }} as date)
{%- endmacro %}

{% macro spark__add_months(date_expression, months) -%}
    add_months({{ date_expression }}, {{ months }})
{%- endmacro %}

{#- True when event_date falls in the `days` days up to and including at_date (days 0 to days - 1 before it). -#}
{% macro is_within_days_before(event_date, at_date, days) -%}
    (
        {{ event_date }} <= {{ at_date }}
        and {{ event_date }} > {{ dbt.dateadd('day', -days, at_date) }}
    )
{%- endmacro %}
