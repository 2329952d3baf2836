-- The cohort mart and the customer dimension agree on who is in which cohort, for every cohort
-- the cohort mart reports (up to the last complete month; a later cohort is in dim_customers only).
with

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

cohort_sizes as (
    select
        cohort_month,
        cohort_customers
    from {{ ref('fct_cohort_retention') }}
    where months_since_first_order = 0
),

customers_per_cohort as (
    select
        cohort_month,
        count(*) as customers
    from {{ ref('dim_customers') }}
    where cohort_month <= (select reporting_dates.last_complete_month from reporting_dates)
    group by cohort_month
)

select
    cohort_sizes.cohort_customers,
    customers_per_cohort.customers,
    coalesce(cohort_sizes.cohort_month, customers_per_cohort.cohort_month) as cohort_month
from cohort_sizes
full outer join customers_per_cohort
    on cohort_sizes.cohort_month = customers_per_cohort.cohort_month
where
    cohort_sizes.cohort_customers is null
    or customers_per_cohort.customers is null
    or cohort_sizes.cohort_customers <> customers_per_cohort.customers
