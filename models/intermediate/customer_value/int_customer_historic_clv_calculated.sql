{#- Historic CLV of every customer with a counted order, its three factors and the order facts they come
    from (carried on, so int_customer_value_joined reads a customer's orders once, through here). -#}
{#- A table, not a view: several models and tests read it, and at scale a view is recomputed for each. -#}
{{ config(materialized='table') }}

with

customer_orders as (
    select * from {{ ref('int_customer_orders_aggregated') }}
),

churn_exposure as (
    select * from {{ ref('int_customer_churn_exposure_aggregated') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

base_lifespan as (
    select {{ lifespan_years('sum(churn_events)', 'sum(months_exposed)') }} as customer_lifespan_years
    from churn_exposure
),

factors as (
    select
        customer_orders.customer_id,
        customer_orders.first_order_date,
        customer_orders.last_order_date,
        customer_orders.last_reactivation_date,
        customer_orders.order_count,
        customer_orders.net_revenue_usd,
        {{ safe_ratio('customer_orders.net_revenue_usd', 'customer_orders.order_count') }}
            as average_purchase_value_usd,
        customer_orders.order_count
        / {{ observed_customer_years('customer_orders.first_order_date', 'reporting_dates.as_of_date') }}
            as purchase_frequency_per_year,
        base_lifespan.customer_lifespan_years
    from customer_orders
    cross join reporting_dates
    cross join base_lifespan
),

final as (
    select
        customer_id,
        first_order_date,
        last_order_date,
        last_reactivation_date,
        order_count,
        net_revenue_usd,
        average_purchase_value_usd,
        purchase_frequency_per_year,
        customer_lifespan_years,
        {{ round_to_cents(historic_clv(
            'average_purchase_value_usd', 'purchase_frequency_per_year', 'customer_lifespan_years'
        )) }} as historic_clv_usd
    from factors
)

select * from final
