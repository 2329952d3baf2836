"""BG/NBD and Gamma-Gamma fitted by maximum likelihood, once per fit purpose (scoring, backtest).

A dbt Python model: dbt-duckdb runs it in-process. It reads the customer summaries built in SQL by
int_customer_transactions_summarised and calls scripts.clv_models, which fits with scripts.clv, the
project's scipy implementation that reproduces Fader, Hardie & Lee (2005) on CDNOW (tests/test_clv.py).
On PostgreSQL and Spark `warehouse fit-models` runs the same function and writes this table (README,
"Running on PostgreSQL / Spark"). One row per fit purpose, model and parameter.
"""

from scripts import clv_models


def model(dbt, session):
    summaries = dbt.ref("int_customer_transactions_summarised").df()
    return clv_models.fitted_parameters(summaries, float(dbt.config.get("clv_time_unit_days")))
