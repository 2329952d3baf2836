{#-
    One row per customer per calendar month, from the customer's cohort month to the last
    complete month, months without orders included. Every retention mart reads this model,
    so "active", "is a customer", "new", "reactivated" and "churned" exist once.

    Incremental: a customer's month depends only on their orders up to that month's end, so a run
    rebuilds every month from the earliest month touched since the last run (a month whose counted
    orders of a customer are not those built: a late, changed, cancelled or removed order, found by
    comparing each built customer month with its orders now; a month of the last
    incremental_lookback_days days; the first month not yet built) for every customer, carrying
    each customer's last order before it forward.
    Whole months keep the batch right for key-based and partition-overwrite strategies alike, and a
    customer whose first order changes or is cancelled gets their cohort from the orders as they are.
-#}
{{ config(
    materialized='incremental',
    unique_key='month_start',
    incremental_strategy=incremental_strategy(),
    partition_by=incremental_partition_by('month_start'),
    on_schema_change='fail',
    post_hook="{{ delete_months_after_last_complete() }}",
    meta={'data_tests_read': 'rows built last'},
) }}

with

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

month_numbers as (
    {{ dbt.generate_series(1200) }}
),

built as (
    {%- if is_incremental() %}
        select
            max(month_start) as last_built_month,
            max(last_order_date_in_month) as last_order_date
        from {{ this }}
    {%- else %}
        select
            cast(null as date) as last_built_month,
            cast(null as date) as last_order_date
    {%- endif %}
),

counted_orders as (
    select
        orders.customer_id,
        orders.order_month,
        orders.order_date,
        orders.net_revenue_usd,
        orders.loaded_at
    from orders
    cross join reporting_dates
    where
        orders.counts_as_order
        and orders.order_month <= reporting_dates.last_complete_month
),

-- each customer's months with counted orders: what the spine is built from, and (incremental) what
-- the built months are compared with
customer_months as (
    select
        counted_orders.customer_id,
        counted_orders.order_month,
        count(*) as counted_orders,
        coalesce(sum(counted_orders.net_revenue_usd), 0) as net_revenue_usd,
        max(counted_orders.order_date) as last_order_date_in_month,
        max(counted_orders.loaded_at) as orders_loaded_at
    from counted_orders
    group by counted_orders.customer_id, counted_orders.order_month
),

{%- if is_incremental() %}

built_customer_months as (
    select
        customer_id,
        month_start as order_month,
        counted_orders,
        net_revenue_usd,
        last_order_date_in_month,
        orders_loaded_at
    from {{ this }}
    where counted_orders > 0
),
{%- endif %}

touched_months as (
    select orders.order_month as month_start
    from orders
    cross join built
    where orders.order_date > {{ dbt.dateadd('day', -(incremental_lookback_days() | int), 'built.last_order_date') }}
    union all
    select cast({{ dbt.dateadd('month', 1, 'built.last_built_month') }} as date) as month_start
    from built
    {%- if is_incremental() %}
    union all
    -- the customer months whose counted orders differ from those built (compared both ways)
    select changed_months.order_month as month_start
    from (
        (
            select * from customer_months
            except
            select * from built_customer_months
        )
        union all
        (
            select * from built_customer_months
            except
            select * from customer_months
        )
    ) as changed_months
    {%- endif %}
),

rebuild_from as (
    select
        coalesce(
            (select min(touched_months.month_start) from touched_months), reporting_dates.first_order_month
        ) as month_start
    from reporting_dates
),

cohorts as (
    select
        counted_orders.customer_id,
        min(counted_orders.order_month) as cohort_month,
        max(
            case when counted_orders.order_month < rebuild_from.month_start then counted_orders.order_date end
        ) as last_order_date_before_rebuild
    from counted_orders
    cross join rebuild_from
    group by counted_orders.customer_id
),

customer_months_with_orders as (
    select
        customer_months.customer_id,
        customer_months.order_month,
        customer_months.counted_orders,
        customer_months.net_revenue_usd,
        customer_months.last_order_date_in_month,
        customer_months.orders_loaded_at
    from customer_months
    cross join rebuild_from
    where customer_months.order_month >= rebuild_from.month_start
),

month_offsets as (
    select generated_number - 1 as month_index
    from month_numbers
),

calendar_months as (
    select
        {{ dbt.dateadd('month', 'month_offsets.month_index', 'reporting_dates.first_order_month') }}
            as month_start
    from month_offsets
    cross join reporting_dates
),

reporting_months as (
    select cast(calendar_months.month_start as date) as month_start
    from calendar_months
    cross join reporting_dates
    cross join rebuild_from
    where
        calendar_months.month_start <= reporting_dates.last_complete_month
        and calendar_months.month_start >= rebuild_from.month_start
),

spine as (
    select
        cohorts.customer_id,
        cohorts.cohort_month,
        reporting_months.month_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'reporting_months.month_start')) }} as date)
            as month_end,
        {{ dbt.datediff('cohorts.cohort_month', 'reporting_months.month_start', 'month') }}
            as months_since_first_order,
        coalesce(customer_months_with_orders.counted_orders, 0) as counted_orders,
        cast(coalesce(customer_months_with_orders.net_revenue_usd, 0) as decimal(18, 2)) as net_revenue_usd,
        customer_months_with_orders.last_order_date_in_month,
        customer_months_with_orders.orders_loaded_at,
        cohorts.last_order_date_before_rebuild
    from cohorts
    inner join reporting_months
        on cohorts.cohort_month <= reporting_months.month_start
    left join customer_months_with_orders
        on
            cohorts.customer_id = customer_months_with_orders.customer_id
            and reporting_months.month_start = customer_months_with_orders.order_month
),

with_last_order as (
    select
        customer_id,
        cohort_month,
        month_start,
        month_end,
        months_since_first_order,
        counted_orders,
        net_revenue_usd,
        last_order_date_in_month,
        orders_loaded_at,
        coalesce(
            max(last_order_date_in_month) over (
                partition by customer_id order by month_start rows between unbounded preceding and current row
            ),
            last_order_date_before_rebuild
        ) as last_order_date_to_month_end,
        coalesce(
            max(last_order_date_in_month) over (
                partition by customer_id order by month_start rows between unbounded preceding and 1 preceding
            ),
            last_order_date_before_rebuild
        ) as last_order_date_to_month_start
    from spine
),

with_status as (
    select
        customer_id,
        cohort_month,
        month_start,
        month_end,
        months_since_first_order,
        counted_orders,
        net_revenue_usd,
        last_order_date_in_month,
        orders_loaded_at,
        last_order_date_to_month_end,
        counted_orders > 0 as is_active,
        {{ is_customer_at(
            'last_order_date_to_month_start', dbt.dateadd('day', -1, 'month_start')
        ) }} as is_customer_at_month_start,
        {{ is_customer_at('last_order_date_to_month_end', 'month_end') }} as is_customer_at_month_end,
        month_start = cohort_month as is_new
    from with_last_order
),

final as (
    select
        customer_id,
        cohort_month,
        month_start,
        month_end,
        months_since_first_order,
        counted_orders,
        net_revenue_usd,
        last_order_date_in_month,
        orders_loaded_at,
        last_order_date_to_month_end,
        is_active,
        is_customer_at_month_start,
        is_customer_at_month_end,
        is_new,
        not is_new and not is_customer_at_month_start and is_customer_at_month_end as is_reactivated,
        is_customer_at_month_start and not is_customer_at_month_end as is_churned,
        {{ built_at() }} as built_at
    from with_status
)

select * from final
