"""`warehouse fit-models`: the tables of dbt's five Python models, computed and written on PostgreSQL or Spark.

dbt-duckdb runs the Python models (three CLV, two churn) inside `dbt build`; the PostgreSQL and Spark
adapters cannot run them here. There this step reads the SQL-built inputs through the target's
connection, calls the same code the Python models call (retention_warehouse/python_models) and writes
the five tables back, where the models' materialization `fitted_outside_dbt` finds them. The two fits
follow the refit schedule of the Python models (python_models/refit.py): a fit table already on the
target is kept, and not written again, until the as-of date reaches a new model_refit_period or the
build is a --full-refresh.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa

from retention_warehouse.python_models import churn_tables, clv_tables, refit
from retention_warehouse.warehouse.targets import MissingTableError, Warehouse

INTERMEDIATE_SCHEMA = "intermediate"
REPORTING_DATES_MODEL = "int_reporting_dates"
SUMMARIES_MODEL = "int_customer_transactions_summarised"
FITTED_MODEL = "int_clv_models_fitted"
PREDICTED_MODEL = "int_customer_clv_predicted"
HOLDOUT_MODEL = "int_clv_holdout_predicted"
SIGNALS_MODEL = "int_customer_churn_signals_computed"
CHURN_SEED = ("reference", "churn_signals")
CHURN_FITTED_MODEL = "int_churn_model_fitted"
CHURN_SCORED_MODEL = "int_customer_churn_scored"
PYTHON_MODELS = (FITTED_MODEL, PREDICTED_MODEL, HOLDOUT_MODEL, CHURN_FITTED_MODEL, CHURN_SCORED_MODEL)
"""The dbt Python models, fitted outside dbt off DuckDB (materialization fitted_outside_dbt)."""


class FitStepError(Exception):
    """The fits cannot run on a target (an input is empty); the message names the table."""


def _query_frame(warehouse: Warehouse, sql: str) -> pd.DataFrame:
    result = warehouse.query(sql)
    return pd.DataFrame.from_records(result.rows, columns=result.columns)


def _frame(warehouse: Warehouse, table: str, schema: str = INTERMEDIATE_SCHEMA) -> pd.DataFrame:
    return _query_frame(warehouse, f"select * from {schema}.{table}")


def _stored(warehouse: Warehouse, table: str, full_refresh: bool) -> pd.DataFrame | None:
    """A fit table as the last build left it on the target; None on a first build or a --full-refresh."""
    if full_refresh:
        return None
    try:
        return _frame(warehouse, table)
    except MissingTableError:
        return None


def _as_of(warehouse: Warehouse) -> date:
    return refit.as_of_date(_frame(warehouse, REPORTING_DATES_MODEL))


def _write(warehouse: Warehouse, tables: dict[str, pd.DataFrame | None]) -> dict[str, int]:
    """Replace each table with its frame; None: a kept fit, left as it is. Rows per table written."""
    written = {name: frame for name, frame in tables.items() if frame is not None}
    for name, frame in written.items():
        warehouse.replace_table(INTERMEDIATE_SCHEMA, name, pa.Table.from_pandas(frame, preserve_index=False))
    return {name: len(frame) for name, frame in written.items()}


def fit_clv(warehouse: Warehouse, variables: dict[str, Any], full_refresh: bool = False) -> dict[str, int]:
    """Write the CLV model tables on a target from its own summaries; rows per table written.

    `variables` are the project's vars (warehouse.project.project_vars): clv_time_unit_days,
    clv_monthly_discount_rate, model_refit_period. The fit table is left as it is when its stored
    fit is kept.
    """
    time_unit_days = float(variables["clv_time_unit_days"])
    discount = float(variables["clv_monthly_discount_rate"])
    summaries = _frame(warehouse, SUMMARIES_MODEL)
    if summaries.empty:
        raise FitStepError(f"{INTERMEDIATE_SCHEMA}.{SUMMARIES_MODEL} is empty on {warehouse.target}: nothing to fit")
    stored = _stored(warehouse, FITTED_MODEL, full_refresh)
    fitted = refit.on_schedule(stored, _as_of(warehouse), str(variables["model_refit_period"]),
                               fit=lambda: clv_tables.fitted_parameters(summaries, time_unit_days),
                               same_settings=lambda kept: clv_tables.same_settings(kept, time_unit_days))
    parameters = stored if fitted is None else fitted
    tables = {
        FITTED_MODEL: fitted,
        PREDICTED_MODEL: clv_tables.customer_predictions(summaries, parameters, time_unit_days, discount),
        HOLDOUT_MODEL: clv_tables.holdout_predictions(summaries, parameters, time_unit_days),
    }
    return _write(warehouse, tables)


def fit_churn(warehouse: Warehouse, variables: dict[str, Any], full_refresh: bool = False) -> dict[str, int]:
    """Write the churn model tables on a target from its own signals and seed; rows per table written.

    `variables` are the project's vars (warehouse.project.project_vars): churn_training_max_rows,
    model_refit_period. The fit table is left as it is when its stored fit is kept.
    """
    seed = _frame(warehouse, CHURN_SEED[1], CHURN_SEED[0])
    table = f"{INTERMEDIATE_SCHEMA}.{SIGNALS_MODEL}"

    def read(columns: list[str], where: str) -> pd.DataFrame:
        return _query_frame(warehouse, f"select {', '.join(columns)} from {table} where {where}")

    def count(where: str) -> int:
        return int(warehouse.query(f"select count(*) from {table} where {where}").rows[0][0])

    if count("1 = 1") == 0:
        raise FitStepError(f"{table} is empty on {warehouse.target}: nothing to fit")
    stored = churn_tables.stored_terms(seed, _stored(warehouse, CHURN_FITTED_MODEL, full_refresh))
    fitted = refit.on_schedule(
        stored, _as_of(warehouse), str(variables["model_refit_period"]),
        fit=lambda: churn_tables.fit_from_signals(seed, read, count, int(variables["churn_training_max_rows"])))
    terms = stored if fitted is None else fitted
    return _write(warehouse, {
        CHURN_FITTED_MODEL: fitted,
        CHURN_SCORED_MODEL: churn_tables.score_from_signals(seed, terms, read),
    })


def fit_models(warehouse: Warehouse, variables: dict[str, Any], full_refresh: bool = False) -> dict[str, int]:
    """Every model dbt-duckdb runs as Python, on a target: the CLV fit, then the churn fit; rows per table written.

    `full_refresh` fits both models again whatever the refit schedule says (python_models/refit.py).
    """
    return {**fit_clv(warehouse, variables, full_refresh), **fit_churn(warehouse, variables, full_refresh)}
