"""Write–audit–publish for the DuckDB warehouse file BI reads.

1. Copy the published file to a work file of the same name in a `work` folder beside it (the name keeps
   dbt-duckdb's catalog name, which view definitions mention). raw.* and the load audit come along,
   so loading stays incremental.
2. Load new raw files into the work file, then `dbt build` it: seeds, models, data and unit tests.
3. Only when every node passed: checkpoint the work file and `os.replace` it onto the published
   path, and keep the build's manifest beside it (`<name>.state/`, for `warehouse ci`). The rename
   is atomic: a reader that opened the old file keeps reading the old inode (a consistent
   snapshot) until it disconnects; a connection opened afterwards gets the new build.

A failed load, build or test leaves the published file as it was and the work file in place for a
look. One publish runs at a time per published file (a lock file beside it).

The strategy is per dbt target: DuckDB swaps files here; PostgreSQL gets the same guarantee by
building the marts into a side schema and swapping schemas in one transaction (postgres_schemas.py).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from retention_warehouse.config import DB_PATH_ENV
from retention_warehouse.ingest.loader import FileResult, LoadReport, load_directory
from retention_warehouse.publish.slim_ci import promote_state, stage_state
from retention_warehouse.warehouse.contract_checks import FileVerdict, file_verdicts
from retention_warehouse.publish.outcome import (BUILD_ID_ENV, BUILD_TABLE, PublishError, PublishOutcome, mart_row_counts,
                                                 new_build_id)
from retention_warehouse.warehouse.dbt_runner import (NodeFailure, ProgressCallback, failures_of, invoke,
                                                      progress_callback, stale_sources)
from retention_warehouse.warehouse.project import vars_argument


def work_path_for(published: Path) -> Path:
    """The work file: same file name (dbt-duckdb names the catalog after it), in `work/` beside it."""
    return published.parent / "work" / published.name


def wal_of(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


@contextmanager
def publish_lock(published: Path) -> Iterator[None]:
    """One publish at a time for a published file."""
    lock_path = published.with_name(published.name + ".publish.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise PublishError(f"another publish of {published} is running (lock {lock_path})") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare_work_file(published: Path, work: Path) -> None:
    """Start the work file as a copy of the published one (or empty when nothing is published yet)."""
    if wal_of(published).exists():
        raise PublishError(
            f"{wal_of(published)} exists: something wrote to the published file directly and has not "
            "closed it cleanly. Close that writer (or open the file once read-write to replay it), then publish."
        )
    work.parent.mkdir(parents=True, exist_ok=True)
    for stale in (work, wal_of(work)):
        stale.unlink(missing_ok=True)
    if not published.exists():
        return
    try:
        # A read-only connection holds DuckDB's shared lock: no writer can start during the copy.
        with duckdb.connect(str(published), read_only=True):
            shutil.copyfile(published, work)
    except duckdb.IOException as exc:
        raise PublishError(f"cannot read {published} ({str(exc).splitlines()[0]}): is a writer holding it?") from exc


SAMPLE_LIMIT = 20
"""How many rejected rows a publish keeps per file for display."""


def load_into(work: Path, data_dir: Path, on_file: Callable[[FileResult], None] | None = None) -> LoadReport:
    with duckdb.connect(str(work)) as con:
        return load_directory(con, data_dir, on_file=on_file)


def verdicts_of(work: Path, report: LoadReport | None) -> dict[str, FileVerdict]:
    """The contract checks' verdict on each file this publish loaded (none when it loaded nothing or the
    checks did not build)."""
    if report is None:
        return {}
    loaded = {f.path for f in report.files}
    try:
        with duckdb.connect(str(work), read_only=True) as con:
            verdicts = file_verdicts(lambda sql: con.execute(sql).fetchall(), SAMPLE_LIMIT)
    except duckdb.CatalogException:
        return {}
    return {path: verdict for path, verdict in verdicts.items() if path in loaded}


def build_work_file(
    work: Path, project_dir: Path, target_path: Path, log_path: Path, dbt_vars: dict[str, Any], build_id: str,
    on_progress: ProgressCallback | None = None,
) -> list[NodeFailure]:
    """`dbt build` the work file with the build id; the failed nodes (empty when all passed).

    The build id goes in as environment variable WAREHOUSE_BUILD_ID: a new value makes dbt re-parse
    only dim_warehouse_build, so a publish of new data with the same vars parses partially.

    Incremental models carry state from the build before (orders, the customer-month spine). That
    is only right when the definitions are the same, so a build given vars of its own (say another
    as_of_date, or CDNOW's calibration dates) rebuilds everything with --full-refresh; a plain
    publish of new data runs incrementally.
    """
    callbacks = [progress_callback(on_progress)] if on_progress else []
    full_refresh = ["--full-refresh"] if dbt_vars else []
    result = invoke(["build", *full_refresh, *vars_argument(dbt_vars)], project_dir=project_dir,
                    target_path=target_path, log_path=log_path, env={DB_PATH_ENV: str(work), BUILD_ID_ENV: build_id},
                    callbacks=callbacks)
    return failures_of(result)


def stale_sources_of(work: Path, project_dir: Path, target_path: Path, log_path: Path) -> list[NodeFailure]:
    """Sources past their freshness thresholds. Reported, never a reason to withhold a correct build."""
    return stale_sources(invoke(["source", "freshness"], project_dir=project_dir, target_path=target_path,
                                log_path=log_path, env={DB_PATH_ENV: str(work)}))


def seal(work: Path, build_id: str) -> dict[str, int]:
    """Checkpoint the work file (no WAL may travel with it) and check it holds this build."""
    with duckdb.connect(str(work)) as con:
        found = con.execute(f"select build_id from {BUILD_TABLE}").fetchall()
        if found != [(build_id,)]:
            raise PublishError(f"{work}: {BUILD_TABLE} holds {found}, expected build {build_id}")
        rows = mart_row_counts(lambda sql: con.execute(sql).fetchall())
        con.execute("checkpoint")
    if wal_of(work).exists():
        raise PublishError(f"{wal_of(work)} is still there after a checkpoint: not publishing")
    return rows


def swap_into_place(work: Path, published: Path) -> None:
    """Atomically make the work file the published one (same filesystem: a rename)."""
    with open(work, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(work, published)
    directory = os.open(published.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def publish_duckdb_file(
    published: Path,
    *,
    project_dir: Path,
    target_path: Path,
    log_path: Path,
    data_dir: Path | None = None,
    dbt_vars: dict[str, Any] | None = None,
    strict_load: bool = False,
    check_freshness: bool = True,
    build_id: str | None = None,
    on_progress: ProgressCallback | None = None,
    on_file: Callable[[FileResult], None] | None = None,
) -> PublishOutcome:
    """Load, build and test in the work file; publish it only when everything passed."""
    build_id = build_id or new_build_id()
    work = work_path_for(published)
    published.parent.mkdir(parents=True, exist_ok=True)
    with publish_lock(published):
        prepare_work_file(published, work)
        report = load_into(work, data_dir, on_file) if data_dir is not None else None
        if report is not None and report.failed:
            return PublishOutcome(build_id, published, work, published=False, load_report=report)
        failures = build_work_file(work, project_dir, target_path, log_path, dbt_vars or {}, build_id, on_progress)
        if not failures:
            stage_state(target_path, published)  # this build's manifest, before freshness writes its own
        verdicts = verdicts_of(work, report)
        if failures:
            return PublishOutcome(build_id, published, work, False, failures, report, verdicts=verdicts)
        if strict_load and any(v.rows_rejected for v in verdicts.values()):
            return PublishOutcome(build_id, published, work, False, [], report, verdicts=verdicts)
        stale = stale_sources_of(work, project_dir, target_path, log_path) if check_freshness else []
        rows = seal(work, build_id)
        swap_into_place(work, published)
        promote_state(published)  # what `warehouse ci` compares a change with
        return PublishOutcome(build_id, published, work, True, [], report, stale, rows, verdicts)

