{#-
    NPS per calendar month and segment, with the trailing 90 days ending on the month's last day.
    A response counts in its own month and in the trailing window of every month end up to 89
    days after it, so a row exists for each month and segment value with a response in the
    trailing 90 days (its own month may have none: then nps is null). Months up to the last
    complete month.
-#}
with

responses as (
    select * from {{ ref('int_survey_responses_enriched') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

month_numbers as (
    {{ dbt.generate_series(4) }}
),

segment_types as (
    select 'all' as segment_type
    union all
    select 'country' as segment_type
    union all
    select 'region' as segment_type
    union all
    select 'acquisition_channel' as segment_type
    union all
    select 'cohort' as segment_type
    union all
    select 'lifecycle_status' as segment_type
    union all
    select 'rfm_segment' as segment_type
),

segmented as (
    select
        responses.response_id,
        responses.responded_date,
        responses.response_month,
        responses.nps_category,
        segment_types.segment_type,
        case
            when segment_types.segment_type = 'all' then 'all'
            when not responses.is_matched then 'unknown'
            else coalesce(
                case segment_types.segment_type
                    when 'country' then responses.country_code
                    when 'region' then responses.region
                    when 'acquisition_channel' then responses.acquisition_channel
                    when 'cohort' then cast(responses.cohort_month as {{ dbt.type_string() }})
                    when 'lifecycle_status' then responses.lifecycle_status_at_response
                    when 'rfm_segment' then responses.rfm_segment
                end,
                'not_set'
            )
        end as segment_value
    from responses
    cross join segment_types
),

response_periods as (
    select
        segmented.segment_type,
        segmented.segment_value,
        segmented.nps_category,
        segmented.responded_date,
        segmented.response_month,
        cast({{ dbt.dateadd('month', 'month_numbers.generated_number - 1', 'segmented.response_month') }} as date)
            as period_month
    from segmented
    cross join month_numbers
),

in_trailing_window as (
    select
        response_periods.segment_type,
        response_periods.segment_value,
        response_periods.nps_category,
        response_periods.period_month,
        response_periods.response_month = response_periods.period_month as is_in_month
    from response_periods
    cross join reporting_dates
    where
        response_periods.period_month <= reporting_dates.last_complete_month
        and {{ dbt.datediff(
            'response_periods.responded_date',
            dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'response_periods.period_month')),
            'day'
        ) }} < 90
),

counted as (
    select
        period_month,
        segment_type,
        segment_value,
        sum(case when is_in_month then 1 else 0 end) as responses,
        sum(case when is_in_month and nps_category = 'promoter' then 1 else 0 end) as promoters,
        sum(case when is_in_month and nps_category = 'passive' then 1 else 0 end) as passives,
        sum(case when is_in_month and nps_category = 'detractor' then 1 else 0 end) as detractors,
        count(*) as trailing_90d_responses,
        sum(case when nps_category = 'promoter' then 1 else 0 end) as trailing_90d_promoters,
        sum(case when nps_category = 'passive' then 1 else 0 end) as trailing_90d_passives,
        sum(case when nps_category = 'detractor' then 1 else 0 end) as trailing_90d_detractors
    from in_trailing_window
    group by period_month, segment_type, segment_value
),

final as (
    select
        cast(period_month as date) as period_month,
        cast(segment_type as {{ dbt.type_string() }}) as segment_type,
        cast(segment_value as {{ dbt.type_string() }}) as segment_value,
        cast(responses as integer) as responses,
        cast(promoters as integer) as promoters,
        cast(passives as integer) as passives,
        cast(detractors as integer) as detractors,
        {{ nps('promoters', 'detractors', 'responses') }} as nps,
        {{ nps_margin_of_error('promoters', 'detractors', 'responses') }} as nps_margin_of_error,
        cast(trailing_90d_responses as integer) as trailing_90d_responses,
        cast(trailing_90d_promoters as integer) as trailing_90d_promoters,
        cast(trailing_90d_passives as integer) as trailing_90d_passives,
        cast(trailing_90d_detractors as integer) as trailing_90d_detractors,
        {{ nps('trailing_90d_promoters', 'trailing_90d_detractors', 'trailing_90d_responses') }}
            as trailing_90d_nps,
        {{ nps_margin_of_error('trailing_90d_promoters', 'trailing_90d_detractors', 'trailing_90d_responses') }}
            as trailing_90d_nps_margin_of_error
    from counted
)

select * from final
