"""Churn-risk score and reason codes for every customer at the test and current snapshots (dbt Python model).

The training snapshots are only fitted on, not scored.

Applies the fitted logistic regression (int_churn_model_fitted) to the signals: score = probability
of no counted order in the next churn_outcome_days; reason codes = up to three signals that raise
the customer's log-odds most against the average trained customer (retention_warehouse.stats.churn.reason_codes).
Only the test and current rows leave DuckDB.
The code is retention_warehouse.python_models.churn_tables.score_from_signals, which `warehouse fit-models` runs on PostgreSQL
and Spark.
"""

from retention_warehouse.python_models import churn_tables


def model(dbt, session):
    seed = dbt.ref("churn_signals").df()
    terms = dbt.ref("int_churn_model_fitted").df()
    signals = dbt.ref("int_customer_churn_signals_computed")
    read, _ = churn_tables.relation_reader(signals)
    return churn_tables.score_from_signals(seed, terms, read)
