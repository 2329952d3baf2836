"""Run dbt in-process against one DuckDB file, and read what failed from its results."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dbt.cli.main import dbtRunner, dbtRunnerResult

from retention_warehouse.config import DB_PATH_ENV, PROJECT_ROOT

FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})
"""dbt node statuses that mean a model, seed or test did not pass (warn and skipped are not failures)."""


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the duration of a block (dbt reads the profile from them)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def run_dbt(
    args: Sequence[str],
    *,
    project_dir: Path,
    db_path: Path,
    target_path: Path,
    log_path: Path,
    callbacks: Sequence[Callable] = (),
    quiet: bool = True,
) -> dbtRunnerResult:
    """`dbt <args>` on the DuckDB file `db_path` (the profile reads WAREHOUSE_DB_PATH)."""
    with environment(**{DB_PATH_ENV: str(db_path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}):
        return dbtRunner(callbacks=list(callbacks)).invoke([
            *args, "--project-dir", str(project_dir), "--profiles-dir", str(PROJECT_ROOT),
            "--target-path", str(target_path), "--log-path", str(log_path), *(["--quiet"] if quiet else []),
        ])


@dataclass(frozen=True)
class NodeFailure:
    """A model, seed or test that did not pass."""

    unique_id: str
    resource_type: str
    status: str
    message: str


def failures_of(result: dbtRunnerResult) -> list[NodeFailure]:
    """Every failed node of a dbt run, or the run's own error when it stopped before any node ran."""
    failures = [
        NodeFailure(r.node.unique_id, str(r.node.resource_type), str(r.status), (r.message or "").strip())
        for r in (result.result or []) if hasattr(r, "node") and str(r.status) in FAILED_STATUSES
    ]
    if not result.success and not failures:
        failures.append(NodeFailure("dbt", "invocation", "error", str(result.exception or "dbt did not succeed")))
    return failures
