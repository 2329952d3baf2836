with

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

customer_values as (
    select * from {{ ref('int_customer_value_joined') }}
),

churn_risk as (
    select * from {{ ref('int_customer_churn_scored') }}
    where snapshot_purpose = 'current'
),

survey_responses as (
    select * from {{ ref('int_survey_responses_enriched') }}
),

loyalty_tiers as (
    select * from {{ ref('int_customer_loyalty_tiers_assigned') }}
    where snapshot_purpose = 'current'
),

ranked_survey_responses as (
    select
        customer_id,
        score,
        nps_category,
        responded_at,
        row_number() over (
            partition by customer_id order by responded_at desc, response_id desc
        ) as response_rank
    from survey_responses
    where is_matched
),

latest_survey_responses as (
    select
        customer_id,
        score as latest_nps_score,
        nps_category as latest_nps_category,
        responded_at as latest_responded_at
    from ranked_survey_responses
    where response_rank = 1
),

joined as (
    select
        customers.customer_id,
        {{ hash_pii('customers.email') }} as email_hash,
        customers.country_code,
        customers.acquisition_channel,
        customers.signed_up_at,
        customer_values.first_order_date,
        customer_values.last_order_date,
        customer_values.last_reactivation_date,
        coalesce(customer_values.order_count, 0) as order_count,
        coalesce(customer_values.net_revenue_usd, 0) as net_revenue_usd,
        reporting_dates.as_of_date,
        customer_values.recency_score,
        customer_values.frequency_score,
        customer_values.monetary_score,
        customer_values.rfm_segment,
        customer_values.average_purchase_value_usd,
        customer_values.purchase_frequency_per_year,
        customer_values.customer_lifespan_years,
        customer_values.historic_clv_usd,
        customer_values.predicted_purchases_12m,
        customer_values.probability_alive,
        customer_values.predicted_clv_usd,
        churn_risk.churn_risk_score,
        loyalty_tiers.loyalty_tier,
        loyalty_tiers.trailing_365d_net_revenue_usd,
        latest_survey_responses.latest_nps_score,
        latest_survey_responses.latest_nps_category,
        latest_survey_responses.latest_responded_at
    from customers
    left join customer_values
        on customers.customer_id = customer_values.customer_id
    left join churn_risk
        on customers.customer_id = churn_risk.customer_id
    left join latest_survey_responses
        on customers.customer_id = latest_survey_responses.customer_id
    left join loyalty_tiers
        on customers.customer_id = loyalty_tiers.customer_id
    cross join reporting_dates
),

final as (
    select
        customer_id,
        email_hash,
        country_code,
        acquisition_channel,
        signed_up_at as signup_at,
        first_order_date,
        last_order_date,
        cast(order_count as integer) as order_count,
        cast(net_revenue_usd as decimal(18, 2)) as net_revenue_usd,
        cast({{ dbt.date_trunc('month', 'first_order_date') }} as date) as cohort_month,
        {{ lifecycle_status('first_order_date', 'last_order_date', 'last_reactivation_date', 'as_of_date') }}
            as lifecycle_status,
        order_count > 1 as is_repeat_customer,
        cast(recency_score as integer) as recency_score,
        cast(frequency_score as integer) as frequency_score,
        cast(monetary_score as integer) as monetary_score,
        cast(rfm_segment as {{ dbt.type_string() }}) as rfm_segment,
        cast(average_purchase_value_usd as {{ type_double() }}) as average_purchase_value_usd,
        cast(purchase_frequency_per_year as {{ type_double() }}) as purchase_frequency_per_year,
        cast(customer_lifespan_years as {{ type_double() }}) as customer_lifespan_years,
        cast(historic_clv_usd as decimal(18, 2)) as historic_clv_usd,
        cast(predicted_purchases_12m as {{ type_double() }}) as predicted_purchases_12m,
        cast(probability_alive as {{ type_double() }}) as probability_alive,
        {{ round_to_cents('predicted_clv_usd') }} as predicted_clv_usd,
        cast(churn_risk_score as {{ type_double() }}) as churn_risk_score,
        cast(
            case when churn_risk_score is not null then {{ risk_band('churn_risk_score') }} end
            as {{ dbt.type_string() }}
        ) as churn_risk_band,
        cast(loyalty_tier as {{ dbt.type_string() }}) as loyalty_tier,
        cast(coalesce(trailing_365d_net_revenue_usd, 0) as decimal(18, 2)) as trailing_365d_net_revenue_usd,
        cast(latest_nps_score as integer) as latest_nps_score,
        cast(latest_nps_category as {{ dbt.type_string() }}) as latest_nps_category,
        latest_responded_at,
        as_of_date
    from joined
)

select * from final
