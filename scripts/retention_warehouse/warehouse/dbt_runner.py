"""dbt in this process: the one place a dbtRunner is made, its progress events, and what a run did.

Every command that runs dbt (publish, build, the tests' fixtures) calls `invoke` or an `invoker`, so
dbt always gets the same project, profiles folder and settings, and every failure is read by
`failures_of` and summarised by `summary`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbt.cli.main import dbtRunner, dbtRunnerResult

from retention_warehouse.config import PROJECT_ROOT
from retention_warehouse.warehouse.targets import profiles_dir

FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})
"""dbt node statuses that mean a model, seed or test did not pass (warn and skipped are not failures)."""

Invoke = Callable[[list[str]], dbtRunnerResult]
"""Runs dbt with a list of arguments (`["build", "--target", "postgres"]`) and returns its result."""

ProgressCallback = Callable[[str, int | None], None]
"""Called with a step name and, for dbt nodes, the total number of nodes (None: advance one)."""


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


def invoke(
    args: Sequence[str],
    *,
    project_dir: Path = PROJECT_ROOT,
    target_path: Path | None = None,
    log_path: Path | None = None,
    env: Mapping[str, str] | None = None,
    callbacks: Sequence[Callable[[Any], None]] = (),
    quiet: bool = True,
) -> dbtRunnerResult:
    """`dbt <args>` on `project_dir` with `env` set meanwhile (WAREHOUSE_DB_PATH, DBT_TARGET, PGHOST, ...)."""
    paths = [*(["--target-path", str(target_path)] if target_path else []),
             *(["--log-path", str(log_path)] if log_path else [])]
    with environment(DBT_SEND_ANONYMOUS_USAGE_STATS="false", **(env or {})):
        return dbtRunner(callbacks=list(callbacks)).invoke([
            *args, "--project-dir", str(project_dir), "--profiles-dir", str(profiles_dir()), *paths,
            *(["--quiet"] if quiet else []),
        ])


def invoker(**settings: Any) -> Invoke:
    """`invoke` with these keyword settings fixed: what `warehouse.build.build` takes to run dbt."""
    return lambda args: invoke(args, **settings)


def progress_callback(on_progress: ProgressCallback) -> Callable[[Any], None]:
    """A dbt event callback that reports the node total once and each finished node."""

    def callback(event: Any) -> None:
        name = event.info.name
        if name == "LogStartLine" and getattr(event.data, "total", 0):
            on_progress("dbt", int(event.data.total))
        elif name == "NodeFinished":
            on_progress("dbt", None)

    return callback


@dataclass(frozen=True)
class NodeFailure:
    """A model, seed or test that did not pass."""

    unique_id: str
    resource_type: str
    status: str
    message: str


def node_results(result: dbtRunnerResult) -> list[Any]:
    """The results of the nodes a run reached (none when dbt stopped before any node)."""
    return [r for r in (result.result or []) if hasattr(r, "node")]


def failures_of(result: dbtRunnerResult) -> list[NodeFailure]:
    """Every failed node of a dbt run, or the run's own error when it stopped before any node ran."""
    failures = [
        NodeFailure(r.node.unique_id, str(r.node.resource_type), str(r.status), (r.message or "").strip())
        for r in node_results(result) if str(r.status) in FAILED_STATUSES
    ]
    if not result.success and not failures:
        failures.append(NodeFailure("dbt", "invocation", "error", str(result.exception or "dbt did not succeed")))
    return failures


def summary(result: dbtRunnerResult) -> str:
    """What a dbt run did, in one line: nodes by status, then the first failures with their messages."""
    counts: dict[str, int] = {}
    for node_result in node_results(result):
        counts[str(node_result.status)] = counts.get(str(node_result.status), 0) + 1
    failed = [f"{f.unique_id.split('.')[-1]}: {(f.message.splitlines() or [f.status])[0]}" for f in failures_of(result)]
    parts = [", ".join(f"{n} {status}" for status, n in sorted(counts.items())), "; ".join(failed[:5])]
    return "; failed: ".join(part for part in parts if part) if failed else parts[0]


def stale_sources(result: dbtRunnerResult) -> list[NodeFailure]:
    """The sources a `dbt source freshness` result found past their thresholds."""
    return [NodeFailure(r.node.unique_id, "source", str(r.status), f"max loaded at {getattr(r, 'max_loaded_at', '?')}")
            for r in (result.result or []) if str(r.status) in ("warn", "error", "runtime error")]
