"""The churn-risk logistic regression, fitted on the training snapshots (dbt Python model).

Fitted on customers who were customers at a training snapshot date (churn_training_snapshots monthly
dates; a customer may be in several), with the label "no counted order in the following
churn_outcome_days". The signals it uses are the rows of seed churn_signals;
each must be a feature_* column of int_customer_churn_signals_computed. One row per term.
"""

import pandas as pd

from scripts import churn


def training_data(features: tuple[str, ...], signals: pd.DataFrame) -> pd.DataFrame:
    unknown = [f for f in features if f not in signals.columns]
    if unknown:
        raise ValueError(f"seed churn_signals names features that int_customer_churn_signals_computed lacks: {unknown}")
    return signals[(signals["snapshot_purpose"] == "train") & signals["is_customer_at_snapshot"]]


def model(dbt, session):
    dbt.config(materialized="table")
    # dbt finds a Python model's parents in calls to dbt.ref inside model(), not nested in other calls.
    seed = dbt.ref("churn_signals").df()
    signals = dbt.ref("int_customer_churn_signals_computed").df()
    # Views come back in no fixed order; a fixed order makes the fit (float sums) reproducible.
    signals = signals.sort_values(["snapshot_date", "customer_id"], kind="stable", ignore_index=True)
    features = tuple(seed["feature"])
    train = training_data(features, signals)
    if train.empty:
        raise ValueError("churn model: no customer at any training snapshot (as-of date - 2 x churn_outcome_days "
                         "and the churn_training_snapshots - 1 months before)")
    fit = churn.fit_logistic(features, train[list(features)].to_numpy(dtype=float),
                             train["churned_in_outcome_window"].to_numpy(dtype=int))
    common = {
        "snapshot_date": train["snapshot_date"].max(),
        "training_snapshots": int(train["snapshot_date"].nunique()),
        "customers_trained": fit.customers,
        "churn_rate_trained": fit.positives / fit.customers,
        "log_likelihood": fit.log_likelihood,
        "converged": fit.converged,
    }
    codes = dict(zip(seed["feature"], seed["reason_code"]))
    rows = [{"term": "intercept", "reason_code": None, "coefficient": fit.intercept, "standardized_coefficient": None,
             "training_mean": None, "training_sd": None, **common}]
    rows += [
        {"term": name, "reason_code": codes[name], "coefficient": float(fit.coefficients[i]),
         "standardized_coefficient": float(fit.standardized[i]), "training_mean": float(fit.means[i]),
         "training_sd": float(fit.scales[i]), **common}
        for i, name in enumerate(features)
    ]
    return pd.DataFrame(rows)
