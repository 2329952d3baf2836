"""The backtest: BG/NBD's expected repeat purchases in each time unit of the holdout period.

The backtest fit (calibration up to clv_calibration_end_date) predicts, for every customer who had
made a first purchase by the calibration end, the expected number of purchases in the holdout
(eq. 10, conditional on their own calibration history); summed over customers and differenced per
time unit. fct_clv_holdout sets the actual purchases, counted in SQL, beside these. The code is
retention_warehouse.python_models.clv_tables.holdout_predictions, which `warehouse fit-models` runs on PostgreSQL and Spark.
"""

from retention_warehouse.python_models import clv_tables


def model(dbt, session):
    return clv_tables.holdout_predictions(
        dbt.ref("int_customer_transactions_summarised").df(),
        dbt.ref("int_clv_models_fitted").df(),
        time_unit_days=float(dbt.config.get("clv_time_unit_days")),
    )
