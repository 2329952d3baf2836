-- The floor: the retention and repeat-purchase marts computed straight from the raw files in one
-- DuckDB connection, hand-written for speed (no views, no tests, no intermediate tables that are
-- not needed). scripts/benchmarks/floor.py fills in the placeholders in braces: file readers, seed paths, vars.
-- Each statement ends with a semicolon on its own line; floor.py runs them in order.
-- A UTC timestamp or date comes from make_timestamp(epoch_us(x)): exact, and much cheaper than a
-- conversion through the session time zone (the models' utc_timestamp macro does the same).

set TimeZone = 'UTC'
;

create or replace temp table order_statuses as
select order_status, counts_as_order from read_csv({order_statuses_csv}, header = true, all_varchar = false)
;

create or replace temp table currency_rates as
select currency_code, cast(usd_per_unit as decimal(18, 6)) as usd_per_unit
from read_csv({currency_rates_csv}, header = true, all_varchar = true)
;

-- Customers: the contract's row checks, the first valid row of an id within a file, then the
-- latest version (updated_at, then file, then row) across files.
create or replace temp table customers as
with checked as (
    select *,
        row_number() over (partition by filename, customer_id order by file_row) as rank_in_file
    from ({customers_source})
    where
        parsed_ok
        and customer_id is not null and length(customer_id) <= 64
        and signup_at is not null and signup_at <= now() and signup_at >= timestamptz '1990-01-01'
        and (updated_at is null or (updated_at <= now() and updated_at >= timestamptz '1990-01-01'))
        and (email is null or regexp_full_match(email, '[^@\s]+@[^@\s]+\.[^@\s]+'))
)
select customer_id, cast(signup_at as timestamp) as signup_at
from checked
where rank_in_file = 1
qualify row_number() over (
    partition by customer_id order by coalesce(updated_at, signup_at) desc, filename desc, file_row desc
) = 1
;

-- Orders that count, latest version, with net revenue in US dollars rounded to the cent.
create or replace temp table orders as
with checked as (
    select src.*,
        row_number() over (partition by src.filename, src.order_id order by src.file_row) as rank_in_file
    from ({orders_source}) as src
    where
        src.parsed_ok
        and src.order_id is not null and length(src.order_id) <= 64
        and src.customer_id is not null and length(src.customer_id) <= 64
        and src.ordered_at is not null and src.ordered_at <= now() and src.ordered_at >= timestamptz '1990-01-01'
        and (src.updated_at is null or (src.updated_at <= now() and src.updated_at >= timestamptz '1990-01-01'))
        and src.status in (select order_status from order_statuses)
        and src.currency in (select currency_code from currency_rates)
        and src.gross_amount between 0 and 1000000
        and coalesce(src.discount_amount, 0) between 0 and 1000000
        and coalesce(src.refunded_amount, 0) between 0 and 1000000
        and coalesce(src.discount_amount, 0) <= src.gross_amount
        and coalesce(src.refunded_amount, 0) <= src.gross_amount - coalesce(src.discount_amount, 0)
        and (
            src.actual_delivery_date is null
            or src.actual_delivery_date >= cast(make_timestamp(epoch_us(src.ordered_at)) as date) - 1
        )
        and src.customer_id in (select customer_id from customers)
),

latest as (
    select *
    from checked
    where rank_in_file = 1
    qualify row_number() over (
        partition by order_id order by coalesce(updated_at, ordered_at) desc, filename desc, file_row desc
    ) = 1
)

select
    latest.order_id,
    latest.customer_id,
    cast(make_timestamp(epoch_us(latest.ordered_at)) as date) as order_date,
    cast(date_trunc('month', make_timestamp(epoch_us(latest.ordered_at))) as date) as order_month,
    cast(round(
        (latest.gross_amount - coalesce(latest.discount_amount, 0) - coalesce(latest.refunded_amount, 0))
        * currency_rates.usd_per_unit, 2
    ) as decimal(18, 2)) as net_revenue_usd
from latest
inner join order_statuses on latest.status = order_statuses.order_status
inner join currency_rates on latest.currency = currency_rates.currency_code
where order_statuses.counts_as_order
;

create or replace temp table reporting_dates as
select
    as_of_date,
    first_order_month,
    cast(date_trunc('month', as_of_date + 1) - interval 1 month as date) as last_complete_month
from (select {as_of_date} as as_of_date, min(order_month) as first_order_month from orders)
;

-- Per customer and month with an order, up to the last complete month: the sparse heart of the
-- retention marts (the floor never builds the dense customer x month spine).
create or replace temp table customer_months as
select
    orders.customer_id,
    orders.order_month,
    sum(orders.net_revenue_usd) as net_revenue_usd,
    max(orders.order_date) as last_order_date
from orders, reporting_dates
where orders.order_month <= reporting_dates.last_complete_month
group by orders.customer_id, orders.order_month
;

create or replace temp table cohorts as
select customer_id, min(order_month) as cohort_month
from customer_months
group by customer_id
;

create or replace temp table floor_fct_cohort_retention as
with months as (
    select cast(unnest(generate_series(first_order_month, last_complete_month, interval 1 month)) as date) as month_start
    from reporting_dates
),

cohort_sizes as (
    select cohort_month, count(*) as cohort_customers
    from cohorts
    group by cohort_month
),

active as (
    select
        cohorts.cohort_month,
        datediff('month', cohorts.cohort_month, customer_months.order_month) as months_since_first_order,
        count(*) as active_customers,
        sum(customer_months.net_revenue_usd) as net_revenue_usd,
        sum(least(customer_months.net_revenue_usd, first_month.net_revenue_usd)) as retained_capped_usd
    from customer_months
    inner join cohorts on customer_months.customer_id = cohorts.customer_id
    inner join customer_months as first_month
        on first_month.customer_id = cohorts.customer_id and first_month.order_month = cohorts.cohort_month
    group by all
),

first_month_revenue as (
    select cohort_month, net_revenue_usd as first_month_net_revenue_usd
    from active
    where months_since_first_order = 0
)

select
    cohort_sizes.cohort_month,
    cast(datediff('month', cohort_sizes.cohort_month, months.month_start) as integer) as months_since_first_order,
    cast(cohort_sizes.cohort_customers as integer) as cohort_customers,
    cast(coalesce(active.active_customers, 0) as integer) as active_customers,
    coalesce(active.active_customers, 0) / cohort_sizes.cohort_customers as retention_rate,
    cast(coalesce(active.net_revenue_usd, 0) as decimal(18, 2)) as net_revenue_usd,
    cast(coalesce(active.net_revenue_usd, 0) as double)
        / nullif(first_month_revenue.first_month_net_revenue_usd, 0) as net_revenue_retention_rate,
    cast(coalesce(active.retained_capped_usd, 0) as double)
        / nullif(first_month_revenue.first_month_net_revenue_usd, 0) as gross_revenue_retention_rate
from cohort_sizes
inner join months on months.month_start >= cohort_sizes.cohort_month
inner join first_month_revenue on cohort_sizes.cohort_month = first_month_revenue.cohort_month
left join active
    on active.cohort_month = cohort_sizes.cohort_month
    and active.months_since_first_order = datediff('month', cohort_sizes.cohort_month, months.month_start)
;

-- Customer states at month ends without a dense spine: an order on day d makes its customer a
-- customer at every month end in [d, d + window - 1], at most a handful of month ends per order.
create or replace temp table floor_fct_retention_periods as
with months as (
    select
        cast(month_start as date) as month_start,
        cast(month_start + interval 1 month - interval 1 day as date) as month_end
    from (
        select unnest(generate_series(first_order_month, last_complete_month, interval 1 month)) as month_start
        from reporting_dates
    )
),

customer_at_month_end as (
    select distinct customer_months.customer_id, months.month_start
    from customer_months
    inner join months
        on months.month_end >= customer_months.last_order_date
        and months.month_end < customer_months.last_order_date + {active_window_days}
),

with_previous as (
    select
        customer_id,
        month_start,
        lag(month_start) over (partition by customer_id order by month_start) as previous_month_start
    from customer_at_month_end
),

ends as (
    select
        with_previous.month_start,
        count(*) as customers_at_end,
        count(*) filter (
            where with_previous.previous_month_start = cast(with_previous.month_start - interval 1 month as date)
        ) as stayed,
        count(*) filter (where cohorts.cohort_month = with_previous.month_start) as new_customers
    from with_previous
    inner join cohorts on with_previous.customer_id = cohorts.customer_id
    group by with_previous.month_start
),

activity as (
    select order_month as month_start, count(*) as active_customers, sum(net_revenue_usd) as net_revenue_usd
    from customer_months
    group by order_month
),

counted as (
    select
        months.month_start as period_month,
        coalesce(lag(ends.customers_at_end) over (order by months.month_start), 0) as customers_at_start,
        coalesce(ends.new_customers, 0) as new_customers,
        coalesce(ends.customers_at_end, 0) - coalesce(ends.stayed, 0) - coalesce(ends.new_customers, 0)
            as reactivated_customers,
        coalesce(lag(ends.customers_at_end) over (order by months.month_start), 0) - coalesce(ends.stayed, 0)
            as churned_customers,
        coalesce(ends.customers_at_end, 0) as customers_at_end,
        coalesce(activity.active_customers, 0) as active_customers,
        coalesce(activity.net_revenue_usd, 0) as net_revenue_usd
    from months
    left join ends on months.month_start = ends.month_start
    left join activity on months.month_start = activity.month_start
)

select
    period_month,
    cast(customers_at_start as integer) as customers_at_start,
    cast(new_customers as integer) as new_customers,
    cast(reactivated_customers as integer) as reactivated_customers,
    cast(churned_customers as integer) as churned_customers,
    cast(customers_at_end as integer) as customers_at_end,
    cast(active_customers as integer) as active_customers,
    cast(net_revenue_usd as decimal(18, 2)) as net_revenue_usd,
    cast(customers_at_end - new_customers as double) / nullif(customers_at_start, 0) * 100 as crr_pct,
    cast(churned_customers as double) / nullif(customers_at_start, 0) * 100 as churn_rate_pct
from counted
;

-- One row per customer (orders up to the as-of date).
create or replace temp table customer_orders as
with ordered as (
    select
        orders.customer_id,
        orders.order_date,
        orders.net_revenue_usd,
        lag(orders.order_date) over (partition by orders.customer_id order by orders.order_date, orders.order_id)
            as previous_order_date
    from orders, reporting_dates
    where orders.order_date <= reporting_dates.as_of_date
)

select
    customer_id,
    min(order_date) as first_order_date,
    max(order_date) as last_order_date,
    min(order_date) filter (where previous_order_date is not null) as second_order_date,
    count(*) as order_count,
    sum(net_revenue_usd) as net_revenue_usd,
    max(order_date) filter (where order_date - previous_order_date >= {active_window_days}) as last_reactivation_date
from ordered
group by customer_id
;

create or replace temp table floor_dim_customers as
select
    customers.customer_id,
    customer_orders.first_order_date,
    customer_orders.last_order_date,
    cast(coalesce(customer_orders.order_count, 0) as integer) as order_count,
    cast(coalesce(customer_orders.net_revenue_usd, 0) as decimal(18, 2)) as net_revenue_usd,
    cast(date_trunc('month', customer_orders.first_order_date) as date) as cohort_month,
    case
        when customer_orders.first_order_date is null then 'never_purchased'
        when reporting_dates.as_of_date - customer_orders.last_order_date >= {active_window_days} then 'churned'
        when reporting_dates.as_of_date - customer_orders.first_order_date < {new_customer_days} then 'new'
        when reporting_dates.as_of_date - customer_orders.last_reactivation_date < {new_customer_days}
            then 'reactivated'
        when reporting_dates.as_of_date - customer_orders.last_order_date < {at_risk_after_days} then 'active'
        else 'at_risk'
    end as lifecycle_status,
    coalesce(customer_orders.order_count, 0) > 1 as is_repeat_customer
from customers
left join customer_orders on customers.customer_id = customer_orders.customer_id
cross join reporting_dates
;

create or replace temp table floor_fct_repeat_purchase as
with measured as (
    select
        cast(date_trunc('month', customer_orders.first_order_date) as date) as cohort_month,
        customer_orders.order_count > 1 as is_repeat_customer,
        customer_orders.second_order_date - customer_orders.first_order_date as days_to_second_order,
        reporting_dates.as_of_date - customer_orders.first_order_date as days_observed
    from customer_orders, reporting_dates
)

select
    cohort_month,
    cast(count(*) as integer) as cohort_customers,
    cast(count(*) filter (where is_repeat_customer) as integer) as repeat_customers,
    count(*) filter (where is_repeat_customer) / count(*) as repeat_purchase_rate,
    cast(quantile_cont(days_to_second_order, 0.5) as double) as median_days_to_second_order,
    cast(count(*) filter (where days_observed >= 30) as integer) as customers_observed_30d,
    count(*) filter (where days_observed >= 30 and days_to_second_order <= 30)
        / nullif(count(*) filter (where days_observed >= 30), 0) as repeat_within_30d_rate,
    cast(count(*) filter (where days_observed >= 90) as integer) as customers_observed_90d,
    count(*) filter (where days_observed >= 90 and days_to_second_order <= 90)
        / nullif(count(*) filter (where days_observed >= 90), 0) as repeat_within_90d_rate,
    cast(count(*) filter (where days_observed >= 365) as integer) as customers_observed_365d,
    count(*) filter (where days_observed >= 365 and days_to_second_order <= 365)
        / nullif(count(*) filter (where days_observed >= 365), 0) as repeat_within_365d_rate
from measured
group by cohort_month
;

-- The inputs of the CLV fits, per fit purpose and customer: purchases are days with a counted
-- order, valued at the day's net revenue; times in units of the clv_time_unit_days var.
create or replace temp table clv_summaries as
with purchase_days as (
    select customer_id, order_date as purchase_date, sum(net_revenue_usd) as net_revenue_usd
    from orders
    group by customer_id, order_date
),

windows as (
    select 'scoring' as fit_purpose, as_of_date as calibration_end_date, as_of_date as holdout_end_date
    from reporting_dates
    union all
    select 'backtest', {calibration_end_date}, {holdout_end_date}
    from reporting_dates
),

firsts as (
    select customer_id, min(purchase_date) as first_purchase_date
    from purchase_days
    group by customer_id
)

select
    windows.fit_purpose,
    purchase_days.customer_id,
    any_value(windows.calibration_end_date) as calibration_end_date,
    any_value(windows.holdout_end_date) as holdout_end_date,
    count(*) filter (
        where purchase_days.purchase_date > firsts.first_purchase_date
        and purchase_days.purchase_date <= windows.calibration_end_date
    ) as frequency,
    cast(max(purchase_days.purchase_date) filter (where purchase_days.purchase_date <= windows.calibration_end_date)
        - any_value(firsts.first_purchase_date) as double) / {clv_time_unit_days} as recency,
    cast(any_value(windows.calibration_end_date) - any_value(firsts.first_purchase_date) as double)
        / {clv_time_unit_days} as customer_age,
    coalesce(cast(avg(purchase_days.net_revenue_usd) filter (
        where purchase_days.purchase_date > firsts.first_purchase_date
        and purchase_days.purchase_date <= windows.calibration_end_date
    ) as double), 0) as average_repeat_value_usd,
    count(*) filter (where purchase_days.purchase_date > windows.calibration_end_date) as holdout_purchases
from purchase_days
inner join firsts on purchase_days.customer_id = firsts.customer_id
cross join windows
where
    firsts.first_purchase_date <= windows.calibration_end_date
    and purchase_days.purchase_date <= windows.holdout_end_date
group by windows.fit_purpose, purchase_days.customer_id
;
