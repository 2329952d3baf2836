{#- RFM scores and named segment of every customer with a counted order, as of the reporting date. -#}
{#- A table, not a view: several models and tests read it, and at scale a view is recomputed for each. -#}
{{ config(materialized='table') }}

with

customer_orders as (
    select * from {{ ref('int_customer_orders_aggregated') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

rfm_segments as (
    select * from {{ ref('rfm_segments') }}
),

measured as (
    select
        customer_orders.customer_id,
        customer_orders.order_count as frequency_orders,
        customer_orders.net_revenue_usd as monetary_usd,
        {{ dbt.datediff('customer_orders.last_order_date', 'reporting_dates.as_of_date', 'day') }}
            as recency_days
    from customer_orders
    cross join reporting_dates
),

scored as (
    select
        customer_id,
        recency_days,
        frequency_orders,
        monetary_usd,
        {{ rfm_score('recency_days desc') }} as recency_score,
        {{ rfm_score('frequency_orders') }} as frequency_score,
        {{ rfm_score('monetary_usd') }} as monetary_score
    from measured
),

final as (
    select
        scored.customer_id,
        scored.recency_days,
        scored.frequency_orders,
        scored.monetary_usd,
        scored.recency_score,
        scored.frequency_score,
        scored.monetary_score,
        {{ dbt.concat([
            'cast(scored.recency_score as ' ~ dbt.type_string() ~ ')',
            'cast(scored.frequency_score as ' ~ dbt.type_string() ~ ')',
            'cast(scored.monetary_score as ' ~ dbt.type_string() ~ ')'
        ]) }} as rfm_cell,
        rfm_segments.rfm_segment
    from scored
    left join rfm_segments
        on
            scored.recency_score = rfm_segments.recency_score
            and scored.frequency_score = rfm_segments.frequency_score
)

select * from final
