with

source as (
    select * from {{ ref('base_crm__campaign_assignments_checked') }}
    where row_outcome = 'staged'
),

renamed as (
    select
        -- ids
        assignment_id,
        customer_id,
        trim(campaign_id) as campaign_id,

        -- strings
        lower(trim(arm)) as campaign_arm,
        source_file,

        -- numerics
        source_row,

        -- timestamps
        {{ utc_timestamp('assigned_at') }} as assigned_at,
        {{ utc_timestamp('loaded_at') }} as loaded_at
    from source
),

final as (
    select
        assignment_id,
        customer_id,
        campaign_id,
        campaign_arm,
        assigned_at,
        loaded_at,
        source_file,
        source_row
    from renamed
)

select * from final
