-- The churn model tables come from the current signals and seed churn_signals: the fit has one term
-- per signal of the seed plus the intercept; a fit made by this run learned from exactly the
-- customers at the training snapshots (of its md5 sample when sampled; the latest of them its date),
-- a fit kept from an earlier run (doc refit_schedule) is from the as-of date's refit period and not
-- after it; and every customer of the test and current snapshots has one score (training snapshots
-- are only fitted on). On PostgreSQL and Spark `warehouse fit-models` writes these tables beside
-- dbt, so this also catches a fit left over from older data beyond its refit period.
with

signals as (
    select * from {{ ref('int_customer_churn_signals_computed') }}
),

scored_signals as (
    select
        snapshot_purpose,
        customer_id
    from signals
    where snapshot_purpose <> 'train'
),

seed_signals as (
    select * from {{ ref('churn_signals') }}
),

fitted as (
    select * from {{ ref('int_churn_model_fitted') }}
),

scored as (
    select * from {{ ref('int_customer_churn_scored') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

samples as (
    select distinct training_sample_md5_below
    from fitted
),

trained as (
    select
        count(*) as customers,
        max(signals.snapshot_date) as snapshot_date
    from signals
    cross join samples
    where
        signals.snapshot_purpose = 'train'
        and signals.is_customer_at_snapshot
        and (
            samples.training_sample_md5_below is null
            or substr({{ dbt.hash('signals.customer_id') }}, 1, 8) < samples.training_sample_md5_below
        )
),

fits as (
    select distinct
        fitted.customers_trained,
        cast(fitted.snapshot_date as date) as snapshot_date
    from fitted
    cross join reporting_dates
    where fitted.fitted_as_of_date = reporting_dates.as_of_date
),

schedule_problems as (
    select distinct 'the kept churn fit is not from the refit period of the as-of date' as problem
    from fitted
    cross join reporting_dates
    where {{ outside_refit_period('fitted.fitted_as_of_date', 'reporting_dates.as_of_date') }}
),

fit_problems as (
    select 'the churn fit did not learn from the customers at the training snapshots' as problem
    from fits
    cross join trained
    where
        fits.customers_trained <> trained.customers
        or fits.snapshot_date <> trained.snapshot_date
),

expected_terms as (
    select feature as term
    from seed_signals
    union all
    select 'intercept' as term
),

term_problems as (
    select 'a signal of seed churn_signals has no fitted term, or a term no signal' as problem
    from expected_terms
    full outer join fitted
        on expected_terms.term = fitted.term
    where expected_terms.term is null or fitted.term is null
),

score_problems as (
    select 'a customer of a scored snapshot has no score, or a score no customer' as problem
    from scored_signals
    full outer join scored
        on
            scored_signals.snapshot_purpose = scored.snapshot_purpose
            and scored_signals.customer_id = scored.customer_id
    where scored_signals.customer_id is null or scored.customer_id is null
)

select problem from fit_problems
union all
select problem from schedule_problems
union all
select problem from term_problems
union all
select problem from score_problems
