"""The churn-risk logistic regression, fitted on the training snapshots (dbt Python model).

Fitted on customers who were customers at a training snapshot date (churn_training_snapshots month
ends, doc `churn_snapshots`; a customer may be in several), with the label "no counted order in the following
churn_outcome_days". The signals it uses are the rows of seed churn_signals;
each must be a feature_* column of int_customer_churn_signals_computed. Above var
churn_training_max_rows training rows, it is fitted on a deterministic sample of customers (the same
customers at every snapshot, by md5 of customer_id) of about that many rows; only those rows leave
DuckDB. One row per term. Incremental: the fit is kept from the last run until the as-of date
reaches a new model_refit_period (retention_warehouse.python_models.refit). The code is
retention_warehouse.python_models.churn_tables.fit_from_signals, which `warehouse fit-models` runs on
PostgreSQL and Spark.
"""

from retention_warehouse.python_models import churn_tables, refit


def model(dbt, session):
    # dbt finds a Python model's parents in calls to dbt.ref inside model(), not nested in other calls.
    seed = dbt.ref("churn_signals").df()
    signals = dbt.ref("int_customer_churn_signals_computed")
    reporting_dates = dbt.ref("int_reporting_dates")
    as_of = refit.as_of_date(reporting_dates.df())
    read, count = churn_tables.relation_reader(signals)
    # dbt reads a Python model's configs from dbt.config.get calls in model() itself, not in a lambda.
    max_rows = int(dbt.config.get("churn_training_max_rows"))
    period = str(dbt.config.get("model_refit_period"))
    fitted = refit.on_schedule(
        churn_tables.stored_terms(seed, refit.stored_fit(session, dbt.this, dbt.is_incremental)), as_of, period,
        fit=lambda: churn_tables.fit_from_signals(seed, read, count, max_rows),
    )
    return refit.model_table(session, dbt.this, fitted)
