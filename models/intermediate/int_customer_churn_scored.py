"""Churn-risk score and reason codes for every customer at the test and current snapshots (dbt Python model).

The training snapshots are only fitted on, not scored.

Applies the fitted logistic regression (int_churn_model_fitted) to the signals: score = probability
of no counted order in the next churn_outcome_days; reason codes = up to three signals that raise
the customer's log-odds most against the average trained customer (scripts.churn.reason_codes).
"""

import numpy as np
import pandas as pd

from scripts import churn


def fitted(terms: pd.DataFrame, features: tuple[str, ...]) -> churn.LogisticFit:
    by_term = terms.set_index("term")
    first = terms.iloc[0]
    return churn.LogisticFit(
        features=features,
        intercept=float(by_term.loc["intercept", "coefficient"]),
        coefficients=by_term.loc[list(features), "coefficient"].to_numpy(dtype=float),
        standardized=by_term.loc[list(features), "standardized_coefficient"].to_numpy(dtype=float),
        means=by_term.loc[list(features), "training_mean"].to_numpy(dtype=float),
        scales=by_term.loc[list(features), "training_sd"].to_numpy(dtype=float),
        log_likelihood=float(first["log_likelihood"]),
        customers=int(first["customers_trained"]),
        positives=int(round(first["churn_rate_trained"] * first["customers_trained"])),
        converged=bool(first["converged"]),
    )


def model(dbt, session):
    dbt.config(materialized="table")
    seed = dbt.ref("churn_signals").df()
    features = tuple(seed["feature"])
    codes = dict(zip(seed["feature"], seed["reason_code"]))
    fit = fitted(dbt.ref("int_churn_model_fitted").df(), features)
    signals = dbt.ref("int_customer_churn_signals_computed").df()
    signals = signals[signals["snapshot_purpose"] != "train"]
    signals = signals.sort_values(["snapshot_date", "customer_id"], kind="stable", ignore_index=True)
    x = signals[list(features)].to_numpy(dtype=float)
    return pd.DataFrame({
        "snapshot_purpose": signals["snapshot_purpose"].to_numpy(),
        "customer_id": signals["customer_id"].to_numpy(),
        "churn_risk_score": churn.predict(fit, x) if len(x) else np.array([], dtype=float),
        "reason_codes": churn.reason_codes(fit, x, codes) if len(x) else [],
    })
