with

signals as (
    select * from {{ ref('int_customer_churn_signals_computed') }}
    where snapshot_purpose = 'current'
),

scored as (
    select * from {{ ref('int_customer_churn_scored') }}
    where snapshot_purpose = 'current'
),

predicted_clv as (
    select * from {{ ref('int_customer_clv_predicted') }}
),

final as (
    select
        signals.customer_id,
        signals.snapshot_date as scoring_date,
        signals.is_customer_at_snapshot as is_customer_at_scoring_date,
        cast(signals.order_count as integer) as order_count,
        cast(signals.days_since_last_order as integer) as days_since_last_order,
        cast(signals.usual_gap_days as {{ type_double() }}) as usual_gap_days,
        cast(signals.orders_last_90d as integer) as orders_last_90d,
        cast(signals.orders_prior_90d as integer) as orders_prior_90d,
        cast(signals.net_revenue_last_90d as decimal(18, 2)) as net_revenue_last_90d_usd,
        cast(signals.net_revenue_prior_90d as decimal(18, 2)) as net_revenue_prior_90d_usd,
        cast(signals.late_delivery_share_180d as {{ type_double() }}) as late_delivery_share_180d,
        cast(signals.returns_or_failed_payments_last_90d as integer) as returns_or_failed_payments_last_90d,
        cast(signals.ignored_complaints_last_90d as integer) as ignored_complaints_last_90d,
        cast(predicted_clv.probability_alive as {{ type_double() }}) as probability_alive,
        cast(scored.churn_risk_score as {{ type_double() }}) as churn_risk_score,
        cast({{ risk_band('scored.churn_risk_score') }} as {{ dbt.type_string() }}) as risk_band,
        cast(scored.reason_codes as {{ dbt.type_string() }}) as reason_codes
    from signals
    inner join scored
        on signals.customer_id = scored.customer_id
    left join predicted_clv
        on signals.customer_id = predicted_clv.customer_id
)

select * from final
