{#-
    The raw contract's row checks, written once for every entity and engine: the body of each
    base_<source>__<entity>_checked model. Every raw row comes out exactly once, typed, with the
    first check it fails (rejected_column, rejection_reason) and where it went (row_outcome):
    'quarantined' when a check failed; else, among the valid rows of its key, 'staged' for the latest
    version (macro latest_version_rank) and 'superseded' for older ones.

    Checks, in the order they apply (the first failing one is reported): per column in contract
    order, a required value present; its type (timestamp, date, number, whole score 0-10, email,
    identifier length); a timestamp after the row was loaded (or after now, without a load time) or
    before the earliest plausible one; an amount negative, absurd or with more than 2 decimals; a
    code not in its seed (order statuses first mapped by seed order_status_mappings). Then an unknown
    customer (not among the valid customers), then the entity's `extra_checks` (column, condition on
    the typed values, reason), then a key repeated within one load (one file, or one load time where
    the table has no file column): the first row wins.

    A personal column's value (contract `personal`: emails, names) appears in neither the reason nor
    raw_record, which say "(personal data)": the quarantine is a mart that BI reads, and the source
    row (file and row number, or key) leads to the value in raw.

    The source may lack optional contract columns and the metadata columns (_source_file,
    _source_row, _loaded_at): they are read as null. The typed fast path: where the source has a
    column `<name>__typed` beside a timestamp, date, amount or score column (ingestion fills it for a
    Parquet column whose type already is the contract's, and leaves the text null), a row's typed
    value is used as it is, and only the rows with text are parsed; the reasons and raw_record show a
    typed value as its text, so both paths give the same verdicts. Arguments: the entity (raw_contract()), its
    source relation, the expression a version is ordered by (latest_version_rank's updated_at; none
    for entities with one version per key), extra checks, and the model's is_incremental() (passed
    in, so that a unit test's override of it holds).

    Incremental (DuckDB, PostgreSQL; macro contract_checked_config): a run judges again only the
    keys whose verdicts can have changed, each with every raw row of that key, so a key's versions
    are ranked and its repeats within a load found as in a full build. Those keys are the keys of
    rows in a load (a file and load time) the table has not seen, the keys of rows whose load is
    gone from the source (a file replaced or removed), the keys of quarantined rows, whose
    verdict may hang on another table (a customer who arrived later, a code added to a seed), and
    the keys of valid rows whose customer is no longer a valid customer. The
    model's post-hook (macro contract_checked_gone_rows) then deletes the rows of gone loads whose
    key has no row left. A source without _loaded_at has no loads to compare: every run judges
    every row. Editing a seed the checks read or changing the contract's checks needs --full-refresh.
-#}
{% macro contract_checked(entity, source_relation, version_order=none, extra_checks=[], incremental=false) -%}
{%- set contract = raw_contract()[entity] -%}
{%- set limits = raw_contract_limits() -%}
{%- set pk = contract.primary_key -%}
{%- set present = contract_column_names(source_relation) if execute else [] -%}
{#- No columns found: a unit test's fixture stands in for the source (every column it gives is there). -#}
{%- if not present -%}
    {%- for column in contract.columns -%}{%- do present.append(column.name) -%}{%- endfor -%}
    {%- do present.extend(['_source_file', '_source_row', '_loaded_at']) -%}
{%- endif -%}
{%- set load = contract_load_columns(present) -%}
{%- set by_load = incremental and '_loaded_at' in present -%}
{%- set q = "chr(39)" -%}
{%- set typed_in_source = [] -%}
{%- for c in contract.columns if c.kind in ('timestamp', 'date', 'money', 'score') and (c.name ~ '__typed') in present -%}
    {%- do typed_in_source.append(c.name) -%}
{%- endfor -%}
{#- Per column: its value as text (a typed value as its text, computed only where shown), present, missing. -#}
{%- set text_of = {} -%}
{%- set present_of = {} -%}
{%- set missing_of = {} -%}
{%- for c in contract.columns -%}
    {%- set raw = "_raw_" ~ c.name -%}
    {%- if c.name in typed_in_source -%}
        {%- do text_of.update({c.name: "case when _typed_" ~ c.name ~ " is not null then cast(_typed_" ~ c.name ~ " as " ~ dbt.type_string() ~ ") else " ~ raw ~ " end"}) -%}
        {%- do present_of.update({c.name: "(_typed_" ~ c.name ~ " is not null or " ~ raw ~ " <> '')"}) -%}
        {%- do missing_of.update({c.name: "(_typed_" ~ c.name ~ " is null and " ~ raw ~ " = '')"}) -%}
    {%- else -%}
        {%- do text_of.update({c.name: raw}) -%}
        {%- do present_of.update({c.name: raw ~ " <> ''"}) -%}
        {%- do missing_of.update({c.name: raw ~ " = ''"}) -%}
    {%- endif -%}
{%- endfor -%}
{%- set checks = [] -%}
{%- for c in contract.columns -%}
    {%- set raw = "_raw_" ~ c.name -%}
    {#- A personal value (an email, a name) is never shown: the quarantine is read by BI. -#}
    {%- set shown = "'(personal data: see the source row)'" if c.personal else q ~ " || left(" ~ text_of[c.name] ~ ", 80) || " ~ q -%}
    {%- set is_present = present_of[c.name] -%}
    {%- if c.required -%}
        {%- do checks.append((c.name, missing_of[c.name], "'missing required value'")) -%}
    {%- endif -%}
    {%- if c.kind == 'timestamp' -%}
        {%- do checks.append((c.name, is_present ~ " and " ~ c.name ~ " is null", "'not a timestamp: ' || " ~ shown)) -%}
        {%- do checks.append((c.name, c.name ~ " > coalesce(loaded_at, " ~ dbt.current_timestamp() ~ ")", "'timestamp in the future: ' || " ~ shown)) -%}
        {%- do checks.append((c.name, c.name ~ " < cast('" ~ limits.earliest_timestamp ~ " 00:00:00+00' as " ~ contract_timestamptz_type() ~ ")", "'timestamp before " ~ limits.earliest_timestamp ~ ": ' || " ~ shown)) -%}
    {%- elif c.kind == 'date' -%}
        {%- do checks.append((c.name, is_present ~ " and " ~ c.name ~ " is null", "'not a date: ' || " ~ shown)) -%}
    {%- elif c.kind == 'money' -%}
        {%- set exact = "_exact_" ~ c.name -%}
        {%- do checks.append((c.name, is_present ~ " and " ~ exact ~ " is null", "'not a number: ' || " ~ shown)) -%}
        {%- do checks.append((c.name, exact ~ " <> round(" ~ exact ~ ", 2)", "'more than 2 decimal places: ' || " ~ shown)) -%}
        {%- do checks.append((c.name, exact ~ " < 0", "'negative amount: ' || " ~ shown)) -%}
        {%- do checks.append((c.name, exact ~ " > " ~ limits.max_amount, "'absurd amount (over " ~ "{:,}".format(limits.max_amount) ~ "): ' || " ~ shown)) -%}
    {%- elif c.kind == 'score' -%}
        {%- set exact = "_exact_" ~ c.name -%}
        {%- do checks.append((c.name, is_present ~ " and " ~ exact ~ " is null", "'not a number: ' || " ~ shown)) -%}
        {%- do checks.append((c.name, exact ~ " <> floor(" ~ exact ~ ")", "'not a whole number: ' || " ~ shown)) -%}
        {%- do checks.append((c.name, exact ~ " < 0 or " ~ exact ~ " > 10", "'score outside 0-10: ' || " ~ shown)) -%}
    {%- elif c.kind == 'enum' -%}
        {%- do checks.append((c.name, is_present ~ " and _allowed_" ~ c.name ~ " is null", "'unknown value ' || " ~ shown ~ " || ' (not in seed " ~ c.allowed_seed ~ (", nor mapped by seed order_status_mappings" if c.name == 'status' else "") ~ ")'")) -%}
    {%- elif c.kind == 'email' -%}
        {%- do checks.append((c.name, is_present ~ " and not " ~ contract_matches(raw, "[^@ ]+@[^@ ]+[.][^@ ]+"), "'not an email address: ' || " ~ shown)) -%}
    {%- elif c.kind == 'id' -%}
        {%- do checks.append((c.name, "length(" ~ raw ~ ") > " ~ limits.max_id_length, "'identifier longer than " ~ limits.max_id_length ~ " characters: ' || " ~ shown)) -%}
    {%- endif -%}
{%- endfor -%}
{%- if contract.customer_must_exist -%}
    {%- do checks.append(("customer_id", "_raw_customer_id <> '' and _known_customer_id is null", "'unknown customer: ' || " ~ q ~ " || left(_raw_customer_id, 80) || " ~ q)) -%}
{%- endif -%}
{%- for column, condition, reason in extra_checks -%}
    {%- do checks.append((column, condition, "'" ~ reason ~ "'")) -%}
{%- endfor -%}
{%- set enums = contract.columns | selectattr('kind', 'equalto', 'enum') | list -%}

with

{% if contract.customer_must_exist -%}
known_customers as (
    select distinct customer_id
    from {{ ref('base_shop__customers_checked') }}
    where row_outcome <> 'quarantined'
),

{% endif -%}
{% if by_load -%}
loads_in_source as (
    select distinct
        {{ load.source_file }} as source_file,
        {{ load.loaded_at }} as loaded_at
    from {{ source_relation }}
),

loads_built as (
    select distinct
        source_file,
        loaded_at
    from {{ this }}
),

new_loads as (
    select source_file, loaded_at from loads_in_source
    except
    select source_file, loaded_at from loads_built
),

gone_loads as (
    select source_file, loaded_at from loads_built
    except
    select source_file, loaded_at from loads_in_source
),

touched_keys as (
    -- keys with a row in a new load
    select {{ contract_text(pk) }} as row_key
    from {{ source_relation }}
    where exists (
        select 1
        from new_loads
        where
            new_loads.source_file is not distinct from {{ load.source_file }}
            and new_loads.loaded_at is not distinct from {{ load.loaded_at }}
    )

    union

    -- keys with a quarantined row, a row whose load is gone, or (where the customer must exist) a
    -- valid row whose customer is no longer a valid customer
    select coalesce(built.{{ pk }}, '') as row_key
    from {{ this }} as built
    where
        built.row_outcome = 'quarantined'
        or exists (
            select 1
            from gone_loads
            where
                gone_loads.source_file is not distinct from built.source_file
                and gone_loads.loaded_at is not distinct from built.loaded_at
        )
        {%- if contract.customer_must_exist %}
        or not exists (
            select 1
            from known_customers
            where known_customers.customer_id = built.customer_id
        )
        {%- endif %}
),

{% endif -%}
source as (
    select * from {{ source_relation }}
    {%- if by_load %}
    where {{ contract_text(pk) }} in (select touched_keys.row_key from touched_keys)
    {%- endif %}
),

{% for c in enums -%}
allowed_{{ c.name }} as (
    select {{ c.allowed_column }} as allowed_value
    from {{ ref(c.allowed_seed) }}
),

{% endfor -%}
{% if entity == 'orders' -%}
status_mappings as (
    select
        lower(trim(source_status)) as source_status,
        order_status
    from {{ ref('order_status_mappings') }}
),

{% endif -%}
landed as (
    select
        {% for c in contract.columns -%}
        {{ contract_text(c.name if c.name in present else 'null') }} as _raw_{{ c.name }},
        {% if c.name in typed_in_source -%}
        {{ c.name }}__typed as _typed_{{ c.name }},
        {% endif -%}
        {% endfor -%}
        {{ load.source_file }} as source_file,
        {{ 'cast(_source_row as ' ~ dbt.type_bigint() ~ ')' if '_source_row' in present else 'cast(null as ' ~ dbt.type_bigint() ~ ')' }} as source_row,
        {{ load.loaded_at }} as loaded_at
    from source
),

typed as (
    select
        landed.*,
        {% for c in contract.columns -%}
        {%- set value = "nullif(_raw_" ~ c.name ~ ", '')" -%}
        {% if c.kind in ('id', 'string', 'email') -%}
        {{ value }} as {{ c.name }}{{ "," if not loop.last }}
        {%- elif c.kind == 'enum' and c.name == 'status' -%}
        coalesce(status_mappings.order_status, lower({{ value }})) as {{ c.name }}{{ "," if not loop.last }}
        {%- elif c.kind == 'enum' -%}
        {{ c.case }}({{ value }}) as {{ c.name }}{{ "," if not loop.last }}
        {%- elif c.kind == 'timestamp' and c.name in typed_in_source -%}
        coalesce(cast(_typed_{{ c.name }} as {{ contract_timestamptz_type() }}), {{ contract_try_timestamp("_raw_" ~ c.name) }}) as {{ c.name }}{{ "," if not loop.last }}
        {%- elif c.kind == 'timestamp' -%}
        {{ contract_try_timestamp("_raw_" ~ c.name) }} as {{ c.name }}{{ "," if not loop.last }}
        {%- elif c.kind == 'date' and c.name in typed_in_source -%}
        coalesce(cast(_typed_{{ c.name }} as date), {{ contract_try_date("_raw_" ~ c.name) }}) as {{ c.name }}{{ "," if not loop.last }}
        {%- elif c.kind == 'date' -%}
        {{ contract_try_date("_raw_" ~ c.name) }} as {{ c.name }}{{ "," if not loop.last }}
        {%- elif c.kind in ('money', 'score') and c.name in typed_in_source -%}
        case when _typed_{{ c.name }} is not null
            then {{ adapter.dispatch('contract_cast_number', 'retention_warehouse')("_typed_" ~ c.name) }}
            else {{ contract_try_number("_raw_" ~ c.name) }}
        end as _exact_{{ c.name }}{{ "," if not loop.last }}
        {%- elif c.kind in ('money', 'score') -%}
        {{ contract_try_number("_raw_" ~ c.name) }} as _exact_{{ c.name }}{{ "," if not loop.last }}
        {%- endif %}
        {% endfor %}
    from landed
    {% if entity == 'orders' -%}
    left join status_mappings on lower(landed._raw_status) = status_mappings.source_status
    {%- endif %}
),

flagged as (
    select
        typed.*,
        {% for c in contract.columns if c.kind == 'money' -%}
        case when abs(_exact_{{ c.name }}) <= {{ limits.max_amount }} then cast(_exact_{{ c.name }} as decimal(18, 2)) end as {{ c.name }},
        {% endfor -%}
        {% for c in contract.columns if c.kind == 'score' -%}
        case when _exact_{{ c.name }} between 0 and 10 then cast(_exact_{{ c.name }} as integer) end as {{ c.name }},
        {% endfor -%}
        {% for c in enums -%}
        allowed_{{ c.name }}.allowed_value as _allowed_{{ c.name }},
        {% endfor -%}
        {{ 'known_customers.customer_id' if contract.customer_must_exist else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as _known_customer_id
    from typed
    {% for c in enums -%}
    left join allowed_{{ c.name }} on typed.{{ c.name }} = allowed_{{ c.name }}.allowed_value
    {% endfor -%}
    {% if contract.customer_must_exist -%}
    left join known_customers on typed.customer_id = known_customers.customer_id
    {%- endif %}
),

checked as (
    select
        flagged.*,
        coalesce(source_file, cast(loaded_at as {{ dbt.type_string() }}), '') as _load_key,
        case {% for column, condition, reason in checks %}
            when {{ condition }} then '{{ column }}'{% endfor %}
        end as _check_column,
        case {% for column, condition, reason in checks %}
            when {{ condition }} then {{ reason }}{% endfor %}
        end as _check_reason
    from flagged
),

first_rows as (
    -- A hash aggregate and a join: at scale much cheaper than a window that sorts every row.
    select
        _load_key,
        {{ pk }},
        min(source_row) as _first_row
    from checked
    where _check_reason is null
    group by _load_key, {{ pk }}
),

judged as (
    select
        checked.*,
        case
            when checked._check_reason is not null then checked._check_column
            when checked.source_row > first_rows._first_row then '{{ pk }}'
        end as rejected_column,
        case
            when checked._check_reason is not null then checked._check_reason
            when checked.source_row > first_rows._first_row
                then 'duplicate {{ pk }} ' || {{ q }} || checked.{{ pk }} || {{ q }}
                    || ' in the same file (first at row ' || cast(first_rows._first_row as {{ dbt.type_string() }}) || ')'
        end as rejection_reason
    from checked
    left join first_rows
        on checked._check_reason is null
        and checked._load_key = first_rows._load_key
        and checked.{{ pk }} = first_rows.{{ pk }}
),

final as (
    select
        {% for c in contract.columns -%}
        {{ c.name }},
        {% endfor -%}
        source_file,
        source_row,
        loaded_at,
        rejected_column,
        rejection_reason,
        -- The row as read, for the quarantine only: a JSON text per valid row would cost at scale.
        case when rejection_reason is not null then '{' || {% for c in contract.columns -%}
        '"{{ c.name }}": ' || {{ "case when _raw_" ~ c.name ~ " = '' then '\"\"' else '\"(personal data)\"' end" if c.personal else contract_json_string(text_of[c.name]) }}{{ " || ', ' || " if not loop.last }}
        {%- endfor %} || '}' end as raw_record,
        case
            when rejection_reason is not null then 'quarantined'
            -- Ranked among the valid rows of the key only: the partition sets the rejected apart.
            when {{ latest_version_rank(pk ~ ", rejection_reason is null", version_order) }} = 1 then 'staged'
            else 'superseded'
        end as row_outcome,
        {{ built_at() }} as built_at
    from judged
)

select * from final
{%- endmacro %}

{#- A raw row's load, as contract_checked reads it: its file and its load time (null where the source
    has no such column). -#}
{% macro contract_load_columns(present) -%}
    {{ return({
        'source_file': 'cast(_source_file as ' ~ dbt.type_string() ~ ')' if '_source_file' in present
            else 'cast(null as ' ~ dbt.type_string() ~ ')',
        'loaded_at': 'cast(_loaded_at as ' ~ contract_timestamptz_type() ~ ')' if '_loaded_at' in present
            else 'cast(null as ' ~ contract_timestamptz_type() ~ ')',
    }) }}
{%- endmacro %}

{#- The configuration of every base_<source>__<entity>_checked model. Incremental where the engine
    deletes and inserts by key (DuckDB, PostgreSQL): the key is the raw primary key as text, '' for
    rows without one, so a run replaces every row of each key it judged again. A table on Spark,
    whose plain Parquet tables replace partitions, not keys. -#}
{% macro contract_checked_config(entity, source_name) -%}
    {%- set contract = raw_contract()[entity] -%}
    {{ return({
        'materialized': 'table' if target.type == 'spark' else 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': "coalesce(" ~ contract.primary_key ~ ", '')",
        'on_schema_change': 'fail',
        'post_hook': "{{ contract_checked_gone_rows('" ~ entity ~ "', source('" ~ source_name ~ "', '" ~ entity ~ "')) }}",
        'meta': {'data_tests_read': 'rows built last'},
    }) }}
{%- endmacro %}

{#- The post-hook of an incremental contract check: delete the rows whose raw row is gone. With loads
    (_loaded_at), the rows of loads the source no longer has; the run judged again every key that
    still has a row, so what is left of a gone load is a key with no row left. Without loads, the
    rows whose key the source no longer has. Nothing on a table build. -#}
{% macro contract_checked_gone_rows(entity, source_relation) -%}
    {%- if is_incremental() -%}
    {%- set pk = raw_contract()[entity].primary_key -%}
    {%- set present = contract_column_names(source_relation) -%}
    {%- set load = contract_load_columns(present) -%}
    {%- if '_loaded_at' in present -%}
    delete from {{ this }} as built
    where exists (
        select 1
        from (
            select distinct source_file, loaded_at from {{ this }}
            except
            select distinct {{ load.source_file }}, {{ load.loaded_at }} from {{ source_relation }}
        ) as gone_loads
        where
            gone_loads.source_file is not distinct from built.source_file
            and gone_loads.loaded_at is not distinct from built.loaded_at
    )
    {%- else -%}
    delete from {{ this }} as built
    where not exists (
        select 1
        from {{ source_relation }}
        where {{ contract_text(pk) }} = coalesce(built.{{ pk }}, '')
    )
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The column names of a relation, lower-cased: which contract columns a raw table has. -#}
{% macro contract_column_names(relation) -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do names.append(column.name | lower) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}
