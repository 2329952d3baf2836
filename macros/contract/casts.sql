{#-
    The contract checks' building blocks, on every engine. A raw value may be text (as our ingestion
    lands every file) or already typed (as an EL tool may load it); each check works on its trimmed
    text, so both give the same verdict. Formats are guarded by one regular expression on every
    engine (written without backslashes, which Spark's string literals would eat), and only then
    cast, so no engine raises on a bad value and none accepts a format another refuses.
-#}

{#- The value as trimmed text, '' for null: what every check reads. -#}
{% macro contract_text(expression) -%}
    coalesce(trim(cast({{ expression }} as {{ dbt.type_string() }})), '')
{%- endmacro %}

{#- A timestamp with time zone in this engine's spelling (Spark's timestamp is one). -#}
{% macro contract_timestamptz_type() -%}
    {{ return(adapter.dispatch('contract_timestamptz_type', 'retention_warehouse')()) }}
{%- endmacro %}

{% macro default__contract_timestamptz_type() -%} timestamptz {%- endmacro %}

{% macro spark__contract_timestamptz_type() -%} timestamp {%- endmacro %}

{#- True when the whole of `text` matches `pattern` (anchored here). -#}
{% macro contract_matches(text, pattern) -%}
    {{ return(adapter.dispatch('contract_matches', 'retention_warehouse')(text, pattern)) }}
{%- endmacro %}

{% macro default__contract_matches(text, pattern) -%}
    ({{ text }} ~ '^(?:{{ pattern }})$')
{%- endmacro %}

{% macro duckdb__contract_matches(text, pattern) -%}
    regexp_full_match({{ text }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__contract_matches(text, pattern) -%}
    ({{ text }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}

{#- The formats the contract accepts (docs/data-contract.md): ISO 8601 dates, and timestamps with an
    optional time, fraction and offset (Z, +hh, +hhmm, +hh:mm; none means UTC). -#}
{% macro contract_date_pattern() -%} [0-9]{4}-[0-9]{2}-[0-9]{2} {%- endmacro %}

{% macro contract_timestamp_pattern() -%}
    [0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)? ?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?
{%- endmacro %}

{% macro contract_number_pattern() -%}
    [+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]{1,3})?
{%- endmacro %}

{#- Text to a timestamp with time zone, or null when it is not one (never an error). -#}
{% macro contract_try_timestamp(text) -%}
    case when {{ contract_matches(text, contract_timestamp_pattern()) }}
        then {{ adapter.dispatch('contract_cast_timestamp', 'retention_warehouse')(text) }}
    end
{%- endmacro %}

{% macro default__contract_cast_timestamp(text) -%}
    try_cast({{ text }} as {{ contract_timestamptz_type() }})
{%- endmacro %}

{#- PostgreSQL has no try_cast: the parts are checked first (CASE keeps the order), then cast with
    an explicit UTC offset where the text has none, whatever the session's time zone. -#}
{% macro postgres__contract_cast_timestamp(text) -%}
    case when {{ postgres__contract_valid_date('left(' ~ text ~ ', 10)') }}
        and (length({{ text }}) = 10 or (
            cast(substr({{ text }}, 12, 2) as integer) <= 23 and cast(substr({{ text }}, 15, 2) as integer) <= 59
            and (length({{ text }}) < 19 or substr({{ text }}, 17, 1) <> ':' or cast(substr({{ text }}, 18, 2) as integer) <= 59)))
    then cast(
        case
            when length({{ text }}) = 10 then {{ text }} || ' 00:00:00+00'
            when {{ text }} ~ '(Z|[+-][0-9]{2}(:?[0-9]{2})?)$' then {{ text }}
            else {{ text }} || '+00'
        end as timestamptz)
    end
{%- endmacro %}

{#- An ISO date text whose month and day exist (the year 1 or later). -#}
{% macro postgres__contract_valid_date(text) -%}
    case when cast(substr({{ text }}, 1, 4) as integer) >= 1 and cast(substr({{ text }}, 6, 2) as integer) between 1 and 12
        then cast(substr({{ text }}, 9, 2) as integer) between 1 and extract(day from (
            make_date(cast(substr({{ text }}, 1, 4) as integer), cast(substr({{ text }}, 6, 2) as integer), 1)
            + interval '1 month' - interval '1 day'))
        else false
    end
{%- endmacro %}

{#- Text to a date, or null. -#}
{% macro contract_try_date(text) -%}
    case when {{ contract_matches(text, contract_date_pattern()) }}
        then {{ adapter.dispatch('contract_cast_date', 'retention_warehouse')(text) }}
    end
{%- endmacro %}

{% macro default__contract_cast_date(text) -%}
    try_cast({{ text }} as date)
{%- endmacro %}

{% macro postgres__contract_cast_date(text) -%}
    case when {{ postgres__contract_valid_date(text) }} then cast({{ text }} as date) end
{%- endmacro %}

{#- Text to an exact decimal (38 digits, 10 after the point), or null: what money and scores are
    checked on before they are typed. -#}
{% macro contract_try_number(text) -%}
    case when {{ contract_matches(text, contract_number_pattern()) }}
        then {{ adapter.dispatch('contract_cast_number', 'retention_warehouse')(text) }}
    end
{%- endmacro %}

{% macro default__contract_cast_number(text) -%}
    try_cast({{ text }} as decimal(38, 10))
{%- endmacro %}

{#- numeric is unbounded on PostgreSQL; what decimal(38, 10) cannot hold is null, as elsewhere. -#}
{% macro postgres__contract_cast_number(text) -%}
    case when abs(cast({{ text }} as numeric)) < 1e28
        then cast(round(cast({{ text }} as numeric), 10) as decimal(38, 10))
    end
{%- endmacro %}

{#- A text value as a JSON string: for the row as it was read (raw_record). -#}
{% macro contract_json_string(text) -%}
    {{ dbt.concat(["'\"'", "replace(replace(" ~ text ~ ", chr(92), chr(92) || chr(92)), chr(34), chr(92) || chr(34))", "'\"'"]) }}
{%- endmacro %}
