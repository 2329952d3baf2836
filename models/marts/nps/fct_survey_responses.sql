with

responses as (
    select * from {{ ref('int_survey_responses_enriched') }}
),

final as (
    select
        response_id,
        customer_id,
        survey_id,
        survey_channel,
        responded_at,
        cast(score as integer) as score,
        nps_category,
        is_matched,
        match_method,
        cast(candidate_accounts as integer) as candidate_accounts,
        cast(orders_before_response as integer) as orders_before_response,
        cast(days_since_last_order as integer) as days_since_last_order,
        lifecycle_status_at_response
    from responses
)

select * from final
