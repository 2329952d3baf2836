with

source as (
    select * from {{ ref('base_support__tickets_checked') }}
    where row_outcome = 'staged'
),

renamed as (
    select
        -- ids
        ticket_id,
        customer_id,

        -- strings
        lower(trim(category)) as ticket_category,
        source_file,

        -- numerics
        source_row,

        -- timestamps
        {{ utc_timestamp('opened_at') }} as opened_at,
        {{ utc_timestamp('first_response_at') }} as first_responded_at,
        {{ utc_timestamp('resolved_at') }} as resolved_at,
        {{ utc_timestamp('coalesce(updated_at, opened_at)') }} as updated_at,
        {{ utc_timestamp('loaded_at') }} as loaded_at
    from source
),

final as (
    select
        ticket_id,
        customer_id,
        ticket_category,
        opened_at,
        first_responded_at,
        resolved_at,
        updated_at,
        loaded_at,
        source_file,
        source_row
    from renamed
)

select * from final
