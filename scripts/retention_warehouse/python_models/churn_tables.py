"""The two churn model tables, computed from the SQL-built signals and seed churn_signals.

One implementation for every engine. On DuckDB the dbt Python models int_churn_model_fitted and
int_customer_churn_scored call these functions inside `dbt build`; on PostgreSQL and Spark (whose
dbt adapters cannot run Python models here) `warehouse fit-models` calls them on the tables read
through the target's connection and writes both tables back (scripts/retention_warehouse/warehouse/build.py). Either way the
inputs are intermediate.int_customer_churn_signals_computed and reference.churn_signals.

The signals are put in (snapshot_date, customer_id) order before anything is fitted: views and
engines return rows in no fixed order, and a fixed order makes the fit (float sums) reproducible and
the same on every engine.

Only the rows each table needs leave the engine: the training rows (a deterministic sample of
customers when there are more than var churn_training_max_rows, `training_filter`) for the fit, the
test and current rows for the scores. The filters are plain SQL that DuckDB, PostgreSQL and Spark
all run alike (md5 and substr), so every engine fits on the same customers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from retention_warehouse.python_models.values import as_date
from retention_warehouse.stats import churn

TRAINING_ROWS = "snapshot_purpose = 'train' and is_customer_at_snapshot"
"""The rows the model learns from: customers at a training snapshot."""
SCORED_ROWS = "snapshot_purpose <> 'train'"
"""The rows that get a score: every customer at the test and current snapshots."""
HASH_DIGITS = 8
"""Hex digits of md5(customer_id) the sample compares: 16^8 buckets, so the share is exact to 1e-9."""

Read = Callable[[list[str], str], pd.DataFrame]
"""Reads the given columns of the signals table, for the rows matching a SQL predicate."""
Count = Callable[[str], int]
"""Counts the rows of the signals table matching a SQL predicate."""


def in_order(signals: pd.DataFrame) -> pd.DataFrame:
    """The signals sorted by snapshot date and customer, so every fit sums in the same order."""
    return signals.sort_values(["snapshot_date", "customer_id"], kind="stable", ignore_index=True)


def features_of(seed: pd.DataFrame) -> tuple[str, ...]:
    """The model's features: the rows of seed churn_signals, in seed order."""
    return tuple(str(feature) for feature in seed["feature"])


def training_columns(features: tuple[str, ...]) -> list[str]:
    """The signal columns the fit reads."""
    return ["snapshot_purpose", "snapshot_date", "customer_id", "is_customer_at_snapshot",
            "churned_in_outcome_window", *features]


def scored_columns(features: tuple[str, ...]) -> list[str]:
    """The signal columns the scores read."""
    return ["snapshot_purpose", "snapshot_date", "customer_id", *features]


def sample_share(available: int, max_rows: int) -> float:
    """Share of the training customers kept so that about max_rows rows remain (1.0: all of them)."""
    if max_rows < 1:
        raise ValueError(f"churn_training_max_rows must be a positive number of rows, got {max_rows}")
    return 1.0 if available <= max_rows else max_rows / available


def sample_threshold(share: float) -> str | None:
    """The hex prefix below which md5(customer_id) keeps a customer in a `share` sample; None: keep all."""
    if not 0.0 < share <= 1.0:
        raise ValueError(f"sample share must be in (0, 1], got {share}")
    if share == 1.0:
        return None
    return f"{max(1, int(share * 16**HASH_DIGITS)):0{HASH_DIGITS}x}"


def sample_predicate(share: float) -> str | None:
    """SQL keeping the customers whose md5(customer_id) falls in the lowest `share` of hash values.

    A customer is kept or left out at every training snapshot alike, on every engine and every run
    (equal-length lowercase hex strings compare as their numbers). None when everyone is kept.
    """
    threshold = sample_threshold(share)
    if threshold is None:
        return None
    return f"substr(md5(customer_id), 1, {HASH_DIGITS}) < '{threshold}'"


def training_filter(share: float) -> str:
    """The predicate of the rows the model is fitted on, the sample included."""
    sample = sample_predicate(share)
    return TRAINING_ROWS if sample is None else f"{TRAINING_ROWS} and {sample}"


def relation_reader(relation: Any) -> tuple[Read, Count]:
    """Read and Count on a DuckDB relation (the Python models' dbt.ref): the filter runs in DuckDB."""
    def read(columns: list[str], where: str) -> pd.DataFrame:
        return relation.filter(where).project(", ".join(columns)).df()

    def count(where: str) -> int:
        return int(relation.filter(where).aggregate("count(*)").fetchall()[0][0])
    return read, count


def fit_from_signals(seed: pd.DataFrame, read: Read, count: Count, max_rows: int) -> pd.DataFrame:
    """int_churn_model_fitted from a signals table it reads only the (sampled) training rows of."""
    features = features_of(seed)
    share = sample_share(count(TRAINING_ROWS), max_rows)
    return fitted_terms(seed, read(training_columns(features), training_filter(share)), share)


def score_from_signals(seed: pd.DataFrame, terms: pd.DataFrame, read: Read) -> pd.DataFrame:
    """int_customer_churn_scored from a signals table it reads only the test and current rows of."""
    return scored_customers(seed, terms, read(scored_columns(features_of(seed)), SCORED_ROWS))


def stored_terms(seed: pd.DataFrame, stored: pd.DataFrame | None) -> pd.DataFrame | None:
    """The stored fit (python_models.refit), refused when its terms are not the seed's features.

    A run keeps the stored fit or writes a new one over it term by term, so a feature added to or
    removed from seed churn_signals needs the fit rebuilt whole.
    """
    if stored is None or stored.empty:
        return stored
    terms, wanted = set(stored["term"]), {"intercept", *features_of(seed)}
    if terms != wanted:
        raise ValueError(
            "churn model: seed churn_signals has changed since the stored fit (terms "
            f"{sorted(terms - wanted)} removed, {sorted(wanted - terms)} added): fit it again with "
            "`dbt build --full-refresh --select int_churn_model_fitted+` on DuckDB, "
            "`warehouse build --full-refresh --target <target>` on any target")
    return stored


def training_data(features: tuple[str, ...], signals: pd.DataFrame) -> pd.DataFrame:
    """Customers at the training snapshots (the rows the model learns from; a customer may be in several)."""
    unknown = [f for f in features if f not in signals.columns]
    if unknown:
        raise ValueError(f"seed churn_signals names features that int_customer_churn_signals_computed lacks: {unknown}")
    at_snapshot = signals["is_customer_at_snapshot"].astype("boolean").fillna(False).astype(bool)
    return signals[(signals["snapshot_purpose"] == "train") & at_snapshot]


def fitted_terms(seed: pd.DataFrame, signals: pd.DataFrame, share: float = 1.0) -> pd.DataFrame:
    """int_churn_model_fitted: the logistic regression fitted on the training snapshots pooled, one row per term.

    `share` is recorded, not applied: the share of training customers `signals` was sampled to.
    """
    features = features_of(seed)
    train = training_data(features, in_order(signals))
    if train.empty:
        raise ValueError("churn model: no customer at any training snapshot (the churn_training_snapshots month ends "
                         "up to the first day of the as-of month - 2 x churn_outcome_days)")
    fit = churn.fit_logistic(features, train[list(features)].to_numpy(dtype=float),
                             train["churned_in_outcome_window"].astype("boolean").to_numpy(dtype=int))
    if not fit.converged:
        raise ValueError(f"churn model: the logistic regression did not converge: {fit.reason}")
    common = {
        "snapshot_date": as_date(train["snapshot_date"].max()),
        "training_snapshots": int(train["snapshot_date"].nunique()),
        "customers_trained": fit.customers,
        "training_sample_share": float(share),
        "training_sample_md5_below": sample_threshold(share),
        "churn_rate_trained": fit.positives / fit.customers,
        "log_likelihood": fit.log_likelihood,
        "converged": fit.converged,
    }
    codes = dict(zip(features, (str(code) for code in seed["reason_code"])))
    rows = [{"term": "intercept", "reason_code": None, "coefficient": fit.intercept, "standardized_coefficient": None,
             "training_mean": None, "training_sd": None, **common}]
    rows += [
        {"term": name, "reason_code": codes[name], "coefficient": float(fit.coefficients[i]),
         "standardized_coefficient": float(fit.standardized[i]), "training_mean": float(fit.means[i]),
         "training_sd": float(fit.scales[i]), **common}
        for i, name in enumerate(features)
    ]
    frame = pd.DataFrame(rows)
    for column in ("coefficient", "standardized_coefficient", "training_mean", "training_sd"):
        frame[column] = frame[column].astype(float)
    frame["reason_code"] = frame["reason_code"].astype(object)
    # A string column even when every value is null (unsampled), so every engine gets a text column.
    frame["training_sample_md5_below"] = frame["training_sample_md5_below"].astype("string")
    return frame


def _fit(terms: pd.DataFrame, features: tuple[str, ...]) -> churn.LogisticFit:
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
        positives=int(round(float(first["churn_rate_trained"]) * int(first["customers_trained"]))),
        converged=bool(first["converged"]),
    )


def scored_customers(seed: pd.DataFrame, terms: pd.DataFrame, signals: pd.DataFrame) -> pd.DataFrame:
    """int_customer_churn_scored: score and reason codes of every customer at the test and current snapshots.

    The training snapshots are only fitted on, not scored.

    score = probability of no counted order in the next churn_outcome_days; reason codes = up to
    three signals that raise the customer's log-odds most against the average trained customer.
    """
    features = features_of(seed)
    codes = dict(zip(features, (str(code) for code in seed["reason_code"])))
    fit = _fit(terms, features)
    signals = in_order(signals[signals["snapshot_purpose"] != "train"])
    x = signals[list(features)].to_numpy(dtype=float)
    return pd.DataFrame({
        "snapshot_purpose": signals["snapshot_purpose"].astype(str).to_numpy(),
        "customer_id": signals["customer_id"].astype(str).to_numpy(),
        "churn_risk_score": churn.predict(fit, x) if len(x) else np.array([], dtype=float),
        "reason_codes": pd.Series(churn.reason_codes(fit, x, codes) if len(x) else [], dtype=object).to_numpy(),
    })
