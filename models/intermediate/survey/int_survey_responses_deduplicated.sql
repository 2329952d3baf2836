{#-
    Every matched response, flagged when the same customer answered the same survey again within
    nps_dedupe_window_days after it: the later answer wins, the earlier one is a duplicate and
    points to the answer that superseded it. Unmatched responses are never duplicates (nothing
    says two of them come from one person). See docs block `nps_dedupe_rule`.
-#}
with

responses as (
    select * from {{ ref('int_survey_responses_matched') }}
),

sequenced as (
    select
        response_id,
        responded_at,
        lead(response_id) over (
            partition by customer_id, survey_id order by responded_at, response_id
        ) as next_response_id,
        lead(responded_at) over (
            partition by customer_id, survey_id order by responded_at, response_id
        ) as next_responded_at
    from responses
    where is_matched
),

duplicates as (
    select
        response_id,
        next_response_id as superseded_by_response_id
    from sequenced
    where next_responded_at <= {{ dbt.dateadd('day', nps_dedupe_window_days(), 'responded_at') }}
),

final as (
    select
        responses.response_id,
        responses.survey_id,
        responses.survey_channel,
        responses.reported_customer_id,
        responses.customer_id,
        responses.is_matched,
        responses.match_method,
        responses.candidate_accounts,
        responses.score,
        responses.responded_at,
        duplicates.superseded_by_response_id,
        duplicates.response_id is not null as is_duplicate
    from responses
    left join duplicates
        on responses.response_id = duplicates.response_id
)

select * from final
