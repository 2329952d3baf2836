with

source as (
    select * from {{ source('shop', 'customers') }}
),

renamed as (
    select
        -- ids
        customer_id,

        -- strings
        lower(trim(email)) as email,
        trim(name) as customer_name,
        upper(trim(country)) as country_code,
        lower(trim(acquisition_channel)) as acquisition_channel,
        _source_file as source_file,

        -- numerics
        _source_row as source_row,

        -- timestamps
        {{ utc_timestamp('signup_at') }} as signed_up_at,
        {{ utc_timestamp('coalesce(updated_at, signup_at)') }} as updated_at,
        {{ utc_timestamp('_loaded_at') }} as loaded_at
    from source
),

ranked as (
    select
        customer_id,
        email,
        customer_name,
        country_code,
        acquisition_channel,
        source_file,
        source_row,
        signed_up_at,
        updated_at,
        loaded_at,
        {{ latest_version_rank('customer_id', 'updated_at') }} as version_rank
    from renamed
),

final as (
    select
        customer_id,
        email,
        customer_name,
        country_code,
        acquisition_channel,
        signed_up_at,
        updated_at,
        loaded_at,
        source_file,
        source_row
    from ranked
    where version_rank = 1
)

select * from final
