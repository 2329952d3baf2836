with

source as (
    select * from {{ ref('base_shop__customers_checked') }}
    where row_outcome = 'staged'
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
        source_file,

        -- numerics
        source_row,

        -- timestamps
        {{ utc_timestamp('signup_at') }} as signed_up_at,
        {{ utc_timestamp('coalesce(updated_at, signup_at)') }} as updated_at,
        {{ utc_timestamp('loaded_at') }} as loaded_at
    from source
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
    from renamed
)

select * from final
