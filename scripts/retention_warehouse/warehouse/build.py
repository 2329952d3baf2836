"""The same warehouse on PostgreSQL or Spark: copy the loaded raw tables, build, fit the models beside dbt.

Where each step runs (README, "Running on PostgreSQL / Spark"):

- load: always into the DuckDB file (`warehouse load`), so the contract checks and the quarantine
  exist once, in scripts/retention_warehouse/ingest/loader.py;
- export_raw: copies every `raw.*` table, as loaded and validated, from the DuckDB file to the target;
- build: `dbt build` on the target. dbt-duckdb runs the five Python models (three CLV, two churn)
  inside it; on other targets dbt cannot run them, so the build runs in two parts with fit_models
  between them: first everything except those models and what depends on them, then fit_models
  computes their tables from the SQL-built inputs of part one (scripts/clv_tables.py and
  scripts/churn_tables.py, the code the Python models call), then the Python models
  (materialization `fitted_outside_dbt`, which checks the tables are there) and everything
  downstream of them, with their tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import yaml

from retention_warehouse.python_models import churn_tables

from retention_warehouse.python_models import clv_tables
from retention_warehouse.config import PROJECT_ROOT, RAW_SCHEMA
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
OUTSIDE_MODELS = (FITTED_MODEL, PREDICTED_MODEL, HOLDOUT_MODEL, CHURN_FITTED_MODEL, CHURN_SCORED_MODEL)
"""The dbt Python models, fitted outside dbt off DuckDB (materialization fitted_outside_dbt)."""
OUTSIDE_SELECTOR = " ".join(f"{model}+" for model in OUTSIDE_MODELS)
"""Those models and everything downstream of them: part two of a build off DuckDB (a union)."""


class EngineStepError(Exception):
    """A build step on a target failed; the message names the step."""


# --------------------------------------------------------------------------- raw tables


def raw_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table of the raw schema in the DuckDB file: loaded rows, rejected rows and the audits."""
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE'"
        " order by table_name",
        [RAW_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows]


def export_raw(con: duckdb.DuckDBPyConnection, destination: Warehouse,
               on_table: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Replace the target's raw tables with the DuckDB file's, column types and rows exactly; rows per table."""
    tables = raw_tables(con)
    if not tables:
        raise EngineStepError(f"the DuckDB warehouse has no {RAW_SCHEMA}.* tables: run `warehouse load` first")
    copied: dict[str, int] = {}
    for table in tables:
        data = con.sql(f"select * from {RAW_SCHEMA}.{table}").to_arrow_table()
        destination.replace_table(RAW_SCHEMA, table, data)
        copied[table] = data.num_rows
        if on_table is not None:
            on_table(table, data.num_rows)
    return copied


# --------------------------------------------------------------------------- model fits


def project_vars(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The vars of dbt_project.yml with `--vars` overrides applied, as dbt resolves them for the project."""
    declared = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text(encoding="utf-8")).get("vars") or {}
    return {**declared, **(overrides or {})}


def parse_vars(text: str | None) -> dict[str, Any]:
    """A `--vars` argument (a YAML mapping, as dbt takes it) as a dict."""
    if not text:
        return {}
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"--vars is not YAML: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ValueError(f"--vars must be a YAML mapping such as '{{as_of_date: 2025-06-30}}', got {text!r}")
    return parsed


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

    `variables` are the project's vars (project_vars): clv_time_unit_days, clv_monthly_discount_rate.
    """
    time_unit_days = float(variables["clv_time_unit_days"])
    discount = float(variables["clv_monthly_discount_rate"])
    summaries = _frame(warehouse, SUMMARIES_MODEL)
    if summaries.empty:
        raise EngineStepError(f"{INTERMEDIATE_SCHEMA}.{SUMMARIES_MODEL} is empty on {warehouse.target}: nothing to fit")
    parameters = clv_tables.fitted_parameters(summaries, time_unit_days)
    tables = {
        FITTED_MODEL: parameters,
        PREDICTED_MODEL: clv_tables.customer_predictions(summaries, parameters, time_unit_days, discount),
        HOLDOUT_MODEL: clv_tables.holdout_predictions(summaries, parameters, time_unit_days),
    }
    return _write(warehouse, tables)


def fit_churn(warehouse: Warehouse, variables: dict[str, Any]) -> dict[str, int]:
    """Write the two churn model tables on a target from its own signals and seed; rows per table.

    `variables` are the project's vars (project_vars): churn_training_max_rows.
    """
    seed = _frame(warehouse, CHURN_SEED[1], CHURN_SEED[0])
    table = f"{INTERMEDIATE_SCHEMA}.{SIGNALS_MODEL}"

    def read(columns: list[str], where: str) -> pd.DataFrame:
        return _query_frame(warehouse, f"select {', '.join(columns)} from {table} where {where}")

    def count(where: str) -> int:
        return int(warehouse.query(f"select count(*) from {table} where {where}").rows[0][0])

    if count("1 = 1") == 0:
        raise EngineStepError(f"{table} is empty on {warehouse.target}: nothing to fit")
    terms = churn_tables.fit_from_signals(seed, read, count, int(variables["churn_training_max_rows"]))
    return _write(warehouse, {
        CHURN_FITTED_MODEL: terms,
        CHURN_SCORED_MODEL: churn_tables.score_from_signals(seed, terms, read),
    })


def fit_models(warehouse: Warehouse, variables: dict[str, Any]) -> dict[str, int]:
    """Every model dbt-duckdb runs as Python, on a target: the CLV fit, then the churn fit; rows per table."""
    return {**fit_clv(warehouse, variables), **fit_churn(warehouse, variables)}


# --------------------------------------------------------------------------- build


@dataclass
class StepResult:
    name: str
    seconds: float
    ok: bool
    detail: str = ""


@dataclass
class BuildResult:
    target: str
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)


def dbt_steps(target: str, extra_args: list[str]) -> list[tuple[str, list[str]]]:
    """The dbt invocations of a build on `target`, before and after the model fits (none after on DuckDB)."""
    if target == "duckdb":
        return [("dbt build", ["build", "--target", target, *extra_args])]
    selected = OUTSIDE_SELECTOR.split()
    return [
        (f"dbt build --exclude {OUTSIDE_SELECTOR}", ["build", "--target", target, "--exclude", *selected, *extra_args]),
        (f"dbt build --select {OUTSIDE_SELECTOR}", ["build", "--target", target, "--select", *selected, *extra_args]),
    ]


FIT_STEP = "warehouse fit-models"


def _fit_step(target: str, connect: Callable[[str], Any], overrides: dict[str, Any] | None) -> StepResult:
    started = time.perf_counter()
    try:
        with connect(target) as warehouse:
            rows = fit_models(warehouse, project_vars(overrides))
    except (EngineStepError, ValueError) as exc:
        return StepResult(FIT_STEP, time.perf_counter() - started, False, str(exc))
    detail = ", ".join(f"{table} {n:,} rows" for table, n in rows.items())
    return StepResult(FIT_STEP, time.perf_counter() - started, True, detail)


def build(target: str, invoke: Callable[[list[str]], Any], connect: Callable[[str], Any],
          overrides: dict[str, Any] | None = None, on_step: Callable[[StepResult], None] | None = None,
          full_refresh: bool = False) -> BuildResult:
    """dbt build on `target`, with the model fits between its two parts on targets other than DuckDB.

    `invoke` runs dbt with a list of arguments and returns a dbtRunnerResult; `connect` opens the
    target (retention_warehouse.warehouse.targets.connect). Stops at the first step that fails. `full_refresh` rebuilds
    the incremental models whole (their carried state assumes the same vars as the last build).
    """
    extra = ["--vars", yaml.safe_dump(overrides, default_flow_style=True).strip()] if overrides else []
    extra += ["--full-refresh"] if full_refresh else []
    result = BuildResult(target)

    def record(step: StepResult) -> bool:
        result.steps.append(step)
        if on_step is not None:
            on_step(step)
        return step.ok

    def run_dbt(name: str, args: list[str]) -> bool:
        started = time.perf_counter()
        outcome = invoke(args)
        return record(StepResult(name, time.perf_counter() - started, bool(outcome.success), _dbt_detail(outcome)))

    before_fit, *after_fit = dbt_steps(target, extra)
    if run_dbt(*before_fit) and after_fit and record(_fit_step(target, connect, overrides)):
        run_dbt(*after_fit[0])
    return result


def _dbt_detail(outcome: Any) -> str:
    """What a dbt invocation did, or why it failed: node counts by status, the failing nodes."""
    if outcome.exception is not None:
        return str(outcome.exception).strip().splitlines()[0]
    results = getattr(outcome.result, "results", None) or []
    counts: dict[str, int] = {}
    failed = []
    for node_result in results:
        status = str(node_result.status)
        counts[status] = counts.get(status, 0) + 1
        if status not in ("success", "pass", "skipped", "no-op"):
            failed.append(f"{node_result.node.name}: {(node_result.message or status).strip().splitlines()[0]}")
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    return summary + ("; failed: " + "; ".join(failed[:5]) if failed else "")
