-- Every customer is active in their cohort month by definition, so month 0 retains everyone.
select
    cohort_month,
    cohort_customers,
    active_customers
from {{ ref('fct_cohort_retention') }}
where months_since_first_order = 0 and active_customers <> cohort_customers
