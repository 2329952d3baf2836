with

source as (
    select * from {{ source('survey', 'survey_responses') }}
),

renamed as (
    select
        -- ids
        response_id,
        customer_id,
        coalesce(survey_id, 'unknown') as survey_id,

        -- strings
        lower(trim(email)) as email,
        comment as response_comment,
        lower(trim(survey_channel)) as survey_channel,
        _source_file as source_file,

        -- numerics
        score,
        _source_row as source_row,

        -- timestamps
        {{ utc_timestamp('responded_at') }} as responded_at,
        {{ utc_timestamp('_loaded_at') }} as loaded_at
    from source
),

ranked as (
    select
        response_id,
        customer_id,
        survey_id,
        email,
        response_comment,
        survey_channel,
        source_file,
        score,
        source_row,
        responded_at,
        loaded_at,
        {{ latest_version_rank('response_id') }} as version_rank
    from renamed
),

final as (
    select
        response_id,
        customer_id,
        survey_id,
        email,
        response_comment,
        survey_channel,
        score,
        responded_at,
        loaded_at,
        source_file,
        source_row
    from ranked
    where version_rank = 1
)

select * from final
