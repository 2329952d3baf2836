"""`warehouse fit-models`: the tables of dbt's five Python models, computed and written on PostgreSQL or Spark.

dbt-duckdb runs the Python models (three CLV, two churn) inside `dbt build`; the PostgreSQL and Spark
adapters cannot run them here. There this step reads the SQL-built inputs through the target's
connection, calls the same code the Python models call (retention_warehouse/python_models) and writes
the five tables back, where the models' materialization `fitted_outside_dbt` finds them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

from retention_warehouse.python_models import churn_tables, clv_tables
from retention_warehouse.warehouse.targets import Warehouse

INTERMEDIATE_SCHEMA = "intermediate"
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


def _write(warehouse: Warehouse, tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    for name, frame in tables.items():
        warehouse.replace_table(INTERMEDIATE_SCHEMA, name, pa.Table.from_pandas(frame, preserve_index=False))
    return {name: len(frame) for name, frame in tables.items()}


def fit_clv(warehouse: Warehouse, variables: dict[str, Any]) -> dict[str, int]:
    """Write the three CLV model tables on a target from its own summaries; rows per table.

    `variables` are the project's vars (warehouse.project.project_vars): clv_time_unit_days,
    clv_monthly_discount_rate.
    """
    time_unit_days = float(variables["clv_time_unit_days"])
    discount = float(variables["clv_monthly_discount_rate"])
    summaries = _frame(warehouse, SUMMARIES_MODEL)
    if summaries.empty:
        raise FitStepError(f"{INTERMEDIATE_SCHEMA}.{SUMMARIES_MODEL} is empty on {warehouse.target}: nothing to fit")
    parameters = clv_tables.fitted_parameters(summaries, time_unit_days)
    tables = {
        FITTED_MODEL: parameters,
        PREDICTED_MODEL: clv_tables.customer_predictions(summaries, parameters, time_unit_days, discount),
        HOLDOUT_MODEL: clv_tables.holdout_predictions(summaries, parameters, time_unit_days),
    }
    return _write(warehouse, tables)


def fit_churn(warehouse: Warehouse, variables: dict[str, Any]) -> dict[str, int]:
    """Write the two churn model tables on a target from its own signals and seed; rows per table.

    `variables` are the project's vars (warehouse.project.project_vars): churn_training_max_rows.
    """
    seed = _frame(warehouse, CHURN_SEED[1], CHURN_SEED[0])
    table = f"{INTERMEDIATE_SCHEMA}.{SIGNALS_MODEL}"

    def read(columns: list[str], where: str) -> pd.DataFrame:
        return _query_frame(warehouse, f"select {', '.join(columns)} from {table} where {where}")

    def count(where: str) -> int:
        return int(warehouse.query(f"select count(*) from {table} where {where}").rows[0][0])

    if count("1 = 1") == 0:
        raise FitStepError(f"{table} is empty on {warehouse.target}: nothing to fit")
    terms = churn_tables.fit_from_signals(seed, read, count, int(variables["churn_training_max_rows"]))
    return _write(warehouse, {
        CHURN_FITTED_MODEL: terms,
        CHURN_SCORED_MODEL: churn_tables.score_from_signals(seed, terms, read),
    })


def fit_models(warehouse: Warehouse, variables: dict[str, Any]) -> dict[str, int]:
    """Every model dbt-duckdb runs as Python, on a target: the CLV fit, then the churn fit; rows per table."""
    return {**fit_clv(warehouse, variables), **fit_churn(warehouse, variables)}
