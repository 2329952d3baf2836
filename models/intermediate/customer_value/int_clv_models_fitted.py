"""BG/NBD and Gamma-Gamma fitted by maximum likelihood, once per fit purpose (scoring, backtest).

A dbt Python model: dbt-duckdb runs it in-process. It reads the customer summaries built in SQL by
int_customer_transactions_summarised and calls retention_warehouse.python_models.clv_tables, which
fits with retention_warehouse.stats.clv, the project's scipy implementation that reproduces Fader,
Hardie & Lee (2005) on CDNOW (tests/unit/test_clv.py).
On PostgreSQL and Spark `warehouse fit-models` runs the same function and writes this table
(docs/engines.md). One row per fit purpose, model and parameter.
"""

from retention_warehouse.python_models import clv_tables


def model(dbt, session):
    summaries = dbt.ref("int_customer_transactions_summarised").df()
    return clv_tables.fitted_parameters(summaries, float(dbt.config.get("clv_time_unit_days")))
