with

source as (
    select * from {{ source('support', 'support_tickets') }}
),

renamed as (
    select
        -- ids
        ticket_id,
        customer_id,

        -- strings
        lower(trim(category)) as ticket_category,
        _source_file as source_file,

        -- numerics
        _source_row as source_row,

        -- timestamps
        {{ utc_timestamp('opened_at') }} as opened_at,
        {{ utc_timestamp('first_response_at') }} as first_responded_at,
        {{ utc_timestamp('resolved_at') }} as resolved_at,
        {{ utc_timestamp('coalesce(updated_at, opened_at)') }} as updated_at,
        {{ utc_timestamp('_loaded_at') }} as loaded_at
    from source
),

ranked as (
    select
        ticket_id,
        customer_id,
        ticket_category,
        source_file,
        source_row,
        opened_at,
        first_responded_at,
        resolved_at,
        updated_at,
        loaded_at,
        {{ latest_version_rank('ticket_id', 'updated_at') }} as version_rank
    from renamed
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
    from ranked
    where version_rank = 1
)

select * from final
