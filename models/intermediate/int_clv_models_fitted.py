"""BG/NBD and Gamma-Gamma fitted by maximum likelihood, once per fit purpose (scoring, backtest).

A dbt Python model (dbt-duckdb runs it in-process): it reads the customer summaries built in SQL
by int_customer_transactions_summarised and calls scripts.clv, the project's scipy
implementation that reproduces Fader, Hardie & Lee (2005) on CDNOW (tests/test_clv.py).
One row per fit purpose, model and parameter.
"""

import pandas as pd

from scripts import clv


def time_unit_label(days: float) -> str:
    return {1.0: "day", 7.0: "week"}.get(days, f"{days:g} days")


def fit_rows(purpose: str, summary: pd.DataFrame, time_unit_days: float) -> list[dict]:
    if summary.empty:
        raise ValueError(f"CLV {purpose} fit: no customer made a first purchase on or before the calibration end")
    x = summary["frequency"].to_numpy(dtype=float)
    t_x = summary["recency"].to_numpy(dtype=float)
    T = summary["customer_age"].to_numpy(dtype=float)
    m = summary["average_repeat_value_usd"].to_numpy(dtype=float)
    if not ((x > 0) & (m > 0)).any():
        raise ValueError(f"CLV {purpose} fit: no customer has a repeat purchase with a positive value")
    bgnbd = clv.fit_bgnbd(x, t_x, T)
    spend = clv.fit_gamma_gamma(x, m)
    common = {
        "fit_purpose": purpose,
        "calibration_end_date": summary["calibration_end_date"].iloc[0],
        "holdout_end_date": summary["holdout_end_date"].iloc[0],
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


def model(dbt, session):
    dbt.config(materialized="table")
    time_unit_days = float(dbt.config.get("clv_time_unit_days"))
    # Sorted, so that the same customers give the same sums, and so the same fit, bit for bit,
    # whatever order the table's rows come back in (an incremental run and a full refresh agree).
    summaries = dbt.ref("int_customer_transactions_summarised").df().sort_values(["fit_purpose", "customer_id"])
    rows = []
    for purpose in ("scoring", "backtest"):
        rows += fit_rows(purpose, summaries[summaries["fit_purpose"] == purpose], time_unit_days)
    return pd.DataFrame(rows)
