-- The cohort mart and the customer dimension agree on who is in which cohort.
with

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
    where cohort_month is not null
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
