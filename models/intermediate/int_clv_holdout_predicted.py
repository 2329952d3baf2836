"""The backtest: BG/NBD's expected repeat purchases in each time unit of the holdout period.

The backtest fit (calibration up to clv_calibration_end_date) predicts, for every customer who had
made a first purchase by the calibration end, the expected number of purchases in the holdout
(eq. 10, conditional on their own calibration history); summed over customers and differenced per
time unit. The last period is shorter when the holdout is not a whole number of units.
fct_clv_holdout sets the actual purchases, counted in SQL, beside these.
"""

import math
from datetime import timedelta

import numpy as np
import pandas as pd

from scripts import clv


def model(dbt, session):
    dbt.config(materialized="table")
    unit = float(dbt.config.get("clv_time_unit_days"))
    if not unit.is_integer() or unit < 1:
        raise ValueError(f"var clv_time_unit_days must be a whole number of days >= 1, got {unit:g}")
    summaries = dbt.ref("int_customer_transactions_summarised").df()
    summaries = summaries.sort_values(["fit_purpose", "customer_id"], kind="stable", ignore_index=True)
    backtest = summaries[summaries["fit_purpose"] == "backtest"]
    parameters = dbt.ref("int_clv_models_fitted").df()
    rows = parameters[(parameters["fit_purpose"] == "backtest") & (parameters["model"] == "bg_nbd")]
    value = dict(zip(rows["parameter"], rows["value"]))
    fit = clv.BgNbdFit(value["r"], value["alpha"], value["a"], value["b"],
                       float(rows["log_likelihood"].iloc[0]), int(rows["customers_fitted"].iloc[0]),
                       bool(rows["converged"].iloc[0]))
    calibration_end = pd.Timestamp(backtest["calibration_end_date"].iloc[0]).date()
    holdout_end = pd.Timestamp(backtest["holdout_end_date"].iloc[0]).date()
    holdout_days = (holdout_end - calibration_end).days
    if holdout_days < 1:
        raise ValueError(f"CLV backtest: holdout end {holdout_end} is not after calibration end {calibration_end}")
    periods = math.ceil(holdout_days / unit)
    cumulative = clv.holdout_cumulative_purchases(
        fit, holdout_days, unit, backtest["frequency"].to_numpy(dtype=float),
        backtest["recency"].to_numpy(dtype=float), backtest["customer_age"].to_numpy(dtype=float))
    first_days = [calibration_end + timedelta(days=int(k * unit) + 1) for k in range(periods)]
    last_days = [min(calibration_end + timedelta(days=int((k + 1) * unit)), holdout_end) for k in range(periods)]
    return pd.DataFrame({
        "period": np.arange(1, periods + 1),
        "period_start_date": first_days,
        "period_end_date": last_days,
        "predicted_purchases": np.diff(cumulative),
        "customers_in_backtest": len(backtest),
    })
