-- The CLV model tables come from the current customer summaries: a fit made by this run learned
-- from exactly the customers summarised for its purpose up to the same calibration end, a fit kept
-- from an earlier run (doc refit_schedule) is from the as-of date's refit period and not after it,
-- every scored customer has one prediction, and the backtest covers the backtest's customers. On
-- PostgreSQL and Spark `warehouse fit-models` writes these tables beside dbt, so this also catches a
-- fit left over from older data beyond its refit period.
with

summaries as (
    select * from {{ ref('int_customer_transactions_summarised') }}
),

fitted as (
    select * from {{ ref('int_clv_models_fitted') }}
),

predicted as (
    select * from {{ ref('int_customer_clv_predicted') }}
),

holdout as (
    select * from {{ ref('int_clv_holdout_predicted') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

summarised as (
    select
        fit_purpose,
        count(*) as customers,
        max(calibration_end_date) as calibration_end_date
    from summaries
    group by fit_purpose
),

bg_nbd_fits as (
    select distinct
        fitted.fit_purpose,
        fitted.customers_fitted,
        cast(fitted.calibration_end_date as date) as calibration_end_date
    from fitted
    cross join reporting_dates
    where fitted.model = 'bg_nbd' and fitted.fitted_as_of_date = reporting_dates.as_of_date
),

fitted_this_run as (
    -- both purposes are fitted together: none is, when the run kept the stored fit
    select count(*) > 0 as is_fitted
    from bg_nbd_fits
),

schedule_problems as (
    select distinct
        'a kept fit is not from the refit period of the as-of date' as problem,
        fitted.fit_purpose
    from fitted
    cross join reporting_dates
    where {{ outside_refit_period('fitted.fitted_as_of_date', 'reporting_dates.as_of_date') }}
),

fit_problems as (
    select
        'the BG/NBD fit did not learn from the summarised customers' as problem,
        coalesce(summarised.fit_purpose, bg_nbd_fits.fit_purpose) as fit_purpose
    from summarised
    full outer join bg_nbd_fits
        on summarised.fit_purpose = bg_nbd_fits.fit_purpose
    cross join fitted_this_run
    where
        fitted_this_run.is_fitted
        and (
            summarised.fit_purpose is null
            or bg_nbd_fits.fit_purpose is null
            or summarised.customers <> bg_nbd_fits.customers_fitted
            or summarised.calibration_end_date <> bg_nbd_fits.calibration_end_date
        )
),

scored_customers as (
    select customer_id
    from summaries
    where fit_purpose = 'scoring'
),

prediction_problems as (
    select
        'scoring' as fit_purpose,
        'a scored customer has no prediction, or a prediction no scored customer' as problem
    from scored_customers
    full outer join predicted
        on scored_customers.customer_id = predicted.customer_id
    where scored_customers.customer_id is null or predicted.customer_id is null
),

holdout_problems as (
    select
        'backtest' as fit_purpose,
        'the holdout prediction covers other customers than the backtest summaries' as problem
    from holdout
    cross join summarised
    where summarised.fit_purpose = 'backtest' and holdout.customers_in_backtest <> summarised.customers
)

select
    fit_purpose,
    problem
from fit_problems
union all
select
    fit_purpose,
    problem
from schedule_problems
union all
select
    fit_purpose,
    problem
from prediction_problems
union all
select
    fit_purpose,
    problem
from holdout_problems
