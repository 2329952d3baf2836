-- Every duplicate answer points to a later (or simultaneous) answer by the same customer to the
-- same survey, at most nps_dedupe_window_days after it; no kept answer has a duplicate of its own
-- beyond that window. Rows returned are broken links.
with

responses as (
    select * from {{ ref('int_survey_responses_deduplicated') }}
)

select
    duplicates.response_id,
    duplicates.superseded_by_response_id,
    duplicates.customer_id,
    superseding.customer_id as superseding_customer_id
from responses as duplicates
left join responses as superseding
    on duplicates.superseded_by_response_id = superseding.response_id
where
    duplicates.is_duplicate
    and (
        superseding.response_id is null
        or not duplicates.is_matched
        or superseding.customer_id <> duplicates.customer_id
        or superseding.survey_id <> duplicates.survey_id
        or superseding.responded_at < duplicates.responded_at
        or superseding.responded_at
        > {{ dbt.dateadd('day', nps_dedupe_window_days(), 'duplicates.responded_at') }}
    )
