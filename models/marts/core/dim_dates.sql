{#-
    One row per day from the first day of the first cohort month to the as-of date: the date
    dimension BI joins on, and the MetricFlow time spine (standard granularity: day).
-#}
with

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

day_numbers as (
    {{ dbt.generate_series(36600) }}
),

calendar_days as (
    select
        cast({{ dbt.dateadd('day', 'day_numbers.generated_number - 1', 'reporting_dates.first_order_month') }} as date)
            as date_day
    from day_numbers
    cross join reporting_dates
),

final as (
    select
        calendar_days.date_day,
        cast({{ dbt.date_trunc('month', 'calendar_days.date_day') }} as date) as month_start_date
    from calendar_days
    cross join reporting_dates
    where calendar_days.date_day <= reporting_dates.as_of_date
)

select * from final
