"""Write–audit–publish on PostgreSQL: build the marts in a side schema, test them there, swap schemas.

BI reads schema `marts` and nothing else, and every mart is a table (tests/integration/test_project_structure.py),
so a mart never reads another schema at query time. That makes `marts` the one schema that has to
change at once:

1. Build with var marts_schema=marts__work (macros/generate_schema_name.sql), as `warehouse build
   --target postgres` does: dbt part 1, the model fits, dbt part 2 (warehouse/build.py). Staging,
   intermediate and seeds are rebuilt in place: BI cannot read them, and no published mart depends
   on them. Every data and unit test runs against what was just built, the marts in `marts__work`.
2. Only when every node passed and `marts__work.dim_warehouse_build` holds this build id, one
   transaction: lock every table of the live `marts` (NOWAIT, retried: a reader's open transaction
   finishes first, and the swap never waits while holding a lock, so it cannot deadlock a reader),
   rename `marts` to `marts__previous`, `marts__work` to `marts`, drop `marts__previous`, grant the
   BI role USAGE on the new `marts` and SELECT on its tables. A query that was waiting for the locks
   then finds the new tables by name; one that ran before reads the old build whole.

A failed build or test leaves `marts` as it was and the failed build in `marts__work` for a look
(the next publish drops it). One publish at a time per database (an advisory lock).

The BI role (bi_role.py) can read schema `marts` and nothing else. `marts__work` carries default
privileges for it from its creation, so the tables dbt makes there are readable the moment the
schema becomes `marts`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dbt.cli.main import dbtRunnerResult

from retention_warehouse.ingest.loader import FileResult
from retention_warehouse.publish.bi_role import (MARTS_SCHEMA, OLD_SCHEMA, TARGET, WORK_SCHEMA, BiRole,
                                                 bi_role_from_env, check_bi_role, ensure_bi_role, existing_schemas,
                                                 grant_marts, statement)
from retention_warehouse.publish.outcome import (BUILD_ID_ENV, BUILD_TABLE, PublishError, PublishOutcome, mart_row_counts,
                                                 new_build_id)
from retention_warehouse.warehouse.build import FIT_STEP, build
from retention_warehouse.warehouse.dbt_runner import (Invoke, NodeFailure, ProgressCallback, environment, failures_of,
                                                      invoke, progress_callback, stale_sources)
from retention_warehouse.warehouse.targets import TargetError, connect, describe

PUBLISH_LOCK = "retention_warehouse.publish"
"""The advisory lock (hashtext of this) held for a whole publish: one at a time per database."""
SWAP_WAIT_SECONDS = 120.0
SWAP_RETRY_SECONDS = 0.05
SWAP_LOCK_TIMEOUT_MS = 200
"""Below PostgreSQL's deadlock_timeout (1 s), so in any lock cycle the swap gives way, not a reader."""


# --------------------------------------------------------------------------- build and swap


def _execute(connection: Any, *statements: Any) -> None:
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        connection.commit()
    except Exception:
        connection.rollback()
        raise


def take_publish_lock(connection: Any) -> None:
    """Hold the publish lock for this session (released when the connection closes)."""
    with connection.cursor() as cursor:
        cursor.execute("select pg_try_advisory_lock(hashtext(%s))", [PUBLISH_LOCK])
        locked = cursor.fetchone()[0]
    connection.commit()
    if not locked:
        raise PublishError(f"another publish is running on {describe(TARGET)} (advisory lock {PUBLISH_LOCK!r})")


def prepare_work_schema(connection: Any, role: str) -> None:
    """An empty `marts__work` whose tables the BI role will be able to read once it becomes `marts`."""
    _execute(connection, statement("drop schema if exists {} cascade", WORK_SCHEMA),
             statement("create schema {}", WORK_SCHEMA),
             statement("alter default privileges in schema {} grant select on tables to {}", WORK_SCHEMA, role))


def counting_invoker(project_dir: Path, target_path: Path, log_path: Path, results: list[dbtRunnerResult],
                     on_progress: ProgressCallback | None) -> Invoke:
    """Runs dbt in-process, keeps every result, and counts the nodes of all invocations as one total."""
    counted = [0]

    def run(args: list[str]) -> dbtRunnerResult:
        seen = [0]

        def report(step: str, total: int | None) -> None:
            if total is not None:
                seen[0] = total
                total += counted[0]
            on_progress(step, total)

        callbacks = [progress_callback(report)] if on_progress else []
        result = invoke(args, project_dir=project_dir, target_path=target_path, log_path=log_path,
                        callbacks=callbacks)
        counted[0] += seen[0]
        results.append(result)
        return result

    return run


def build_work_schema(run: Invoke, results: list[dbtRunnerResult],
                      dbt_vars: dict[str, Any], build_id: str) -> list[NodeFailure]:
    """`warehouse build --target postgres` with the marts in `marts__work`; the failed nodes and steps.

    With vars of its own (for example another as_of_date) the incremental models are rebuilt whole,
    as the DuckDB publish does: what they carry from the last build assumes its vars."""
    with environment(**{BUILD_ID_ENV: build_id}):
        outcome = build(TARGET, run, connect, {**dbt_vars, "marts_schema": WORK_SCHEMA}, full_refresh=bool(dbt_vars))
    failures = [failure for result in results for failure in failures_of(result)]
    failures += [NodeFailure(step.name, "step", "error", step.detail)
                 for step in outcome.steps if not step.ok and step.name == FIT_STEP]
    return failures


def check_work_schema(connection: Any, build_id: str) -> None:
    """`marts__work` holds tables only (a view would read schemas that change under it) and this build."""
    with connection.cursor() as cursor:
        cursor.execute("select relname from pg_class where relnamespace = %s::regnamespace"
                       " and relkind in ('v', 'm', 'f') order by 1", [WORK_SCHEMA])
        others = [name for (name,) in cursor.fetchall()]
        cursor.execute(statement("select build_id from {}.dim_warehouse_build", WORK_SCHEMA))
        found = cursor.fetchall()
    connection.commit()
    if others:
        raise PublishError(f"{WORK_SCHEMA} holds relations that are not tables, which BI could not read "
                           f"consistently after the swap: {others}. Marts must be materialized as tables.")
    if found != [(build_id,)]:
        raise PublishError(f"{WORK_SCHEMA}.dim_warehouse_build holds {found}, expected build {build_id}")


def _swap(cursor: Any, role: str, build_id: str) -> None:
    """The statements of the swap transaction (the caller commits)."""
    # A safety net: whatever else the swap might wait for, it waits briefly and retries, holding nothing.
    cursor.execute(f"set local lock_timeout = '{SWAP_LOCK_TIMEOUT_MS}ms'")
    cursor.execute(
        "select relname from pg_class where relnamespace = (select oid from pg_namespace where nspname = %s)"
        " and relkind in ('r', 'p', 'v', 'm', 'f') order by 1", [MARTS_SCHEMA])
    live = [name for (name,) in cursor.fetchall()]
    if live:
        from psycopg2 import sql

        tables = sql.SQL(", ").join(sql.Identifier(MARTS_SCHEMA, name) for name in live)
        cursor.execute(sql.SQL("lock table {} in access exclusive mode nowait").format(tables))
    cursor.execute(statement("drop schema if exists {} cascade", OLD_SCHEMA))
    if existing_schemas(cursor, (MARTS_SCHEMA,)):
        cursor.execute(statement("alter schema {} rename to {}", MARTS_SCHEMA, OLD_SCHEMA))
    cursor.execute(statement("alter schema {} rename to {}", WORK_SCHEMA, MARTS_SCHEMA))
    cursor.execute(statement("drop schema if exists {} cascade", OLD_SCHEMA))
    grant_marts(cursor, role)
    cursor.execute(f"select build_id from {BUILD_TABLE}")
    found = cursor.fetchall()
    if found != [(build_id,)]:
        raise PublishError(f"after the swap {BUILD_TABLE} holds {found}, expected build {build_id}: rolled back")


def swap_in(connection: Any, role: str, build_id: str, wait_seconds: float = SWAP_WAIT_SECONDS) -> None:
    """Swap `marts__work` in for `marts` in one transaction, retrying while readers hold the old tables."""
    from psycopg2 import errors

    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            with connection.cursor() as cursor:
                _swap(cursor, role, build_id)
            connection.commit()
            return
        except errors.LockNotAvailable as exc:
            connection.rollback()
            if time.monotonic() > deadline:
                raise PublishError(
                    f"readers held the tables of {MARTS_SCHEMA} for {wait_seconds:.0f} s without a break: not "
                    f"swapped. The tested build is in {WORK_SCHEMA}; publish again when long reads have ended"
                ) from exc
            time.sleep(SWAP_RETRY_SECONDS)
        except Exception:
            connection.rollback()
            raise


def publish_postgres_schemas(
    _duckdb_path: Path | None = None,
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
    bi_role: BiRole | None = None,
    swap_wait_seconds: float = SWAP_WAIT_SECONDS,
) -> PublishOutcome:
    """Build and test in `marts__work`, then swap it in for `marts`; a PUBLISH_STRATEGIES entry.

    Takes the arguments of the DuckDB strategy. The raw tables are already in PostgreSQL (an EL tool's,
    found through the source vars, or copied by `warehouse export-raw`), so `data_dir` (loading) is refused and `strict_load` and `on_file` do not apply. dbt writes its
    artifacts to `target_path/postgres`, leaving the DuckDB build's manifest where MetricFlow reads it.
    """
    if data_dir is not None:
        raise PublishError("on PostgreSQL, publish builds from the raw tables already there: point the sources at "
                           "them (vars retention_raw_schema, <entity>_identifier; docs/data-contract.md), or load "
                           "files into the DuckDB file (`warehouse load`) and copy them over "
                           "(`warehouse export-raw --target postgres`); then publish without --data-dir")
    import psycopg2

    build_id = build_id or new_build_id()
    role = bi_role or bi_role_from_env()
    try:
        where = describe(TARGET)
        with connect(TARGET) as warehouse:
            connection = warehouse.connection
            take_publish_lock(connection)
            with connection.cursor() as cursor:
                ensure_bi_role(cursor, role)
                check_bi_role(cursor, role.name)
            connection.commit()
            prepare_work_schema(connection, role.name)
            published, work = f"{where} schema {MARTS_SCHEMA}", f"{where} schema {WORK_SCHEMA}"
            results: list[dbtRunnerResult] = []
            run = counting_invoker(project_dir, target_path / TARGET, log_path, results, on_progress)
            failures = build_work_schema(run, results, dbt_vars or {}, build_id)
            if failures:
                return PublishOutcome(build_id, published, work, False, failures)
            stale = stale_sources(run(["source", "freshness", "--target", TARGET])) if check_freshness else []
            check_work_schema(connection, build_id)
            swap_in(connection, role.name, build_id, swap_wait_seconds)
            rows = mart_row_counts(lambda sql: warehouse.query(sql).rows)
    except TargetError as exc:
        raise PublishError(str(exc)) from exc
    except psycopg2.Error as exc:
        raise PublishError(f"PostgreSQL refused a publish step: {str(exc).strip().splitlines()[0]}") from exc
    return PublishOutcome(build_id, published, work, True, [], None, stale, rows)

