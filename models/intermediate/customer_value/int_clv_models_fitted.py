"""BG/NBD and Gamma-Gamma fitted by maximum likelihood, once per fit purpose (scoring, backtest).

A dbt Python model: dbt-duckdb runs it in-process. It reads the customer summaries built in SQL by
int_customer_transactions_summarised and calls retention_warehouse.python_models.clv_tables, which
fits with retention_warehouse.stats.clv, the project's scipy implementation that reproduces Fader,
Hardie & Lee (2005) on CDNOW (tests/unit/test_clv.py).
Incremental: the fit is kept from the last run until the as-of date reaches a new
model_refit_period (retention_warehouse.python_models.refit), so most runs read no summary here.
On PostgreSQL and Spark `warehouse fit-models` runs the same code and writes this table
(docs/engines.md). One row per fit purpose, model and parameter.
"""

from retention_warehouse.python_models import clv_tables, refit


def model(dbt, session):
    summaries = dbt.ref("int_customer_transactions_summarised")
    reporting_dates = dbt.ref("int_reporting_dates")
    as_of = refit.as_of_date(reporting_dates.df())
    time_unit_days = float(dbt.config.get("clv_time_unit_days"))
    period = str(dbt.config.get("model_refit_period"))
    fitted = refit.on_schedule(
        refit.stored_fit(session, dbt.this, dbt.is_incremental), as_of, period,
        fit=lambda: clv_tables.fitted_parameters(summaries.df(), time_unit_days),
        same_settings=lambda stored: clv_tables.same_settings(stored, time_unit_days),
    )
    return refit.model_table(session, dbt.this, fitted)
