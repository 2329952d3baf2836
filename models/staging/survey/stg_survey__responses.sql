with

source as (
    select * from {{ ref('base_survey__responses_checked') }}
    where row_outcome = 'staged'
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
        source_file,

        -- numerics
        score,
        source_row,

        -- timestamps
        {{ utc_timestamp('responded_at') }} as responded_at,
        {{ utc_timestamp('loaded_at') }} as loaded_at
    from source
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
    from renamed
)

select * from final
