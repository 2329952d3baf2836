-- Every kept response has exactly one value in each segment type (unmatched ones 'unknown'), so
-- per month the values of each segment type add up to segment 'all', in the month and in the
-- trailing 90 days; and 'all' counts every kept response of fct_survey_responses in its month.
with

nps as (
    select * from {{ ref('fct_nps') }}
),

survey_responses as (
    select * from {{ ref('fct_survey_responses') }}
),

overall as (
    select
        period_month,
        responses,
        promoters,
        detractors,
        trailing_90d_responses
    from nps
    where segment_type = 'all'
),

per_segment_type as (
    select
        period_month,
        segment_type,
        sum(responses) as responses,
        sum(promoters) as promoters,
        sum(detractors) as detractors,
        sum(trailing_90d_responses) as trailing_90d_responses
    from nps
    where segment_type <> 'all'
    group by period_month, segment_type
),

response_months as (
    select cast({{ dbt.date_trunc('month', 'responded_at') }} as date) as period_month
    from survey_responses
),

responses_per_month as (
    select
        period_month,
        count(*) as responses
    from response_months
    group by period_month
),

segment_mismatches as (
    select
        per_segment_type.period_month,
        per_segment_type.segment_type,
        per_segment_type.responses as segment_responses,
        overall.responses as all_responses
    from per_segment_type
    left join overall
        on per_segment_type.period_month = overall.period_month
    where
        overall.period_month is null
        or per_segment_type.responses <> overall.responses
        or per_segment_type.promoters <> overall.promoters
        or per_segment_type.detractors <> overall.detractors
        or per_segment_type.trailing_90d_responses <> overall.trailing_90d_responses
),

month_mismatches as (
    select
        overall.period_month,
        'all' as segment_type,
        responses_per_month.responses as segment_responses,
        overall.responses as all_responses
    from overall
    left join responses_per_month
        on overall.period_month = responses_per_month.period_month
    where coalesce(responses_per_month.responses, 0) <> overall.responses
)

select * from segment_mismatches
union all
select * from month_mismatches
