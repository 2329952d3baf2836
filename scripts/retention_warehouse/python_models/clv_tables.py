"""The three CLV model tables, computed from the SQL-built customer summaries.

One implementation for every engine. On DuckDB the dbt Python models int_clv_models_fitted,
int_customer_clv_predicted and int_clv_holdout_predicted call these functions inside `dbt build`;
on PostgreSQL and Spark (whose dbt adapters cannot run Python models here) `warehouse fit-models`
calls them on the summaries read through the target's connection and writes the three tables back
(scripts/retention_warehouse/warehouse/targets.py). Either way the input is intermediate.int_customer_transactions_summarised.

The summaries are put in customer order before anything is fitted, so the fit sums the same
numbers in the same order whichever engine produced them and whatever order it returned rows in:
the parameters, and every score built on them, come out the same on every engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeVar

import numpy as np
import pandas as pd

from retention_warehouse.python_models.values import as_date
from retention_warehouse.stats import clv

Fit = TypeVar("Fit", clv.BgNbdFit, clv.GammaGammaFit)
FIT_PURPOSES = ("scoring", "backtest")
HORIZON_MONTHS = 12
"""predicted_purchases_12m and predicted_clv_usd look this many months ahead."""


def time_unit_label(days: float) -> str:
    return {1.0: "day", 7.0: "week"}.get(days, f"{days:g} days")


def _purpose(summaries: pd.DataFrame, purpose: str) -> pd.DataFrame:
    """One fit purpose's customers, in customer order, with the numbers as float arrays can hold them."""
    rows = summaries[summaries["fit_purpose"] == purpose].sort_values("customer_id", kind="stable")
    return rows.reset_index(drop=True)


def _arrays(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x, t_x, T and m of the customers of one fit purpose."""
    return (
        summary["frequency"].to_numpy(dtype=float),
        summary["recency"].to_numpy(dtype=float),
        summary["customer_age"].to_numpy(dtype=float),
        summary["average_repeat_value_usd"].to_numpy(dtype=float),
    )


def _supported(purpose: str, name: str, fit_model: Callable[[], Fit]) -> Fit:
    """The fit, or a ValueError that stops the build: parameters the data cannot support would
    publish absurd CLVs."""
    try:
        fit = fit_model()
    except ValueError as exc:
        raise ValueError(f"CLV {purpose} fit: {exc}") from exc
    if not fit.converged:
        raise ValueError(f"CLV {purpose} fit: the {name} fit did not converge: {fit.reason}")
    return fit


def _fit_rows(purpose: str, summary: pd.DataFrame, time_unit_days: float) -> list[dict]:
    if summary.empty:
        raise ValueError(f"CLV {purpose} fit: no customer made a first purchase on or before the calibration end")
    x, t_x, T, m = _arrays(summary)
    bgnbd = _supported(purpose, "BG/NBD", lambda: clv.fit_bgnbd(x, t_x, T))
    spend = _supported(purpose, "Gamma-Gamma", lambda: clv.fit_gamma_gamma(x, m))
    common = {
        "fit_purpose": purpose,
        "calibration_end_date": as_date(summary["calibration_end_date"].iloc[0]),
        "holdout_end_date": as_date(summary["holdout_end_date"].iloc[0]),
        "time_unit": time_unit_label(time_unit_days),
        "time_unit_days": time_unit_days,
    }
    models = {
        "bg_nbd": (bgnbd, {"r": bgnbd.r, "alpha": bgnbd.alpha, "a": bgnbd.a, "b": bgnbd.b}),
        "gamma_gamma": (spend, {"p": spend.p, "q": spend.q, "gamma": spend.v}),
    }
    return [
        {**common, "model": name, "parameter": parameter, "value": float(value),
         "customers_fitted": fit.customers_fitted, "log_likelihood": fit.log_likelihood,
         "converged": fit.converged}
        for name, (fit, parameters) in models.items()
        for parameter, value in parameters.items()
    ]


def fitted_parameters(summaries: pd.DataFrame, time_unit_days: float) -> pd.DataFrame:
    """int_clv_models_fitted: BG/NBD and Gamma-Gamma by maximum likelihood, once per fit purpose."""
    rows = []
    for purpose in FIT_PURPOSES:
        rows += _fit_rows(purpose, _purpose(summaries, purpose), time_unit_days)
    return pd.DataFrame(rows)


def same_settings(stored: pd.DataFrame, time_unit_days: float) -> bool:
    """The stored fit (python_models.refit) was made in this run's time unit: its rates are per that unit."""
    return bool((stored["time_unit_days"].astype(float) == time_unit_days).all())


def _bgnbd(parameters: pd.DataFrame, purpose: str) -> clv.BgNbdFit:
    rows = parameters[(parameters["fit_purpose"] == purpose) & (parameters["model"] == "bg_nbd")]
    value = dict(zip(rows["parameter"], rows["value"]))
    first = rows.iloc[0]
    return clv.BgNbdFit(float(value["r"]), float(value["alpha"]), float(value["a"]), float(value["b"]),
                        float(first["log_likelihood"]), int(first["customers_fitted"]), bool(first["converged"]))


def _gamma_gamma(parameters: pd.DataFrame, purpose: str) -> clv.GammaGammaFit:
    rows = parameters[(parameters["fit_purpose"] == purpose) & (parameters["model"] == "gamma_gamma")]
    value = dict(zip(rows["parameter"], rows["value"]))
    first = rows.iloc[0]
    return clv.GammaGammaFit(float(value["p"]), float(value["q"]), float(value["gamma"]),
                             float(first["log_likelihood"]), int(first["customers_fitted"]), bool(first["converged"]))


def customer_predictions(summaries: pd.DataFrame, parameters: pd.DataFrame, time_unit_days: float,
                         monthly_discount_rate: float) -> pd.DataFrame:
    """int_customer_clv_predicted: per customer, from the scoring fit.

    Expected purchases over the next 12 months (BG/NBD eq. 10), the probability of being alive at
    the as-of date (eq. 11), the expected value of a purchase (Gamma-Gamma) and the CLV of those 12
    months, month i discounted by (1 + monthly_discount_rate)^i (retention_warehouse.stats.clv.predicted_clv).
    """
    scoring = _purpose(summaries, "scoring")
    bgnbd, spend = _bgnbd(parameters, "scoring"), _gamma_gamma(parameters, "scoring")
    x, t_x, T, m = _arrays(scoring)
    horizon = HORIZON_MONTHS * clv.DAYS_PER_MONTH / time_unit_days
    return pd.DataFrame({
        "customer_id": scoring["customer_id"].astype(str).to_numpy(),
        "predicted_purchases_12m": clv.expected_purchases(bgnbd, horizon, x, t_x, T),
        "probability_alive": clv.probability_alive(bgnbd, x, t_x, T),
        "expected_purchase_value_usd": clv.expected_average_spend(spend, x, m),
        "predicted_clv_usd": clv.predicted_clv(bgnbd, spend, x, t_x, T, m, months=HORIZON_MONTHS,
                                               monthly_discount_rate=monthly_discount_rate,
                                               time_unit_days=time_unit_days),
    })


def holdout_predictions(summaries: pd.DataFrame, parameters: pd.DataFrame, time_unit_days: float) -> pd.DataFrame:
    """int_clv_holdout_predicted: the backtest's expected repeat purchases in each time unit of the holdout.

    The backtest fit predicts, for every customer who had made a first purchase by the calibration
    end, the expected purchases in the holdout (eq. 10, conditional on their own calibration
    history); summed over customers and differenced per time unit. The last period is shorter when
    the holdout is not a whole number of units.
    """
    if not float(time_unit_days).is_integer() or time_unit_days < 1:
        raise ValueError(f"var clv_time_unit_days must be a whole number of days >= 1, got {time_unit_days:g}")
    backtest = _purpose(summaries, "backtest")
    fit = _bgnbd(parameters, "backtest")
    calibration_end = as_date(backtest["calibration_end_date"].iloc[0])
    holdout_end = as_date(backtest["holdout_end_date"].iloc[0])
    holdout_days = (holdout_end - calibration_end).days
    if holdout_days < 1:
        raise ValueError(f"CLV backtest: holdout end {holdout_end} is not after calibration end {calibration_end}")
    periods = math.ceil(holdout_days / time_unit_days)
    x, t_x, T, _ = _arrays(backtest)
    cumulative = clv.holdout_cumulative_purchases(fit, holdout_days, time_unit_days, x, t_x, T)
    unit = int(time_unit_days)
    return pd.DataFrame({
        "period": np.arange(1, periods + 1),
        "period_start_date": [calibration_end + timedelta(days=k * unit + 1) for k in range(periods)],
        "period_end_date": [min(calibration_end + timedelta(days=(k + 1) * unit), holdout_end) for k in range(periods)],
        "predicted_purchases": np.diff(cumulative),
        "customers_in_backtest": len(backtest),
    })
