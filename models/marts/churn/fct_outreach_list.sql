{#- Customers to contact now: still customers, high churn risk, still likely alive and worth it, and not
    contacted lately (assigned to no campaign, in either arm, in the outreach_contact_cooldown_days up
    to the list date). Ordered by expected value at risk (score × predicted CLV), then customer id. -#}
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

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

campaign_assignments as (
    select * from {{ ref('stg_crm__campaign_assignments') }}
),

list_dates as (
    select distinct snapshot_date as list_date
    from signals
),

recently_contacted as (
    select distinct campaign_assignments.customer_id
    from campaign_assignments
    cross join list_dates
    where {{ is_within_days_before(
        'cast(campaign_assignments.assigned_at as date)',
        'list_dates.list_date',
        int_var('outreach_contact_cooldown_days', 0) | int
    ) }}
),

eligible as (
    select
        signals.customer_id,
        {{ hash_pii('customers.email') }} as email_hash,
        signals.snapshot_date,
        scored.churn_risk_score,
        scored.reason_codes,
        predicted_clv.probability_alive,
        predicted_clv.predicted_clv_usd,
        scored.churn_risk_score * predicted_clv.predicted_clv_usd as value_at_risk_usd,
        case
            when
                signals.ignored_complaints_last_90d > 0
                or signals.late_delivery_share_180d > 0
                or signals.returns_or_failed_payments_last_90d > 0
                then 'service_recovery'
            when signals.orders_last_90d < signals.orders_prior_90d then 'offer'
            else 'survey'
        end as suggested_action
    from signals
    inner join scored
        on signals.customer_id = scored.customer_id
    inner join predicted_clv
        on signals.customer_id = predicted_clv.customer_id
    inner join customers
        on signals.customer_id = customers.customer_id
    left join recently_contacted
        on signals.customer_id = recently_contacted.customer_id
    where
        signals.is_customer_at_snapshot
        and recently_contacted.customer_id is null
        and {{ risk_band('scored.churn_risk_score') }} = 'high'
        and predicted_clv.probability_alive >= {{ var('outreach_min_probability_alive') }}
        and predicted_clv.predicted_clv_usd >= {{ var('outreach_min_predicted_clv_usd') }}
),

final as (
    select
        cast(row_number() over (order by value_at_risk_usd desc, customer_id asc) as integer) as outreach_rank,
        customer_id,
        email_hash,
        snapshot_date as list_date,
        cast(suggested_action as {{ dbt.type_string() }}) as suggested_action,
        cast(reason_codes as {{ dbt.type_string() }}) as reason_codes,
        cast(churn_risk_score as {{ type_double() }}) as churn_risk_score,
        cast(probability_alive as {{ type_double() }}) as probability_alive,
        {{ round_to_cents('predicted_clv_usd') }} as predicted_clv_usd,
        {{ round_to_cents('value_at_risk_usd') }} as value_at_risk_usd
    from eligible
)

select * from final
