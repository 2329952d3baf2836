with

source as (
    select * from {{ source('crm', 'campaign_assignments') }}
),

renamed as (
    select
        -- ids
        assignment_id,
        customer_id,
        trim(campaign_id) as campaign_id,

        -- strings
        lower(trim(arm)) as campaign_arm,
        _source_file as source_file,

        -- numerics
        _source_row as source_row,

        -- timestamps
        {{ utc_timestamp('assigned_at') }} as assigned_at,
        {{ utc_timestamp('_loaded_at') }} as loaded_at
    from source
),

ranked as (
    select
        assignment_id,
        customer_id,
        campaign_id,
        campaign_arm,
        source_file,
        source_row,
        assigned_at,
        loaded_at,
        {{ latest_version_rank('assignment_id') }} as version_rank
    from renamed
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
    from ranked
    where version_rank = 1
)

select * from final
