{#- The churn score judged on data it never saw: customers at the test snapshot (as-of date -
    churn_outcome_days), scored by the model fitted at the training snapshot, against who placed no
    counted order in the following churn_outcome_days; beside a recency-only baseline (score = days
    since the last order). ROC AUC counts ties half (average ranks). -#}
with

signals as (
    select * from {{ ref('int_customer_churn_signals_computed') }}
    where snapshot_purpose = 'test' and is_customer_at_snapshot
),

scored as (
    select * from {{ ref('int_customer_churn_scored') }}
    where snapshot_purpose = 'test'
),

candidates as (
    select
        'churn_risk_score' as model_name,
        signals.customer_id,
        signals.snapshot_date,
        cast(scored.churn_risk_score as {{ type_double() }}) as score,
        signals.churned_in_outcome_window as churned
    from signals
    inner join scored
        on signals.customer_id = scored.customer_id
    union all
    select
        'recency_baseline' as model_name,
        customer_id,
        snapshot_date,
        cast(days_since_last_order as {{ type_double() }}) as score,
        churned_in_outcome_window as churned
    from signals
),

ranked as (
    select
        model_name,
        customer_id,
        snapshot_date,
        churned,
        rank() over (partition by model_name order by score)
        + (count(*) over (partition by model_name, score) - 1) / 2.0 as average_rank,
        row_number() over (partition by model_name order by score desc, customer_id asc) as score_position,
        count(*) over (partition by model_name) as customers
    from candidates
),

summed as (
    select
        model_name,
        min(snapshot_date) as snapshot_date,
        count(*) as customers,
        sum(case when churned then 1 else 0 end) as churned_customers,
        sum(case when churned then average_rank else 0 end) as churned_rank_sum,
        sum(case when score_position <= ceiling(0.1 * customers) then 1 else 0 end) as top_decile_customers,
        sum(case when churned and score_position <= ceiling(0.1 * customers) then 1 else 0 end) as top_decile_churned
    from ranked
    group by model_name
),

final as (
    select
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(snapshot_date as date) as snapshot_date,
        cast({{ var('churn_outcome_days') }} as integer) as outcome_days,
        cast(customers as integer) as customers,
        cast(churned_customers as integer) as churned_customers,
        {{ safe_ratio('churned_customers', 'customers') }} as churn_rate,
        {{ safe_ratio(
            'churned_rank_sum - churned_customers * (churned_customers + 1) / 2.0',
            'churned_customers * (customers - churned_customers)'
        ) }} as roc_auc,
        {{ safe_ratio('top_decile_churned', 'top_decile_customers') }} as precision_at_top_10pct
    from summed
)

select * from final
