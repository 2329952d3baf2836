-- Cohort retention triangle: one row per cohort, months since first order as columns (0-12), in percent.
-- Compile with `dbt compile -s cohort_retention_pivot` and paste target/compiled/... into a SQL client.
with

cohort_retention as (
    select * from {{ ref('fct_cohort_retention') }}
),

final as (
    select
        cohort_month,
        {% for month in range(13) %}
            max(case when months_since_first_order = {{ month }} then round(retention_rate * 100, 1) end)
                as month_{{ month }}_pct,
        {% endfor %}
        max(cohort_customers) as cohort_customers
    from cohort_retention
    group by cohort_month
)

select * from final
order by cohort_month
