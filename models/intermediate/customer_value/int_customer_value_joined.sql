{#-
    One row per customer with a counted order up to the as-of date: what the marts show of a customer's
    value, joined once. The order facts come with the historic CLV (int_customer_historic_clv_calculated
    carries the customer's orders it is computed from), then the RFM scores and the scoring fit's
    predicted CLV, keyed on the same customers (relationships tests on both).
-#}
{#- A table, not a view: several models and tests read it, and at scale a view is recomputed for each. -#}
{{ config(materialized='table') }}

with

historic_clv as (
    select * from {{ ref('int_customer_historic_clv_calculated') }}
),

rfm as (
    select * from {{ ref('int_customer_rfm_scored') }}
),

predicted_clv as (
    select * from {{ ref('int_customer_clv_predicted') }}
),

final as (
    select
        historic_clv.customer_id,
        historic_clv.first_order_date,
        historic_clv.last_order_date,
        historic_clv.last_reactivation_date,
        historic_clv.order_count,
        historic_clv.net_revenue_usd,
        rfm.recency_score,
        rfm.frequency_score,
        rfm.monetary_score,
        rfm.rfm_segment,
        historic_clv.average_purchase_value_usd,
        historic_clv.purchase_frequency_per_year,
        historic_clv.customer_lifespan_years,
        historic_clv.historic_clv_usd,
        predicted_clv.predicted_purchases_12m,
        predicted_clv.probability_alive,
        predicted_clv.predicted_clv_usd
    from historic_clv
    left join rfm
        on historic_clv.customer_id = rfm.customer_id
    left join predicted_clv
        on historic_clv.customer_id = predicted_clv.customer_id
)

select * from final
