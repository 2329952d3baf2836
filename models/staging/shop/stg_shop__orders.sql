with

source as (
    select * from {{ ref('base_shop__orders_checked') }}
    where row_outcome = 'staged'
),

renamed as (
    select
        -- ids
        order_id,
        customer_id,

        -- strings
        lower(status) as order_status,
        upper(currency) as currency_code,
        source_file,

        -- numerics
        cast(gross_amount as decimal(18, 2)) as gross_amount,
        cast(coalesce(discount_amount, 0) as decimal(18, 2)) as discount_amount,
        cast(coalesce(refunded_amount, 0) as decimal(18, 2)) as refunded_amount,
        source_row,

        -- dates
        promised_delivery_date,
        actual_delivery_date,

        -- timestamps
        {{ utc_timestamp('ordered_at') }} as ordered_at,
        {{ utc_timestamp('coalesce(updated_at, ordered_at)') }} as updated_at,
        {{ utc_timestamp('loaded_at') }} as loaded_at
    from source
),

final as (
    select
        order_id,
        customer_id,
        order_status,
        currency_code,
        gross_amount,
        discount_amount,
        refunded_amount,
        promised_delivery_date,
        actual_delivery_date,
        ordered_at,
        updated_at,
        loaded_at,
        source_file,
        source_row
    from renamed
)

select * from final
