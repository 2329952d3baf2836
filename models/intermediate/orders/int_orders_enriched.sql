{#-
    Incremental: a run rebuilds every order day touched since the last run, that is each day with
    an order whose latest version is not the one built (a late order, a status change, a refund a
    week later, an order whose file was replaced or removed: compared by order and load time, both
    ways) and the last incremental_lookback_days days. Whole days
    keep the batch right for key-based and partition-overwrite strategies alike. On Spark the unit
    is the order month, its table's partition (macro incremental_batch_unit).
-#}
{%- set batch_column = 'order_month' if incremental_batch_unit() == 'month' else 'order_date' -%}
{{ config(
    materialized='incremental',
    unique_key='order_id',
    incremental_strategy=incremental_strategy(),
    partition_by=incremental_partition_by(batch_column),
    on_schema_change='fail',
    post_hook="{{ delete_keys_gone_from(ref('stg_shop__orders'), 'order_id') }}",
    meta={'data_tests_read': 'rows built last'},
) }}

with

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

order_statuses as (
    select * from {{ ref('order_statuses') }}
),

currency_rates as (
    select * from {{ ref('currency_rates') }}
),

dated as (
    select
        order_id,
        customer_id,
        order_status,
        currency_code,
        ordered_at,
        cast(ordered_at as date) as order_date,
        cast({{ dbt.date_trunc('month', 'ordered_at') }} as date) as order_month,
        promised_delivery_date,
        actual_delivery_date,
        gross_amount,
        discount_amount,
        refunded_amount,
        loaded_at
    from orders
),

built as (
    {%- if is_incremental() %}
        select
            max(loaded_at) as last_loaded_at,
            max(order_date) as last_order_date
        from {{ this }}
    {%- else %}
        select
            cast(null as {{ dbt.type_timestamp() }}) as last_loaded_at,
            cast(null as date) as last_order_date
    {%- endif %}
),

touched_units as (
    select dated.{{ batch_column }} as batch_unit
    from dated
    cross join built
    where dated.order_date > {{ dbt.dateadd('day', -(incremental_lookback_days() | int), 'built.last_order_date') }}
    {%- if is_incremental() %}
    union
    -- the days of the versions not built yet, and of the built versions no longer the latest (or gone)
    select changed_versions.{{ batch_column }} as batch_unit
    from (
        (
            select order_id, loaded_at, {{ batch_column }} from dated
            except
            select order_id, loaded_at, {{ batch_column }} from {{ this }}
        )
        union all
        (
            select order_id, loaded_at, {{ batch_column }} from {{ this }}
            except
            select order_id, loaded_at, {{ batch_column }} from dated
        )
    ) as changed_versions
    {%- endif %}
),

batch as (
    select
        dated.order_id,
        dated.customer_id,
        dated.order_status,
        dated.currency_code,
        dated.ordered_at,
        dated.order_date,
        dated.order_month,
        dated.promised_delivery_date,
        dated.actual_delivery_date,
        dated.gross_amount,
        dated.discount_amount,
        dated.refunded_amount,
        dated.loaded_at
    from dated
    cross join built
    where
        built.last_loaded_at is null
        or dated.{{ batch_column }} in (select touched_units.batch_unit from touched_units)
),

final as (
    select
        batch.order_id,
        batch.customer_id,
        batch.order_status,
        order_statuses.counts_as_order,
        batch.currency_code,
        batch.ordered_at,
        batch.order_date,
        batch.order_month,
        batch.promised_delivery_date,
        batch.actual_delivery_date,
        {{ to_usd('batch.gross_amount', 'currency_rates.usd_per_unit') }} as gross_amount_usd,
        {{ to_usd('batch.discount_amount', 'currency_rates.usd_per_unit') }} as discount_amount_usd,
        {{ to_usd('batch.refunded_amount', 'currency_rates.usd_per_unit') }} as refunded_amount_usd,
        {{ to_usd(
            net_revenue('batch.gross_amount', 'batch.discount_amount', 'batch.refunded_amount'),
            'currency_rates.usd_per_unit'
        ) }} as net_revenue_usd,
        batch.loaded_at,
        {{ built_at() }} as built_at
    from batch
    left join order_statuses
        on batch.order_status = order_statuses.order_status
    left join currency_rates
        on batch.currency_code = currency_rates.currency_code
)

-- stored by customer (on DuckDB): the per-customer models downstream read each customer's orders together
select * from final
{{ physical_order('customer_id, ordered_at, order_id') }}
