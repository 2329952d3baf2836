{#- Per campaign: retention in the campaign_outcome_days (90) after assignment, treatment against
    control, on the customers whose first assignment is fully observed; the absolute lift with a 95%
    confidence interval (unpooled normal approximation) and the two-sided p-value of the pooled
    two-proportion z-test. See the docs block `campaign_lift`. -#}
{%- set lift_standard_error = unpooled_standard_error(
    'rates.treatment_retention_rate', 'rates.treatment_customers',
    'rates.control_retention_rate', 'rates.control_customers'
) -%}
with

arms as (
    select * from {{ ref('int_campaign_arms_aggregated') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

pivoted as (
    select
        campaign_id,
        sum(case when is_treated then customers else 0 end) as treatment_customers,
        sum(case when not is_treated then customers else 0 end) as control_customers,
        sum(case when is_treated then retained_customers else 0 end) as treatment_retained_customers,
        sum(case when not is_treated then retained_customers else 0 end) as control_retained_customers,
        sum(customers_not_fully_observed) as customers_not_fully_observed,
        sum(repeat_assignments) as repeat_assignments,
        min(first_assigned_at) as first_assigned_at,
        max(last_assigned_at) as last_assigned_at
    from arms
    group by campaign_id
),

rates as (
    select
        campaign_id,
        treatment_customers,
        control_customers,
        treatment_retained_customers,
        control_retained_customers,
        customers_not_fully_observed,
        repeat_assignments,
        first_assigned_at,
        last_assigned_at,
        {{ safe_ratio('treatment_retained_customers', 'treatment_customers') }} as treatment_retention_rate,
        {{ safe_ratio('control_retained_customers', 'control_customers') }} as control_retention_rate,
        {{ pooled_z_statistic(
            'treatment_retained_customers', 'treatment_customers',
            'control_retained_customers', 'control_customers'
        ) }} as z_statistic
    from pivoted
),

final as (
    select
        cast(rates.campaign_id as {{ dbt.type_string() }}) as campaign_id,
        reporting_dates.as_of_date,
        cast({{ var('campaign_outcome_days') }} as integer) as outcome_days,
        rates.first_assigned_at,
        rates.last_assigned_at,
        cast(rates.treatment_customers as integer) as treatment_customers,
        cast(rates.control_customers as integer) as control_customers,
        cast(rates.treatment_retained_customers as integer) as treatment_retained_customers,
        cast(rates.control_retained_customers as integer) as control_retained_customers,
        cast(rates.customers_not_fully_observed as integer) as customers_not_fully_observed,
        cast(rates.repeat_assignments as integer) as repeat_assignments,
        cast(rates.treatment_retention_rate as {{ type_double() }}) as treatment_retention_rate,
        cast(rates.control_retention_rate as {{ type_double() }}) as control_retention_rate,
        cast(
            rates.treatment_retention_rate - rates.control_retention_rate as {{ type_double() }}
        ) as absolute_lift,
        cast(
            rates.treatment_retention_rate - rates.control_retention_rate - {{ z_95() }} * {{ lift_standard_error }}
            as {{ type_double() }}
        ) as lift_ci_lower,
        cast(
            rates.treatment_retention_rate - rates.control_retention_rate + {{ z_95() }} * {{ lift_standard_error }}
            as {{ type_double() }}
        ) as lift_ci_upper,
        cast(rates.z_statistic as {{ type_double() }}) as z_statistic,
        cast({{ normal_two_sided_p_value('rates.z_statistic') }} as {{ type_double() }}) as p_value
    from rates
    cross join reporting_dates
)

select * from final
