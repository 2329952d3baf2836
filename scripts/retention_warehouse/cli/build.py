"""Build commands: publish (write-audit-publish), slim CI, build on a target, export-raw, fit-models, grant-bi."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import duckdb
import typer

from retention_warehouse.cli.common import (DATA_PROBLEM, SERVER_TARGETS, USAGE_ERROR, ServerTarget, Target, Vars,
                                            built_warehouse, check_target, console, dbt_vars, fail, node_progress,
                                            progress, table)
from retention_warehouse.cli.data import load_report_table
from retention_warehouse.warehouse.contract_checks import QUARANTINE
from retention_warehouse.config import DB_PATH_ENV, PROJECT_ROOT, db_path
from retention_warehouse.ingest.loader import FileError, discover_files
from retention_warehouse.publish import PUBLISH_STRATEGIES
from retention_warehouse.publish.bi_role import BI_PASSWORD_ENV, bi_role_from_env, grant_bi
from retention_warehouse.publish.outcome import PublishError, PublishOutcome
from retention_warehouse.publish.slim_ci import changed_build
from retention_warehouse.warehouse import dbt_runner
from retention_warehouse.warehouse.build import StepResult, build
from retention_warehouse.warehouse.fit_step import FitStepError, fit_models
from retention_warehouse.warehouse.project import project_vars
from retention_warehouse.warehouse.raw_export import export_raw, raw_tables
from retention_warehouse.warehouse.targets import MissingTableError, TargetError, connect, describe, require_engine


def _publish_summary(outcome: PublishOutcome) -> None:
    if outcome.load_report is not None:
        console.print(load_report_table(outcome.load_report, f"Loaded into the work copy {outcome.work_path}",
                                        outcome.verdicts or None))
        if any(v.rows_rejected for v in outcome.verdicts.values()):
            console.print(f"rejected rows are in {QUARANTINE} (file, row, column, reason)")
    if outcome.failures:
        console.print(f"[red]build {outcome.build_id} failed:[/red] {len(outcome.failures)} node(s) did not pass")
        for f in outcome.failures:
            console.print(f"  [red]{f.status}[/red] {f.unique_id}: {f.message.splitlines()[0] if f.message else ''}")
    for source in outcome.stale_sources:
        console.print(f"[yellow]freshness {source.status}:[/yellow] {source.unique_id} ({source.message})")
    if outcome.published:
        marts = table(f"Published build {outcome.build_id} to {outcome.published_path}", ("mart", "rows"),
                      right=("rows",))
        for mart, rows in outcome.mart_rows.items():
            marts.add_row(f"marts.{mart}", f"{rows:,}")
        console.print(marts)
    else:
        console.print(f"[red]not published:[/red] {outcome.published_path} is unchanged; "
                      f"the failed build is in {outcome.work_path} for a look", soft_wrap=True)


def publish_command(
    data_dir: Annotated[
        Optional[Path], typer.Option("--data-dir", help="Load this folder into the work copy first.")] = None,
    vars_text: Annotated[Optional[str], typer.Option("--vars", help="dbt vars as YAML, as `dbt --vars`.")] = None,
    target_path: Annotated[
        Path, typer.Option(help="dbt target folder (manifest for mf and docs).")] = PROJECT_ROOT / "target",
    strict: Annotated[bool, typer.Option(help="Do not publish when any row was rejected.")] = False,
    freshness: Annotated[bool, typer.Option(help="Report stale sources (never blocks a publish).")] = True,
    project_dir: Annotated[Path, typer.Option(help="The dbt project to build.")] = PROJECT_ROOT,
    target: Annotated[Optional[str], typer.Option(
        "--target", help="duckdb or postgres (outputs of profiles.yml); default $DBT_TARGET, else duckdb.")] = None,
) -> None:
    """Build into a work copy, run every test there, and only then swap it in for BI (write-audit-publish).

    The work copy starts as a copy of the published file ($WAREHOUSE_DB_PATH), raw data included;
    --data-dir loads new files into it; `dbt build` runs seeds, models, data and unit tests on it.
    When everything passed it replaces the published file atomically: readers already connected
    keep their snapshot, new connections see the new build. Otherwise the published file is left
    as it was, the failing tests are named, and the exit code is 1.

    On PostgreSQL (after `warehouse export-raw --target postgres`) the work copy is schema
    marts__work, swapped in for schema marts in one transaction, and the BI role gets its grants.
    """
    target = target or os.environ.get("DBT_TARGET") or "duckdb"
    strategy = PUBLISH_STRATEGIES.get(target)
    if strategy is None:
        fail(f"no publish strategy for dbt target {target!r} (have: {', '.join(PUBLISH_STRATEGIES)}); "
             "see docs/serving.md", USAGE_ERROR)
    parsed_vars = dbt_vars(vars_text)
    try:
        require_engine(target)
        file_count = len(discover_files(data_dir)) if data_dir is not None else 0
    except TargetError as exc:
        fail(exc)
    except FileError as exc:
        fail(exc, USAGE_ERROR)
    with progress() as bar:
        files = bar.add_task("files loaded", total=file_count, visible=data_dir is not None)
        on_progress = node_progress(bar, bar.add_task("dbt nodes built and tested", total=None))
        try:
            with dbt_runner.environment(DBT_TARGET=target):  # the profile target of the dbt runs inside
                outcome = strategy(
                    db_path(), project_dir=project_dir, target_path=target_path, log_path=project_dir / "logs",
                    data_dir=data_dir, dbt_vars=parsed_vars, strict_load=strict, check_freshness=freshness,
                    on_progress=on_progress, on_file=lambda _: bar.advance(files),
                )
        except PublishError as exc:
            fail(exc)
    _publish_summary(outcome)
    if not outcome.published:
        raise typer.Exit(DATA_PROBLEM)


def grant_bi_command() -> None:
    """Create or refresh the read-only BI role on PostgreSQL: it reads the tables of schema marts, nothing else.

    Role $WAREHOUSE_BI_ROLE (default retention_bi), password $WAREHOUSE_BI_PASSWORD (set or changed
    when given). Grants CONNECT, USAGE on marts and SELECT on its tables (also on tables made there
    later); takes back any grant on raw, staging, intermediate and reference; then checks the role
    can create nothing and use no other schema. `warehouse publish --target postgres` does the same.
    """
    role = bi_role_from_env()
    try:
        readable = grant_bi(role)
    except (PublishError, TargetError) as exc:
        fail(exc)
    password_state = "set now" if role.password else f"unchanged ({BI_PASSWORD_ENV} not set)"
    console.print(f"BI role {role.name} on {describe('postgres')}: password {password_state}; reads "
                  + (", ".join(f"marts.{name}" for name in readable) if readable else "nothing yet (no marts built)"))


def export_raw_command(target: ServerTarget = "postgres") -> None:
    """Copy the loaded raw.* tables from the DuckDB file to a PostgreSQL or Spark target.

    For trying a target on files loaded locally into $WAREHOUSE_DB_PATH: replaces the target's raw
    tables with the landed rows and the audits; the build there checks them against the contract.
    Raw tables already in the target need no copy. Then `warehouse build --target TARGET`.
    """
    check_target(target, SERVER_TARGETS)
    path = built_warehouse(f"run `warehouse load` first (set {DB_PATH_ENV} to move it)")
    try:
        with duckdb.connect(str(path), read_only=True) as con, connect(target) as warehouse:
            with progress() as bar:
                task = bar.add_task(f"raw tables copied to {target}", total=len(raw_tables(con)))
                copied = export_raw(con, warehouse, on_table=lambda table_name, rows: bar.advance(task))
    except TargetError as exc:
        fail(exc)
    rows = table(f"Copied raw tables from {path} to {describe(target)}", ("table", "rows"), right=("rows",))
    for name, count in copied.items():
        rows.add_row(f"raw.{name}", f"{count:,}")
    console.print(rows)


FullRefresh = Annotated[bool, typer.Option(
    "--full-refresh", help="Rebuild the incremental models whole and fit the CLV and churn models again.")]


def fit_models_command(target: ServerTarget = "postgres", vars_text: Vars = None, full_refresh: FullRefresh = False) -> None:
    """Run the dbt Python models' code on a PostgreSQL or Spark target and write their five tables there.

    The step dbt-duckdb runs inside `dbt build` (the CLV models int_clv_models_fitted,
    int_customer_clv_predicted, int_clv_holdout_predicted; the churn models int_churn_model_fitted,
    int_customer_churn_scored), for targets whose dbt adapter cannot run Python models. It reads
    intermediate.int_customer_transactions_summarised, intermediate.int_customer_churn_signals_computed
    and reference.churn_signals, so run it after those are built; `warehouse build` does it all in order.
    A fit already there is kept until the as-of date reaches a new var model_refit_period, or
    --full-refresh.
    """
    check_target(target, SERVER_TARGETS)
    overrides = dbt_vars(vars_text)
    try:
        with connect(target) as warehouse:
            written = fit_models(warehouse, project_vars(overrides), full_refresh)
    except MissingTableError as exc:
        fail(exc, hint=": build int_customer_transactions_summarised and int_customer_churn_signals_computed first "
                       f"(`warehouse build --target {target}` does it all)")
    except (TargetError, FitStepError, ValueError) as exc:
        fail(exc)
    for name, rows in written.items():
        console.print(f"wrote intermediate.{name}: {rows:,} rows")


def fit_clv_command(target: ServerTarget = "postgres", vars_text: Vars = None) -> None:
    """The former name of fit-models: fits the CLV models and, after them, the churn models."""
    fit_models_command(target, vars_text)


def build_command(target: Target = "duckdb", vars_text: Vars = None, full_refresh: FullRefresh = False) -> None:
    """dbt build on a target: on PostgreSQL and Spark in two parts with `fit-models` between them.

    DuckDB: one `dbt build`. PostgreSQL and Spark: `dbt build --exclude <Python models>+`, then the
    CLV and churn fits (fit-models), then `dbt build --select <Python models>+`, where the Python
    models are the CLV and churn models dbt-duckdb runs in-process. Load and export-raw first.
    """
    check_target(target)
    overrides = dbt_vars(vars_text)

    def show(step: StepResult) -> None:
        colour = "green" if step.ok else "red"
        console.print(f"[{colour}]{step.name}[/{colour}] {step.seconds:.1f} s {step.detail}")

    try:
        require_engine(target)
        result = build(target, dbt_runner.invoker(quiet=False), connect, overrides, on_step=show,
                       full_refresh=full_refresh)
    except TargetError as exc:
        fail(exc)
    summary = table(f"Build on {target} ({describe(target)}): {result.seconds:.1f} s", ("step", "seconds", "result"),
                    right=("seconds",))
    for step in result.steps:
        summary.add_row(step.name, f"{step.seconds:.1f}", "ok" if step.ok else f"failed: {step.detail}")
    console.print(summary)
    if not result.ok:
        raise typer.Exit(DATA_PROBLEM)


def ci_command(
    vars_text: Vars = None,
    project_dir: Annotated[Path, typer.Option(help="The dbt project with the change.")] = PROJECT_ROOT,
    target_path: Annotated[
        Path, typer.Option(help="dbt target folder of the CI run.")] = PROJECT_ROOT / "target" / "ci",
) -> None:
    """Slim CI: build and test only what a change modified and its children, on a copy of the published build.

    Compares the project with the manifest the last publish kept ($WAREHOUSE_DB_PATH's `.state`
    folder) and runs `dbt build --select state:modified+ --defer --state <that folder>` on a copy of
    the published file in `ci/` beside it; unchanged parents are not rebuilt (the copy holds the
    published build's). The published file is not touched. Exit 1 when a node failed or dbt could
    not parse the change.
    """
    parsed_vars = dbt_vars(vars_text)
    published = db_path()
    with progress() as bar:
        on_progress = node_progress(bar, bar.add_task("changed dbt nodes built and tested", total=None))
        try:
            outcome = changed_build(published, project_dir=project_dir, target_path=target_path,
                                    log_path=project_dir / "logs", dbt_vars=parsed_vars, on_progress=on_progress)
        except PublishError as exc:
            fail(exc)
    if outcome.ok and not outcome.ran:
        console.print(f"nothing changed against the published build ({outcome.state_dir}): nothing to build")
        return
    ran = table(f"Changed against {outcome.state_dir}, built in {outcome.work_path}", ("kind", "nodes", "names"),
                right=("nodes",))
    for kind, ids in outcome.ran.items():
        ran.add_row(kind, str(len(ids)), ", ".join(unique_id.split(".")[2] for unique_id in ids[:8])
                    + (", ..." if len(ids) > 8 else ""))
    console.print(ran)
    for failure in outcome.failures:
        console.print(f"  [red]{failure.status}[/red] {failure.unique_id}: "
                      f"{failure.message.splitlines()[0] if failure.message else ''}")
    if not outcome.ok:
        raise typer.Exit(DATA_PROBLEM)
