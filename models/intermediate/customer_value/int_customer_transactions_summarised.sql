{#- The inputs of the BG/NBD and Gamma-Gamma models, per customer, for two fits:
    - scoring: calibration ends at the as-of date; the scores in dim_customers come from this fit;
    - backtest: calibration ends at clv_calibration_end_date, and purchases up to
      clv_holdout_end_date are counted as the holdout that fct_clv_holdout compares with.
    A purchase is a day with a counted order (a day's orders are one purchase, as in the papers);
    its value is that day's net revenue. Times are in units of clv_time_unit_days days. -#}
{#- A table, not a view: several models and tests read it, and at scale a view is recomputed for each. -#}
{{ config(materialized='table') }}

with

purchase_days as (
    select * from {{ ref('int_customer_purchase_days_aggregated') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

first_purchases as (
    select
        customer_id,
        min(purchase_date) as first_purchase_date
    from purchase_days
    group by customer_id
),

fit_windows as (
    select
        'scoring' as fit_purpose,
        as_of_date as calibration_end_date,
        as_of_date as holdout_end_date
    from reporting_dates
    union all
    select
        'backtest' as fit_purpose,
        {{ clv_calibration_end_date('reporting_dates.as_of_date') }} as calibration_end_date,
        {{ clv_holdout_end_date('reporting_dates.as_of_date') }} as holdout_end_date
    from reporting_dates
),

windowed as (
    select
        fit_windows.fit_purpose,
        fit_windows.calibration_end_date,
        fit_windows.holdout_end_date,
        purchase_days.customer_id,
        first_purchases.first_purchase_date,
        purchase_days.purchase_date,
        purchase_days.net_revenue_usd,
        purchase_days.purchase_date > first_purchases.first_purchase_date
        and purchase_days.purchase_date <= fit_windows.calibration_end_date as is_calibration_repeat,
        purchase_days.purchase_date > fit_windows.calibration_end_date as is_holdout
    from purchase_days
    inner join first_purchases
        on purchase_days.customer_id = first_purchases.customer_id
    cross join fit_windows
    where
        first_purchases.first_purchase_date <= fit_windows.calibration_end_date
        and purchase_days.purchase_date <= fit_windows.holdout_end_date
),

summarised as (
    select
        fit_purpose,
        customer_id,
        calibration_end_date,
        holdout_end_date,
        first_purchase_date,
        max(case when purchase_date <= calibration_end_date then purchase_date end) as last_purchase_date,
        {{ dbt.datediff(
            'first_purchase_date', 'max(case when purchase_date <= calibration_end_date then purchase_date end)', 'day'
        ) }} as recency_days,
        {{ dbt.datediff('first_purchase_date', 'calibration_end_date', 'day') }}
            as age_days,
        sum(case when is_calibration_repeat then 1 else 0 end) as frequency,
        -- an exact decimal sum divided as a double: avg() of a decimal is a double on DuckDB, exact on
        -- PostgreSQL and rounded to 6 places on Spark, and the CLV fit must see the same m everywhere
        cast(sum(case when is_calibration_repeat then net_revenue_usd end) as {{ type_double() }})
        / nullif(sum(case when is_calibration_repeat then 1 else 0 end), 0) as average_repeat_value_usd,
        sum(case when is_holdout then 1 else 0 end) as holdout_purchases
    from windowed
    group by fit_purpose, customer_id, calibration_end_date, holdout_end_date, first_purchase_date
),

final as (
    select
        fit_purpose,
        customer_id,
        calibration_end_date,
        holdout_end_date,
        first_purchase_date,
        last_purchase_date,
        frequency,
        cast(recency_days as {{ type_double() }}) / {{ var('clv_time_unit_days') }} as recency,
        cast(age_days as {{ type_double() }}) / {{ var('clv_time_unit_days') }} as customer_age,
        cast(coalesce(average_repeat_value_usd, 0) as {{ type_double() }}) as average_repeat_value_usd,
        holdout_purchases
    from summarised
)

select * from final
