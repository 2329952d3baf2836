{#- Churn-risk signals per customer at snapshot dates (macro churn_snapshot_dates), from what was
    known on that date:
    - train: churn_training_snapshots month ends, the latest on or before the first day of the as-of
      month - 2 × churn_outcome_days; the churn model is fitted on all of them (so every outcome it
      learns from ended before the test date);
    - test: as-of date - churn_outcome_days; the backtest scores it with the fitted model;
    - current: the as-of date; fct_churn_risk.
    A customer is in a snapshot when they had a counted order on or before its date. The outcome,
    known for train and test only, is "no counted order in the churn_outcome_days after the date".
    Snapshot dates never coincide, so snapshot_date with customer_id is the key.

    Incremental (DuckDB, PostgreSQL; a table elsewhere): the test and current snapshots move with the
    as-of date and are computed on every run; a training snapshot is computed once and kept while it
    is listed and its inputs are those it was computed from: the same orders up to the end of its
    outcome window (orders_digest, from every order's load time and order time), the same latest
    answer and the same ignored complaints for each of its customers (compared row by row). A
    post-hook deletes the snapshots no longer listed. -#}
{{ config(
    materialized='incremental' if incremental_strategy() == 'delete+insert' else 'table',
    incremental_strategy='delete+insert',
    unique_key='snapshot_date',
    on_schema_change='fail',
    post_hook="{{ delete_churn_snapshots_not_listed() }}",
    meta={'data_tests_read': 'rows built last'},
) }}
{%- set outcome_days = var('churn_outcome_days') | int -%}
with

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

responses as (
    select * from {{ ref('int_survey_responses_enriched') }}
),

tickets as (
    select * from {{ ref('int_support_tickets_enriched') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

snapshots as (
    {{ churn_snapshot_dates('reporting_dates') }}
),

-- Per order day, a sum over its orders' versions: each version adds a number made of its load time
-- and its order time. A run that adds, changes or removes an order (a late order, a new status, a
-- replaced or removed file, an order whose customer is no longer valid) changes the sum of its day.
order_versions_by_day as (
    select
        order_date,
        sum(
            cast({{ epoch_microseconds('loaded_at') }} as decimal(38, 0)) * 1000003
            + cast({{ epoch_microseconds('ordered_at') }} as decimal(38, 0))
        ) as versions_sum
    from orders
    group by order_date
),

-- The orders a snapshot reads are those up to the end of its outcome window.
snapshot_digests as (
    select
        snapshots.snapshot_date,
        cast(mod(sum(order_versions_by_day.versions_sum), 2305843009213693951) as bigint) as orders_digest
    from snapshots
    inner join order_versions_by_day
        on order_versions_by_day.order_date <= {{ add_days('snapshots.snapshot_date', outcome_days) }}
    group by snapshots.snapshot_date
),

ranked_answers as (
    select
        snapshots.snapshot_date,
        responses.customer_id,
        responses.nps_category,
        row_number() over (
            partition by snapshots.snapshot_date, responses.customer_id
            order by responses.responded_at desc, responses.response_id desc
        ) as answer_rank
    from responses
    cross join snapshots
    where
        responses.is_matched
        and {{ is_within_days_before('responses.responded_date', 'snapshots.snapshot_date', 180) }}
),

ignored_complaints as (
    select
        snapshots.snapshot_date,
        tickets.customer_id,
        count(*) as ignored_complaints_last_90d
    from tickets
    cross join snapshots
    where
        tickets.is_ignored_complaint
        and tickets.response_due_date <= snapshots.snapshot_date
        and {{ is_within_days_before('tickets.opened_date', 'snapshots.snapshot_date', 90) }}
    group by snapshots.snapshot_date, tickets.customer_id
),

latest_answers as (
    select
        snapshot_date,
        customer_id,
        nps_category
    from ranked_answers
    where answer_rank = 1
),

-- What the table holds (one row of nulls on a full build, which keeps nothing).
built_rows as (
    {%- if is_incremental() %}
        select
            snapshot_purpose,
            snapshot_date,
            customer_id,
            latest_nps_category_180d,
            ignored_complaints_last_90d,
            orders_digest
        from {{ this }}
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as snapshot_purpose,
            cast(null as date) as snapshot_date,
            cast(null as {{ dbt.type_string() }}) as customer_id,
            cast(null as {{ dbt.type_string() }}) as latest_nps_category_180d,
            cast(null as {{ dbt.type_bigint() }}) as ignored_complaints_last_90d,
            cast(null as {{ dbt.type_bigint() }}) as orders_digest
    {%- endif %}
),

built_snapshots as (
    select
        snapshot_purpose,
        snapshot_date,
        min(orders_digest) as orders_digest
    from built_rows
    group by snapshot_purpose, snapshot_date
),

-- Training snapshots with a customer whose latest answer or ignored complaints are not those built.
-- (A customer enters or leaves a snapshot only through their orders, which the digest covers.)
changed_customer_snapshots as (
    select distinct built_rows.snapshot_date
    from built_rows
    left join latest_answers
        on
            built_rows.snapshot_date = latest_answers.snapshot_date
            and built_rows.customer_id = latest_answers.customer_id
    left join ignored_complaints
        on
            built_rows.snapshot_date = ignored_complaints.snapshot_date
            and built_rows.customer_id = ignored_complaints.customer_id
    where
        built_rows.snapshot_purpose = 'train'
        and (
            coalesce(built_rows.latest_nps_category_180d, '') <> coalesce(latest_answers.nps_category, '')
            or built_rows.ignored_complaints_last_90d <> coalesce(ignored_complaints.ignored_complaints_last_90d, 0)
        )
),

-- Training snapshots built from the same orders, answers and complaints: kept.
kept_snapshots as (
    select built_snapshots.snapshot_date
    from built_snapshots
    inner join snapshots
        on
            built_snapshots.snapshot_date = snapshots.snapshot_date
            and built_snapshots.snapshot_purpose = snapshots.snapshot_purpose
    inner join snapshot_digests
        on
            built_snapshots.snapshot_date = snapshot_digests.snapshot_date
            and built_snapshots.orders_digest = snapshot_digests.orders_digest
    where
        snapshots.snapshot_purpose = 'train'
        and not exists (
            select 1
            from changed_customer_snapshots
            where changed_customer_snapshots.snapshot_date = built_snapshots.snapshot_date
        )
),

-- the snapshots this run computes
batch_snapshots as (
    select
        snapshot_purpose,
        snapshot_date,
        has_outcome
    from snapshots
    where not exists (
        select 1
        from kept_snapshots
        where kept_snapshots.snapshot_date = snapshots.snapshot_date
    )
),

order_facts as (
    select
        snapshots.snapshot_date,
        orders.customer_id,
        orders.order_date,
        orders.counts_as_order,
        orders.order_status,
        orders.net_revenue_usd,
        orders.order_date <= snapshots.snapshot_date as is_known,
        {{ days_between('orders.order_date', 'snapshots.snapshot_date') }} as days_before_snapshot,
        orders.actual_delivery_date is not null
        and orders.actual_delivery_date <= snapshots.snapshot_date as is_delivery_known,
        orders.actual_delivery_date > orders.promised_delivery_date as is_late
    from orders
    cross join batch_snapshots as snapshots
    where orders.order_date <= {{ add_days('snapshots.snapshot_date', outcome_days) }}
),

-- Grouped by date and customer only (the purpose follows from the date): at 10M orders a narrower
-- key and count() instead of sum(case ... 1 else 0) cut this aggregate's time by a third and its
-- memory by almost half.
per_customer as (
    select
        snapshot_date,
        customer_id,
        min(case when is_known and counts_as_order then order_date end) as first_order_date,
        max(case when is_known and counts_as_order then order_date end) as last_order_date,
        count(case when is_known and counts_as_order then 1 end) as order_count,
        max(case when is_known and counts_as_order and is_delivery_known and is_late then order_date end)
            as last_late_order_date,
        count(case when counts_as_order and days_before_snapshot between 0 and 89 then 1 end)
            as orders_last_90d,
        count(case when counts_as_order and days_before_snapshot between 90 and 179 then 1 end)
            as orders_prior_90d,
        sum(
            case when counts_as_order and days_before_snapshot between 0 and 89 then net_revenue_usd else 0 end
        ) as net_revenue_last_90d,
        sum(
            case when counts_as_order and days_before_snapshot between 90 and 179 then net_revenue_usd else 0 end
        ) as net_revenue_prior_90d,
        count(case when is_delivery_known and days_before_snapshot between 0 and 179 then 1 end)
            as deliveries_last_180d,
        count(case when is_delivery_known and is_late and days_before_snapshot between 0 and 179 then 1 end)
            as late_deliveries_last_180d,
        count(
            case
                when order_status in ('returned', 'payment_failed') and days_before_snapshot between 0 and 89 then 1
            end
        ) as returns_or_failed_payments_last_90d,
        count(case when counts_as_order and not is_known then 1 end) as orders_in_outcome_window
    from order_facts
    group by snapshot_date, customer_id
),

signals as (
    select
        snapshots.snapshot_purpose,
        per_customer.snapshot_date,
        per_customer.customer_id,
        per_customer.first_order_date,
        per_customer.last_order_date,
        per_customer.order_count,
        per_customer.orders_last_90d,
        per_customer.orders_prior_90d,
        per_customer.net_revenue_last_90d,
        per_customer.net_revenue_prior_90d,
        per_customer.late_deliveries_last_180d,
        per_customer.returns_or_failed_payments_last_90d,
        latest_answers.nps_category as latest_nps_category_180d,
        coalesce(ignored_complaints.ignored_complaints_last_90d, 0) as ignored_complaints_last_90d,
        {{ days_between('per_customer.last_order_date', 'per_customer.snapshot_date') }}
            as days_since_last_order,
        {{ days_between('per_customer.first_order_date', 'per_customer.snapshot_date') }}
            as tenure_days,
        case
            when per_customer.order_count > 1
                then cast(
                    {{ days_between('per_customer.first_order_date', 'per_customer.last_order_date') }}
                    as {{ type_double() }}
                ) / (per_customer.order_count - 1)
        end as usual_gap_days,
        {{ safe_ratio('per_customer.late_deliveries_last_180d', 'per_customer.deliveries_last_180d') }}
            as late_delivery_share_180d,
        coalesce(per_customer.last_late_order_date = per_customer.last_order_date, false)
            as is_last_order_late,
        {{ is_customer_at('per_customer.last_order_date', 'per_customer.snapshot_date') }}
            as is_customer_at_snapshot,
        case
            when snapshots.has_outcome then per_customer.orders_in_outcome_window = 0
        end as churned_in_outcome_window,
        snapshot_digests.orders_digest
    from per_customer
    inner join batch_snapshots as snapshots
        on per_customer.snapshot_date = snapshots.snapshot_date
    left join snapshot_digests
        on per_customer.snapshot_date = snapshot_digests.snapshot_date
    left join latest_answers
        on
            per_customer.snapshot_date = latest_answers.snapshot_date
            and per_customer.customer_id = latest_answers.customer_id
    left join ignored_complaints
        on
            per_customer.snapshot_date = ignored_complaints.snapshot_date
            and per_customer.customer_id = ignored_complaints.customer_id
    where per_customer.order_count > 0
),

final as (
    select
        snapshot_purpose,
        snapshot_date,
        customer_id,
        first_order_date,
        last_order_date,
        order_count,
        days_since_last_order,
        tenure_days,
        usual_gap_days,
        orders_last_90d,
        orders_prior_90d,
        net_revenue_last_90d,
        net_revenue_prior_90d,
        late_deliveries_last_180d,
        late_delivery_share_180d,
        returns_or_failed_payments_last_90d,
        is_last_order_late,
        latest_nps_category_180d,
        ignored_complaints_last_90d,
        is_customer_at_snapshot,
        churned_in_outcome_window,
        orders_digest,
        -- the churn model's inputs (seed churn_signals names each and its reason code)
        returns_or_failed_payments_last_90d as feature_returns_or_failed_payments,
        ln(1 + days_since_last_order) as feature_days_since_last_order,
        case
            when usual_gap_days > 0 then ln(1 + days_since_last_order / usual_gap_days) else 0
        end as feature_overdue_vs_usual_gap,
        case when order_count = 1 then 1 else 0 end as feature_one_time_buyer,
        ln(1 + order_count) as feature_order_count,
        orders_last_90d - orders_prior_90d as feature_order_trend,
        coalesce(late_delivery_share_180d, 0) as feature_late_delivery_share,
        case when is_last_order_late then 1 else 0 end as feature_last_order_late,
        case when latest_nps_category_180d = 'detractor' then 1 else 0 end as feature_recent_detractor,
        case when ignored_complaints_last_90d > 0 then 1 else 0 end as feature_ignored_complaint,
        {{ built_at() }} as built_at
    from signals
)

select * from final
