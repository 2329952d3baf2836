with

predicted as (
    select * from {{ ref('int_clv_holdout_predicted') }}
),

holdout_purchases as (
    select * from {{ ref('int_clv_holdout_purchases_filtered') }}
),

per_period as (
    select
        predicted.period,
        predicted.period_start_date,
        predicted.period_end_date,
        predicted.predicted_purchases,
        count(holdout_purchases.purchase_date) as actual_purchases
    from predicted
    left join holdout_purchases
        on
            predicted.period_start_date <= holdout_purchases.purchase_date
            and predicted.period_end_date >= holdout_purchases.purchase_date
    group by predicted.period, predicted.period_start_date, predicted.period_end_date, predicted.predicted_purchases
),

final as (
    select
        cast(period as integer) as period,
        cast(period_start_date as date) as period_start_date,
        cast(period_end_date as date) as period_end_date,
        cast(predicted_purchases as {{ type_double() }}) as predicted,
        cast(actual_purchases as integer) as actual,
        cast(sum(predicted_purchases) over (order by period rows unbounded preceding) as {{ type_double() }})
            as cumulative_predicted,
        cast(sum(actual_purchases) over (order by period rows unbounded preceding) as integer)
            as cumulative_actual
    from per_period
)

select * from final
