"""`warehouse build`: dbt build on a target, in two parts around the model fits off DuckDB.

Where each step runs (docs/engines.md):

- load: the raw tables are already on the target (an EL tool's on PostgreSQL; on Spark landed by
  `warehouse load --target spark`, ingest/spark_landing.py), or copied from the DuckDB file by
  `warehouse export-raw` (warehouse/raw_export.py); the contract checks are dbt models, part of the build;
- build: `dbt build` on the target. dbt-duckdb runs the five Python models (three CLV, two churn)
  inside it; on other targets dbt cannot run them, so the build runs in two parts with the fit step
  between them: first everything except those models and what depends on them, then the fit step
  computes their tables from the SQL-built inputs of part one (warehouse/fit_step.py, calling the
  code the Python models call), then the Python models (materialization `fitted_outside_dbt`, which
  checks the tables are there) and everything downstream of them, with their tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from retention_warehouse.warehouse import dbt_runner
from retention_warehouse.warehouse.fit_step import PYTHON_MODELS, FitStepError, fit_models
from retention_warehouse.warehouse.project import project_vars, vars_argument

PYTHON_MODELS_SELECTOR = " ".join(f"{model}+" for model in PYTHON_MODELS)
"""The Python models and everything downstream of them: part two of a build off DuckDB (a union)."""
FIT_STEP = "warehouse fit-models"


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
    selected = PYTHON_MODELS_SELECTOR.split()
    return [
        (f"dbt build --exclude {PYTHON_MODELS_SELECTOR}",
         ["build", "--target", target, "--exclude", *selected, *extra_args]),
        (f"dbt build --select {PYTHON_MODELS_SELECTOR}",
         ["build", "--target", target, "--select", *selected, *extra_args]),
    ]


def _fit_step(target: str, connect: Callable[[str], Any], overrides: dict[str, Any] | None,
              full_refresh: bool) -> StepResult:
    started = time.perf_counter()
    try:
        with connect(target) as warehouse:
            rows = fit_models(warehouse, project_vars(overrides), full_refresh)
    except (FitStepError, ValueError) as exc:
        return StepResult(FIT_STEP, time.perf_counter() - started, False, str(exc))
    detail = ", ".join(f"{table} {n:,} rows" for table, n in rows.items())
    return StepResult(FIT_STEP, time.perf_counter() - started, True, detail)


def build(target: str, invoke: dbt_runner.Invoke, connect: Callable[[str], Any],
          overrides: dict[str, Any] | None = None, on_step: Callable[[StepResult], None] | None = None,
          full_refresh: bool = False) -> BuildResult:
    """dbt build on `target`, with the model fits between its two parts on targets other than DuckDB.

    `invoke` runs dbt (dbt_runner.invoker); `connect` opens the target (warehouse.targets.connect).
    Stops at the first step that fails. `full_refresh` rebuilds the incremental models whole (their
    carried state assumes the same vars as the last build).
    """
    extra = vars_argument(overrides or {}) + (["--full-refresh"] if full_refresh else [])
    result = BuildResult(target)

    def record(step: StepResult) -> bool:
        result.steps.append(step)
        if on_step is not None:
            on_step(step)
        return step.ok

    def run_dbt(name: str, args: list[str]) -> bool:
        started = time.perf_counter()
        outcome = invoke(args)
        return record(StepResult(name, time.perf_counter() - started, bool(outcome.success),
                                 dbt_runner.summary(outcome)))

    before_fit, *after_fit = dbt_steps(target, extra)
    if run_dbt(*before_fit) and after_fit and record(_fit_step(target, connect, overrides, full_refresh)):
        run_dbt(*after_fit[0])
    return result
