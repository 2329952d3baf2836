"""The `warehouse` command line: generate, load and validate raw data; build and report on any target; benchmark.

Exit codes: 0 ok, 1 a data problem was found, 2 a usage error.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import duckdb
import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from benchmarks.bench import CLV_NOTE, DEFAULT_ORDERS, DEFAULT_REPORT, DEFAULT_WORK_DIR, STEPS, StepFailed
from benchmarks.bench import TARGETS as BENCH_TARGETS
from benchmarks.bench import run_bench, write_report
from retention_warehouse.demo.cdnow import CdnowError, import_cdnow
from retention_warehouse.warehouse.dbt_runner import environment as dbt_environment
from retention_warehouse.config import DB_PATH_ENV, DEFAULT_DATA_DIR, PROJECT_ROOT, db_path
from retention_warehouse.warehouse.build import (EngineStepError, StepResult, build, export_raw, fit_models, parse_vars, project_vars,
                             raw_tables)
from retention_warehouse.demo.generator import GeneratorConfig, customers_for_orders, generate
from retention_warehouse.ingest.loader import FileError, FileResult, LoadReport, discover_files, load_directory
from retention_warehouse.publish.duckdb_file import PUBLISH_STRATEGIES, PublishError, PublishOutcome
from retention_warehouse.reporting.dashboard import render
from retention_warehouse.reporting.headline import headline
from retention_warehouse.warehouse.targets import TARGETS, MissingTableError, TargetError, connect, describe, profiles_dir

app = typer.Typer(
    help="Customer-retention warehouse: generate or import raw data, validate and load it, report on the marts.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)
DATA_PROBLEM = 1
USAGE_ERROR = 2

DataDir = Annotated[Path, typer.Option("--data-dir", help="Folder with one subfolder per entity.")]
Target = Annotated[str, typer.Option("--target", help=f"Output of profiles.yml: {', '.join(TARGETS)}.")]
ServerTarget = Annotated[str, typer.Option("--target", help="postgres or spark (outputs of profiles.yml).")]
Vars = Annotated[Optional[str], typer.Option("--vars", help="dbt vars as YAML, e.g. '{as_of_date: 2025-06-30}'.")]


def _check_target(target: str, allowed: tuple[str, ...] = TARGETS) -> None:
    if target not in allowed:
        raise typer.BadParameter(f"--target must be one of {', '.join(allowed)}, got '{target}'")


def _vars(text: str | None) -> dict:
    try:
        return parse_vars(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    )


@app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write entity folders into.")] = DEFAULT_DATA_DIR,
    customers: Annotated[Optional[int], typer.Option(min=100, help="Number of customers (default 5000).")] = None,
    orders: Annotated[Optional[int], typer.Option(min=800, help="Aim for about this many orders instead.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed and size give the same files.")] = 42,
    file_format: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    start: Annotated[str, typer.Option(help="First day of activity, YYYY-MM-DD.")] = "2023-01-01",
    end: Annotated[str, typer.Option(help="Last day of activity, YYYY-MM-DD.")] = "2025-12-31",
    bad_row_rate: Annotated[float, typer.Option(help="Share of deliberately bad rows per entity.")] = 0.002,
) -> None:
    """Write a deterministic demo data set.

    Customers, orders, survey responses, support tickets and retention-campaign assignments.
    """
    if customers is not None and orders is not None:
        raise typer.BadParameter("give --customers or --orders, not both")
    if file_format not in ("parquet", "csv"):
        raise typer.BadParameter("--format must be parquet or csv")
    try:
        config = GeneratorConfig(
            customers=customers or (customers_for_orders(orders) if orders else 5_000),
            seed=seed, start=date.fromisoformat(start), end=date.fromisoformat(end),
            file_format=file_format, bad_row_rate=bad_row_rate,  # type: ignore[arg-type]
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    with _progress() as progress:
        task = progress.add_task("customers simulated", total=config.customers)
        summary = generate(config, out, on_progress=lambda n: progress.advance(task, n))
    table = Table(title=f"Generated under {out}")
    for column in ("entity", "rows", "deliberately bad rows"):
        table.add_column(column, justify="right" if column != "entity" else "left")
    for entity, rows in summary.rows.items():
        table.add_row(entity, f"{rows:,}", f"{summary.bad_rows.get(entity, 0):,}")
    console.print(table)


def _report_table(report: LoadReport, title: str) -> Table:
    table = Table(title=title)
    for column in ("file", "status", "read", "loaded", "rejected", "note"):
        table.add_column(column, justify="right" if column in ("read", "loaded", "rejected") else "left")
    for f in report.files:
        note = f.error or (f"ignored columns: {', '.join(f.ignored_columns)}" if f.ignored_columns else "")
        style = "red" if f.status == "failed" else ("yellow" if f.rows_rejected else "")
        table.add_row(f.path, f.status, f"{f.rows_read:,}", f"{f.rows_loaded:,}", f"{f.rows_rejected:,}", note,
                      style=style)
    return table


def _rejections_table(report: LoadReport, limit: int) -> Table:
    table = Table(title=f"First rejected rows (up to {limit} per file)")
    for column in ("file", "row", "column", "reason"):
        table.add_column(column)
    for f in report.files:
        for r in f.sample_rejections[:limit]:
            table.add_row(r.source_file, str(r.source_row), r.column_name, r.reason)
    return table


def _run_load(con: duckdb.DuckDBPyConnection, data_dir: Path, verb: str) -> LoadReport:
    try:
        files = discover_files(data_dir)
    except FileError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(USAGE_ERROR) from exc
    with _progress() as progress:
        task = progress.add_task(f"files {verb}", total=len(files))

        def advance(result: FileResult) -> None:
            progress.advance(task)
            if result.status == "failed":
                progress.console.print(f"[red]error:[/red] {data_dir / result.path}: {result.error}")

        return load_directory(con, data_dir, on_file=advance, files=files)


@app.command("load")
def load_command(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    strict: Annotated[bool, typer.Option(help="Exit 1 when any row was rejected, not only on file errors.")] = False,
) -> None:
    """Validate raw files and load them into the `raw` schema of the warehouse file.

    Rejected rows go to raw.<entity>_rejected with file, row, column and reason. A file
    that cannot be read as a whole is rolled back and named; the exit code is then 1.
    """
    path = db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        report = _run_load(con, data_dir, "loaded")
    console.print(_report_table(report, f"Loaded {data_dir} into {path} (set {DB_PATH_ENV} to move it)"))
    totals = report.totals()
    console.print(
        f"rows read {totals['rows_read']:,} = loaded {totals['rows_loaded']:,} + rejected {totals['rows_rejected']:,}"
        " (rejected rows are in raw.<entity>_rejected)"
    )
    if report.failed or (strict and report.rows_rejected):
        raise typer.Exit(DATA_PROBLEM)


def _dbt_vars(text: str | None) -> dict:
    if not text:
        return {}
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise typer.BadParameter(f"--vars is not YAML: {exc}") from exc
    if not isinstance(parsed, dict):
        raise typer.BadParameter("--vars must be a mapping, for example '{as_of_date: \"2025-06-30\"}'")
    return parsed


def _publish_summary(outcome: PublishOutcome) -> None:
    if outcome.load_report is not None:
        console.print(_report_table(outcome.load_report, f"Loaded into the work copy {outcome.work_path}"))
    if outcome.failures:
        console.print(f"[red]build {outcome.build_id} failed:[/red] {len(outcome.failures)} node(s) did not pass")
        for f in outcome.failures:
            console.print(f"  [red]{f.status}[/red] {f.unique_id}: {f.message.splitlines()[0] if f.message else ''}")
    for source in outcome.stale_sources:
        console.print(f"[yellow]freshness {source.status}:[/yellow] {source.unique_id} ({source.message})")
    if outcome.published:
        table = Table(title=f"Published build {outcome.build_id} to {outcome.published_path}")
        table.add_column("mart")
        table.add_column("rows", justify="right")
        for mart, rows in outcome.mart_rows.items():
            table.add_row(f"marts.{mart}", f"{rows:,}")
        console.print(table)
    else:
        console.print(f"[red]not published:[/red] {outcome.published_path} is unchanged; "
                      f"the failed build is in {outcome.work_path} for a look")


@app.command("publish")
def publish_command(
    data_dir: Annotated[
        Optional[Path], typer.Option("--data-dir", help="Load this folder into the work copy first.")] = None,
    dbt_vars: Annotated[Optional[str], typer.Option("--vars", help="dbt vars as YAML, as `dbt --vars`.")] = None,
    target_path: Annotated[Path, typer.Option(help="dbt target folder (manifest for mf and docs).")] = PROJECT_ROOT / "target",
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
        console.print(f"[red]error:[/red] no publish strategy for dbt target {target!r} "
                      f"(have: {', '.join(PUBLISH_STRATEGIES)}); see README, Safe publishing")
        raise typer.Exit(USAGE_ERROR)
    parsed_vars = _dbt_vars(dbt_vars)
    try:
        file_count = len(discover_files(data_dir)) if data_dir is not None else 0
    except FileError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(USAGE_ERROR) from exc
    with _progress() as progress:
        files = progress.add_task("files loaded", total=file_count, visible=data_dir is not None)
        nodes = progress.add_task("dbt nodes built and tested", total=None)

        def on_progress(_: str, total: int | None) -> None:
            if total is None:
                progress.advance(nodes)
            else:
                progress.update(nodes, total=total)

        try:
            with dbt_environment(DBT_TARGET=target):  # the profile target of the dbt runs inside
                outcome = strategy(
                    db_path(), project_dir=project_dir, target_path=target_path, log_path=project_dir / "logs",
                    data_dir=data_dir, dbt_vars=parsed_vars, strict_load=strict, check_freshness=freshness,
                    on_progress=on_progress, on_file=lambda _: progress.advance(files),
                )
        except PublishError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(DATA_PROBLEM) from exc
    _publish_summary(outcome)
    if not outcome.published:
        raise typer.Exit(DATA_PROBLEM)


@app.command("grant-bi")
def grant_bi_command() -> None:
    """Create or refresh the read-only BI role on PostgreSQL: it reads the tables of schema marts, nothing else.

    Role $WAREHOUSE_BI_ROLE (default retention_bi), password $WAREHOUSE_BI_PASSWORD (set or changed
    when given). Grants CONNECT, USAGE on marts and SELECT on its tables (also on tables made there
    later); takes back any grant on raw, staging, intermediate and reference; then checks the role
    can create nothing and use no other schema. `warehouse publish --target postgres` does the same.
    """
    from retention_warehouse.publish.postgres_schemas import BI_PASSWORD_ENV, bi_role_from_env, grant_bi

    role = bi_role_from_env()
    try:
        readable = grant_bi(role)
    except (PublishError, TargetError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(DATA_PROBLEM) from exc
    password_state = "set now" if role.password else f"unchanged ({BI_PASSWORD_ENV} not set)"
    console.print(f"BI role {role.name} on {describe('postgres')}: password {password_state}; reads "
                  + (", ".join(f"marts.{name}" for name in readable) if readable else "nothing yet (no marts built)"))


@app.command("validate")
def validate_command(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    limit: Annotated[int, typer.Option(min=1, help="Rejected rows to show per file.")] = 10,
) -> None:
    """Check raw files against the contract without loading anything (a dry run of `load`).

    Exit code 1 when any file cannot be read or any row would be rejected.
    """
    if output_format not in ("table", "json"):
        raise typer.BadParameter("--format must be table or json")
    with duckdb.connect(":memory:") as con:
        report = _run_load(con, data_dir, "checked")
    if output_format == "json":
        payload = {
            "data_dir": str(data_dir),
            "totals": report.totals(),
            "files": [
                {
                    "path": f.path, "entity": f.entity, "status": "failed" if f.status == "failed" else "checked",
                    "rows_read": f.rows_read, "rows_passed": f.rows_loaded, "rows_failed": f.rows_rejected,
                    "error": f.error, "ignored_columns": list(f.ignored_columns),
                    "first_failures": [
                        {"row": r.source_row, "column": r.column_name, "reason": r.reason}
                        for r in f.sample_rejections[:limit]
                    ],
                }
                for f in report.files
            ],
        }
        typer.echo(json.dumps(payload, indent=2))
    else:
        console.print(_report_table(report, f"Validated {data_dir} (nothing loaded)"))
        if report.rows_rejected:
            console.print(_rejections_table(report, limit))
    if report.failed or report.rows_rejected:
        raise typer.Exit(DATA_PROBLEM)


@app.command("import-cdnow")
def import_cdnow_command(
    out: Annotated[Path, typer.Option("--out", help="Folder to write entity folders into.")] = Path("data/cdnow"),
    sample: Annotated[bool, typer.Option(help="The 2,357-customer sample instead of all 23,570 customers.")] = False,
    wheel: Annotated[
        Optional[Path], typer.Option(help="A local copy of the lifetimes 0.11.3 wheel (else cached or downloaded).")
    ] = None,
) -> None:
    """Write the real CDNOW purchases as raw files: one order per customer per day, USD.

    The data ships inside the lifetimes wheel on PyPI; it is downloaded (sha256-pinned) and read
    from the zip, lifetimes itself is never installed. Zero-dollar and exact duplicate source
    lines are kept (summed into their day's order) and counted in the import audit.
    """
    try:
        result, files = import_cdnow(out, sample=sample, wheel=wheel)
    except CdnowError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(DATA_PROBLEM) from exc
    table = Table(title=f"CDNOW import audit ({out / files[-1].name})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in vars(result).items():
        table.add_row(name.replace("_", " "), f"{value:,}" if isinstance(value, int) else str(value))
    console.print(table)
    console.print("source dollars = order dollars: " + ("[green]yes[/green]" if result.reconciles else "[red]no[/red]"))
    for path in files:
        console.print(f"wrote {path}")


def _built_warehouse(hint: str = "build the warehouse first (make build)") -> Path:
    """The warehouse file the read-only commands open; exit 1 when it has not been built yet."""
    path = db_path()
    if not path.is_file():
        console.print(f"[red]error:[/red] {path} does not exist: {hint}")
        raise typer.Exit(DATA_PROBLEM)
    return path


@app.command("report")
def report_command(
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    target: Target = "duckdb",
    html_path: Annotated[
        Optional[Path],
        typer.Option("--html", help="Dashboard file (default reports/<warehouse file name>.html, reports/<target>.html)."),
    ] = None,
) -> None:
    """Headline numbers from the published marts, and the HTML dashboard of them.

    Prints customers, orders, revenue, cohorts and pooled retention; writes one self-contained HTML
    file (cohort heat map, CRR and churn, revenue retention, repeat purchase, CLV distribution).
    """
    if output_format not in ("table", "json"):
        raise typer.BadParameter("--format must be table or json")
    _check_target(target)
    html_path = html_path or Path("reports") / (f"{db_path().stem}.html" if target == "duckdb" else f"{target}.html")
    try:
        path = describe(target)
        with connect(target, read_only=True) as warehouse:
            def query(sql: str) -> list[tuple]:
                return warehouse.query(sql).rows

            numbers = headline(query)
            page = render(query, path)
    except MissingTableError as exc:
        console.print(f"[red]error:[/red] {path} has no built marts: {exc}")
        raise typer.Exit(DATA_PROBLEM) from exc
    except TargetError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(DATA_PROBLEM) from exc
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(page, encoding="utf-8")
    console.print(f"dashboard: {html_path} (open it in a browser; no network needed)")
    if output_format == "json":
        payload = {
            "database": str(path), "html": str(html_path), "customers": numbers.customers, "orders": numbers.orders,
            "net_revenue_usd": str(numbers.net_revenue_usd),
            "first_order_date": numbers.first_order_date.isoformat(),
            "last_order_date": numbers.last_order_date.isoformat(),
            "cohort_sizes": {c.isoformat(): n for c, n in numbers.cohort_sizes},
            "pooled_retention": {str(k): round(rate, 4) for k, rate, _ in numbers.pooled_retention},
            "mean_crr_pct": numbers.mean_crr_pct, "mean_churn_rate_pct": numbers.mean_churn_rate_pct,
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    summary = Table(title=f"Warehouse {path}")
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    summary.add_row("customers with a counted order", f"{numbers.customers:,}")
    summary.add_row("counted orders", f"{numbers.orders:,}")
    summary.add_row("net revenue (USD)", f"{numbers.net_revenue_usd:,.2f}")
    summary.add_row("orders from", f"{numbers.first_order_date} to {numbers.last_order_date}")
    if numbers.mean_crr_pct is not None:
        summary.add_row("mean monthly CRR / churn rate", f"{numbers.mean_crr_pct:.2f}% / {numbers.mean_churn_rate_pct:.2f}%")
    console.print(summary)
    cohorts = Table(title="Cohort sizes (month of first counted order)")
    cohorts.add_column("cohort")
    cohorts.add_column("customers", justify="right")
    for cohort, size in numbers.cohort_sizes:
        cohorts.add_row(cohort.isoformat()[:7], f"{size:,}")
    console.print(cohorts)
    pooled = Table(title="Pooled cohort retention (active / cohort customers, all cohorts observed)")
    for column in ("month", "retention", "cohorts"):
        pooled.add_column(column, justify="right")
    for k, rate, n in numbers.pooled_retention:
        pooled.add_row(str(k), f"{rate:.3f}", str(n))
    console.print(pooled)


@app.command("evaluate-churn")
def evaluate_churn_command(
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """The churn score's backtest against the recency-only baseline, and the model's coefficients.

    Reads marts.fct_churn_risk_backtest and marts.fct_churn_model_coefficients of the built warehouse.
    """
    if output_format not in ("table", "json"):
        raise typer.BadParameter("--format must be table or json")
    path = _built_warehouse()
    with duckdb.connect(str(path), read_only=True) as con:
        backtest = con.execute(
            "select model_name, snapshot_date, outcome_days, customers, churned_customers, churn_rate, roc_auc,"
            " precision_at_top_10pct from marts.fct_churn_risk_backtest order by model_name"
        ).fetchall()
        terms = con.execute(
            "select term, reason_code, coefficient, standardized_coefficient from marts.fct_churn_model_coefficients"
            " order by abs(coalesce(standardized_coefficient, 0)) desc"
        ).fetchall()
    by_model = {row[0]: row for row in backtest}
    score, baseline = by_model.get("churn_risk_score"), by_model.get("recency_baseline")
    beats = bool(score and baseline and score[6] > baseline[6] and score[7] >= baseline[7])
    if output_format == "json":
        names = ("model_name", "snapshot_date", "outcome_days", "customers", "churned_customers", "churn_rate",
                 "roc_auc", "precision_at_top_10pct")
        typer.echo(json.dumps({
            "database": str(path),
            "backtest": [dict(zip(names, [*row[:1], row[1].isoformat(), *row[2:]])) for row in backtest],
            "beats_baseline": beats,
            "coefficients": [dict(zip(("term", "reason_code", "coefficient", "standardized_coefficient"), t))
                             for t in terms],
        }, indent=2))
        return
    table = Table(title=f"Churn-risk backtest ({path})")
    for column in ("model", "snapshot", "customers", "churned", "ROC AUC", "precision top 10%"):
        table.add_column(column, justify="left" if column in ("model", "snapshot") else "right")
    for name, snapshot, _, customers, churned, _, auc, precision in backtest:
        table.add_row(name, snapshot.isoformat(), f"{customers:,}", f"{churned:,}", f"{auc:.3f}", f"{precision:.3f}")
    console.print(table)
    console.print("score beats the recency baseline (AUC and precision): "
                  + ("[green]yes[/green]" if beats else "[red]no[/red]"))
    coefficients = Table(title="Model terms (by standardised effect)")
    for column in ("term", "reason code", "coefficient", "per sd"):
        coefficients.add_column(column, justify="left" if column in ("term", "reason code") else "right")
    for term, code, coefficient, standardized in terms:
        coefficients.add_row(term, code or "", f"{coefficient:+.4f}",
                             "" if standardized is None else f"{standardized:+.4f}")
    console.print(coefficients)


@app.command("export-raw")
def export_raw_command(target: ServerTarget = "postgres") -> None:
    """Copy the loaded raw.* tables from the DuckDB file to a PostgreSQL or Spark target.

    Load (and its validation and quarantine) always runs into the DuckDB file at $WAREHOUSE_DB_PATH;
    this replaces the target's raw tables with those rows, column types and all, rejected rows and
    audits included. Then `warehouse build --target TARGET`.
    """
    _check_target(target, ("postgres", "spark"))
    path = _built_warehouse(f"run `warehouse load` first (set {DB_PATH_ENV} to move it)")
    try:
        with duckdb.connect(str(path), read_only=True) as con, connect(target) as warehouse:
            tables = raw_tables(con)
            with _progress() as progress:
                task = progress.add_task(f"raw tables copied to {target}", total=len(tables))
                copied = export_raw(con, warehouse, on_table=lambda table, rows: progress.advance(task))
    except (TargetError, EngineStepError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(DATA_PROBLEM) from exc
    table = Table(title=f"Copied raw tables from {path} to {describe(target)}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in copied.items():
        table.add_row(f"raw.{name}", f"{rows:,}")
    console.print(table)


def _fit_models(target: str, dbt_vars: str | None) -> None:
    _check_target(target, ("postgres", "spark"))
    overrides = _vars(dbt_vars)
    try:
        with connect(target) as warehouse:
            written = fit_models(warehouse, project_vars(overrides))
    except MissingTableError as exc:
        console.print(f"[red]error:[/red] {exc}: build int_customer_transactions_summarised and "
                      f"int_customer_churn_signals_computed first (`warehouse build --target {target}` does it all)")
        raise typer.Exit(DATA_PROBLEM) from exc
    except (TargetError, EngineStepError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(DATA_PROBLEM) from exc
    for name, rows in written.items():
        console.print(f"wrote intermediate.{name}: {rows:,} rows")


@app.command("fit-models")
def fit_models_command(target: ServerTarget = "postgres", dbt_vars: Vars = None) -> None:
    """Run the dbt Python models' code on a PostgreSQL or Spark target and write their five tables there.

    The step dbt-duckdb runs inside `dbt build` (the CLV models int_clv_models_fitted,
    int_customer_clv_predicted, int_clv_holdout_predicted; the churn models int_churn_model_fitted,
    int_customer_churn_scored), for targets whose dbt adapter cannot run Python models. It reads
    intermediate.int_customer_transactions_summarised, intermediate.int_customer_churn_signals_computed
    and reference.churn_signals, so run it after those are built; `warehouse build` does it all in order.
    """
    _fit_models(target, dbt_vars)


@app.command("fit-clv")
def fit_clv_command(target: ServerTarget = "postgres", dbt_vars: Vars = None) -> None:
    """The former name of fit-models: fits the CLV models and, after them, the churn models."""
    _fit_models(target, dbt_vars)


@app.command("build")
def build_command(target: Target = "duckdb", dbt_vars: Vars = None) -> None:
    """dbt build on a target: on PostgreSQL and Spark in two parts with `fit-models` between them.

    DuckDB: one `dbt build`. PostgreSQL and Spark: `dbt build --exclude <Python models>+`, then the
    CLV and churn fits (fit-models), then `dbt build --select <Python models>+`, where the Python
    models are the CLV and churn models dbt-duckdb runs in-process. Load and export-raw first.
    """
    _check_target(target)
    from dbt.cli.main import dbtRunner

    runner = dbtRunner()

    def invoke(args: list[str]):
        return runner.invoke([*args, "--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(profiles_dir())])

    def show(step: StepResult) -> None:
        colour = "green" if step.ok else "red"
        console.print(f"[{colour}]{step.name}[/{colour}] {step.seconds:.1f} s {step.detail}")

    overrides = _vars(dbt_vars)
    try:
        result = build(target, invoke, connect, overrides, on_step=show)
    except TargetError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(DATA_PROBLEM) from exc
    summary = Table(title=f"Build on {target} ({describe(target)}): {result.seconds:.1f} s")
    for column in ("step", "seconds", "result"):
        summary.add_column(column, justify="right" if column == "seconds" else "left")
    for step in result.steps:
        summary.add_row(step.name, f"{step.seconds:.1f}", "ok" if step.ok else f"failed: {step.detail}")
    console.print(summary)
    if not result.ok:
        raise typer.Exit(DATA_PROBLEM)


@app.command("bench")
def bench_command(
    orders: Annotated[int, typer.Option(min=10_000, help="Orders to generate; customers (orders / 8) and survey "
                                        "responses scale with them.")] = DEFAULT_ORDERS,
    work_dir: Annotated[Optional[Path], typer.Option(help="Where data, warehouse file and logs go "
                                                     "(default data/bench/<orders>).")] = None,
    report: Annotated[Path, typer.Option(help="JSON report: one object per scale run.")] = DEFAULT_REPORT,
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 42,
) -> None:
    """Time the warehouse build against the floor (hand-written DuckDB SQL), pandas and a one-day incremental run.

    Generates data at the chosen scale, holds back its last day, then measures in child processes:
    load + dbt build; the floor; pandas; the last day appended (new, late and changed orders) with
    load + an incremental dbt build. Prints a table and adds the run to the JSON report.
    """
    folder = work_dir or DEFAULT_WORK_DIR / str(orders)
    with _progress() as progress:
        task = progress.add_task("bench", total=1 + len(STEPS))

        def step(name: str) -> None:
            progress.update(task, description=f"bench: {name}", completed=(("generate",) + STEPS).index(name))

        try:
            result = run_bench(orders, folder, on_step=step, seed=seed)
        except StepFailed as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(DATA_PROBLEM) from exc
        progress.update(task, description="bench: done", completed=1 + len(STEPS))
    write_report(result, report)
    table = Table(title=f"Benchmark at {orders:,} orders ({result.rows['orders']:,} order rows, "
                        f"{result.rows['customers']:,} customers, {result.rows['survey_responses']:,} survey responses)")
    for column in ("step", "seconds", "CPU seconds", "peak memory (MB)", "what"):
        table.add_column(column, justify="left" if column in ("step", "what") else "right")
    what = {
        "build": f"warehouse load {result.detail['load_s']:.1f} s + dbt build {result.detail['dbt_build_s']:.1f} s",
        "floor": "hand-written DuckDB SQL from the raw files, one connection",
        "pandas": "vectorised pandas from the raw files",
        "incremental": (f"one day appended: load {result.detail['incremental_load_s']:.1f} s + "
                        f"dbt build {result.detail['incremental_dbt_build_s']:.1f} s"),
    }
    for name in STEPS:
        table.add_row(name, f"{getattr(result, f'{name}_s'):.1f}", f"{result.detail['cpu_s'][name]:.1f}",
                      f"{result.peak_rss_mb[name]:,.0f}", what[name])
    console.print(table)
    targets = Table(title="Targets")
    for column in ("target", "measured", "met"):
        targets.add_column(column)
    measured = {
        "build_over_floor": f"build / floor = {result.ratios['build_over_floor']:.2f}",
        "build_faster_than_pandas": f"pandas / build = {result.ratios['pandas_over_build']:.2f}",
        "incremental_over_build": f"incremental / build = {result.ratios['incremental_over_build']:.3f}",
        "peak_memory": (f"build {result.peak_rss_mb['build']:,.0f} MB, "
                        f"incremental {result.peak_rss_mb['incremental']:,.0f} MB"),
    }
    for name, (label, _) in BENCH_TARGETS.items():
        met = result.targets_met[name]
        targets.add_row(label, measured[name], "[green]yes[/green]" if met else "[red]no[/red]")
    console.print(targets)
    slow = Table(title="Slowest dbt nodes of the full build (run_results.json)")
    slow.add_column("node")
    slow.add_column("seconds", justify="right")
    for node in result.detail["slowest_build_nodes"]:
        slow.add_row(node["node"], f"{node['seconds']:.2f}")
    console.print(slow)
    cpu = result.detail["cpu_ratios"]
    console.print(f"In CPU seconds: build / floor = {cpu['build_over_floor']:.2f}, pandas / build = "
                  f"{cpu['pandas_over_build']:.2f}, incremental / build = {cpu['incremental_over_build']:.3f} "
                  f"(load average {result.detail['load_average_1m']:.1f} on {result.detail['machine']['cores']} cores)")
    console.print(CLV_NOTE)
    console.print(f"wrote {report}; data and logs in {folder}")

