{#-
    One row per customer with the attributes the marts segment customers by, each defined here once:
    country and its reporting region, acquisition channel, cohort month and the current RFM segment
    (null for a customer without a counted order). NPS (int_survey_responses_enriched) and CLV
    (fct_customer_lifetime_value) segment by them.
-#}
{#- A table, not a view: several models and tests read it, and at scale a view is recomputed for each. -#}
{{ config(materialized='table') }}

with

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

country_regions as (
    select * from {{ ref('country_regions') }}
),

customer_orders as (
    select * from {{ ref('int_customer_orders_aggregated') }}
),

rfm as (
    select * from {{ ref('int_customer_rfm_scored') }}
),

final as (
    select
        customers.customer_id,
        customers.country_code,
        country_regions.region,
        customers.acquisition_channel,
        cast({{ dbt.date_trunc('month', 'customer_orders.first_order_date') }} as date) as cohort_month,
        rfm.rfm_segment
    from customers
    left join country_regions
        on customers.country_code = country_regions.country_code
    left join customer_orders
        on customers.customer_id = customer_orders.customer_id
    left join rfm
        on customers.customer_id = rfm.customer_id
)

select * from final
