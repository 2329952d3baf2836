{#- The backtest's actual purchases: each purchase (customer and day) of a backtest customer after the
    calibration end and up to the holdout end, which fct_clv_holdout counts per holdout period beside
    the purchases BG/NBD predicted (int_clv_holdout_predicted). -#}
with

purchase_days as (
    select * from {{ ref('int_customer_purchase_days_aggregated') }}
),

backtest_customers as (
    select * from {{ ref('int_customer_transactions_summarised') }}
    where fit_purpose = 'backtest'
),

final as (
    select
        purchase_days.customer_id,
        purchase_days.purchase_date
    from purchase_days
    inner join backtest_customers
        on purchase_days.customer_id = backtest_customers.customer_id
    where
        purchase_days.purchase_date > backtest_customers.calibration_end_date
        and purchase_days.purchase_date <= backtest_customers.holdout_end_date
)

select * from final
