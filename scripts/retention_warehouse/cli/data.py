"""Raw data commands: generate and import-cdnow write raw files; load lands them, load and validate check them."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import duckdb
import typer

from retention_warehouse.cli.common import (DATA_PROBLEM, USAGE_ERROR, DataDir, OutputFormat, check_format,
                                            check_target, console, fail, progress, table, yes_no)
from retention_warehouse.config import DB_PATH_ENV, DEFAULT_DATA_DIR, PROJECT_ROOT, db_path
from retention_warehouse.demo.cdnow import CdnowError, import_cdnow
from retention_warehouse.demo.generator import GeneratorConfig, customers_for_orders, generate
from retention_warehouse.ingest.loader import (DuckDBLanding, FileError, FileResult, Landing, LoadReport,
                                                discover_files, load_directory)
from retention_warehouse.warehouse.contract_checks import (QUARANTINE, ChecksFailed, FileVerdict, file_verdicts,
                                                           run_checks)


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
    check_format(file_format, ("parquet", "csv"))
    try:
        config = GeneratorConfig(
            customers=customers or (customers_for_orders(orders) if orders else 5_000),
            seed=seed, start=date.fromisoformat(start), end=date.fromisoformat(end),
            file_format=file_format, bad_row_rate=bad_row_rate,  # type: ignore[arg-type]
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    with progress() as bar:
        task = bar.add_task("customers simulated", total=config.customers)
        summary = generate(config, out, on_progress=lambda n: bar.advance(task, n))
    rows = table(f"Generated under {out}", ("entity", "rows", "deliberately bad rows"),
                 right=("rows", "deliberately bad rows"))
    for entity, count in summary.rows.items():
        rows.add_row(entity, f"{count:,}", f"{summary.bad_rows.get(entity, 0):,}")
    console.print(rows)


def load_report_table(report: LoadReport, title: str, verdicts: dict[str, FileVerdict] | None = None):
    """Per file: status, rows read and, once the checks ran, passed and rejected; why a file failed."""
    columns = ("file", "status", "read", *(("passed", "rejected") if verdicts is not None else ()), "note")
    files = table(title, columns, right=("read", "passed", "rejected"))
    for f in report.files:
        note = f.error or (f"ignored columns: {', '.join(f.ignored_columns)}" if f.ignored_columns else "")
        verdict = (verdicts or {}).get(f.path)
        counts = () if verdicts is None else (
            (f"{verdict.rows_passed:,}", f"{verdict.rows_rejected:,}") if verdict else ("", ""))
        style = "red" if f.status == "failed" else ("yellow" if verdict and verdict.rows_rejected else "")
        files.add_row(f.path, f.status, f"{f.rows_read:,}", *counts, note, style=style)
    for gone in report.missing:
        files.add_row(gone.path, "gone", f"{gone.rows:,}", *(("", "") if verdicts is not None else ()),
                      "rows removed" if gone.removed else "loaded before, not in the folder now: its rows are "
                      "still in raw (--remove-missing removes them)", style="yellow")
    return files


def _rejections_table(verdicts: dict[str, FileVerdict], limit: int):
    rejections = table(f"First rejected rows (up to {limit} per file)", ("file", "row", "column", "reason"))
    for verdict in verdicts.values():
        for r in verdict.first_failures[:limit]:
            rejections.add_row(r.source_file, str(r.source_row), r.column_name, r.reason)
    return rejections


LOAD_TARGETS = ("duckdb", "spark")
"""Where `warehouse load` lands files: the DuckDB file, or Spark's metastore (Spark reads the files itself).
On PostgreSQL the raw tables are your EL tool's (docs/data-contract.md)."""


def _run_load(landing: Landing, data_dir: Path, verb: str, remove_missing: bool = False) -> LoadReport:
    try:
        files = discover_files(data_dir)
    except FileError as exc:
        fail(exc, USAGE_ERROR)
    with progress() as bar:
        task = bar.add_task(f"files {verb}", total=len(files))

        def advance(result: FileResult) -> None:
            bar.advance(task)
            if result.status == "failed":
                bar.console.print(f"[red]error:[/red] {data_dir / result.path}: {result.error}")

        try:
            return load_directory(landing, data_dir, on_file=advance, files=files, remove_missing=remove_missing)
        except FileError as exc:
            fail(exc)


def _check(path: Path, target_path: Path, log_path: Path, limit: int) -> dict[str, FileVerdict]:
    """Run the contract checks (dbt) on the DuckDB file and read their verdict per file."""
    _run_checks(path, "duckdb", target_path, log_path)
    with duckdb.connect(str(path), read_only=True) as con:
        return file_verdicts(lambda sql: con.execute(sql).fetchall(), limit)


def _run_checks(path: Path | None, target: str, target_path: Path, log_path: Path) -> None:
    with console.status(f"checking rows against the contract (dbt, target {target})"):
        try:
            run_checks(path, project_dir=PROJECT_ROOT, target_path=target_path, log_path=log_path, target=target)
        except ChecksFailed as exc:
            fail(exc)


def _load_into_spark(data_dir: Path, remove_missing: bool, check: bool, target_path: Path,
                     limit: int) -> tuple[LoadReport, dict[str, FileVerdict] | None, str]:
    """Land the files in Spark's raw tables (Spark reads them) and, when asked, check them there."""
    from retention_warehouse.ingest.spark_landing import SparkLanding
    from retention_warehouse.warehouse.targets import TargetError, connect, describe

    try:
        with connect("spark") as warehouse:
            report = _run_load(SparkLanding(warehouse.session), data_dir, "loaded", remove_missing)  # type: ignore[attr-defined]
            if not check:
                return report, None, describe("spark")
            _run_checks(None, "spark", target_path, PROJECT_ROOT / "logs")
            return report, file_verdicts(lambda sql: warehouse.query(sql).rows, limit), describe("spark")
    except TargetError as exc:
        fail(exc, USAGE_ERROR)


def totals_of(report: LoadReport, verdicts: dict[str, FileVerdict]) -> dict[str, int]:
    """Files and rows of a checked load: rows read = passed (loaded) + rejected, per the checks."""
    rejected = sum(verdicts[f.path].rows_rejected for f in report.files if f.path in verdicts)
    read = sum(f.rows_read for f in report.files if f.status != "failed")
    return {"files": len(report.files), "files_failed": len(report.failed), "rows_read": read,
            "rows_loaded": read - rejected, "rows_rejected": rejected}


def load_command(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    strict: Annotated[bool, typer.Option(help="Exit 1 when any row was rejected, not only on file errors.")] = False,
    check: Annotated[bool, typer.Option(help="Run the contract checks (dbt) after loading and report them.")] = True,
    remove_missing: Annotated[bool, typer.Option(
        help="Remove the rows of files loaded from this folder before that are gone from it now.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="Rejected rows to show per file.")] = 10,
    target_path: Annotated[Path, typer.Option(help="dbt target folder of the checks' run.")] = PROJECT_ROOT / "target",
    target: Annotated[str, typer.Option("--target", help="duckdb (the warehouse file) or spark (Spark reads the "
                                        "files into its metastore's raw tables).")] = "duckdb",
) -> None:
    """Land raw files in the `raw` schema of the warehouse, then check every row against the contract.

    Files land as they are (landing tables raw.<entity>); the checks (dbt models, the same on every
    engine) quarantine bad rows into marts.fct_rejected_rows with file, row, column and reason. A file
    that cannot be read as a whole is rolled back and named; the exit code is then 1. Files loaded from
    this folder before and gone now are reported (their rows stay unless --remove-missing).
    """
    if target == "postgres":
        fail(f"--target postgres: `warehouse load` does not write to PostgreSQL; load the files with your EL tool "
             f"(or COPY) and point the sources at them (README, \"Point it at your warehouse\")", USAGE_ERROR)
    check_target(target, LOAD_TARGETS)
    if target == "spark":
        report, verdicts, where = _load_into_spark(data_dir, remove_missing, check, target_path, limit)
    else:
        path = db_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(path)) as con:
            report = _run_load(DuckDBLanding(con), data_dir, "loaded", remove_missing)
        verdicts = _check(path, target_path, PROJECT_ROOT / "logs", limit) if check else None
        where = f"{path} (set {DB_PATH_ENV} to move it)"
    console.print(load_report_table(report, f"Loaded {data_dir} into {where}", verdicts))
    if verdicts is None:
        console.print(f"rows read {report.totals()['rows_read']:,}; not checked (--no-check): "
                      "`warehouse build` or `dbt build` checks them")
    else:
        totals = totals_of(report, verdicts)
        console.print(f"rows read {totals['rows_read']:,} = loaded {totals['rows_loaded']:,} + rejected "
                      f"{totals['rows_rejected']:,} (rejected rows are in {QUARANTINE})")
        if totals["rows_rejected"]:
            console.print(_rejections_table(verdicts, limit))
    rejected = verdicts is not None and any(v.rows_rejected for v in verdicts.values())
    if report.failed or (strict and rejected):
        raise typer.Exit(DATA_PROBLEM)


def validation_json(report: LoadReport, verdicts: dict[str, FileVerdict], limit: int) -> list[dict[str, object]]:
    """Per file, what `warehouse validate --format json` reports: verdict, counts, the first failures."""
    files: list[dict[str, object]] = []
    for f in report.files:
        verdict = verdicts.get(f.path)
        files.append({
            "path": f.path, "entity": f.entity, "status": "failed" if f.status == "failed" else "checked",
            "rows_read": f.rows_read, "rows_passed": verdict.rows_passed if verdict else 0,
            "rows_failed": verdict.rows_rejected if verdict else 0,
            "error": f.error, "ignored_columns": list(f.ignored_columns),
            "first_failures": [{"row": r.source_row, "column": r.column_name, "reason": r.reason}
                               for r in (verdict.first_failures[:limit] if verdict else [])],
        })
    return files


def validate_command(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    output_format: OutputFormat = "table",
    limit: Annotated[int, typer.Option(min=1, help="Rejected rows to show per file.")] = 10,
) -> None:
    """Check raw files against the contract without loading anything (a dry run of `load`).

    The files land in a scratch DuckDB file and the contract checks (the dbt models every build runs)
    judge them there, so a dry run and a build cannot disagree. Exit code 1 when any file cannot be
    read or any row would be rejected.
    """
    check_format(output_format)
    with tempfile.TemporaryDirectory(prefix="warehouse-validate-") as scratch:
        path = Path(scratch) / "validate.duckdb"
        with duckdb.connect(str(path)) as con:
            report = _run_load(DuckDBLanding(con), data_dir, "checked")
        verdicts = _check(path, PROJECT_ROOT / "target" / "validate", Path(scratch) / "logs", limit)
    totals = totals_of(report, verdicts)
    if output_format == "json":
        typer.echo(json.dumps({"data_dir": str(data_dir), "totals": totals,
                               "files": validation_json(report, verdicts, limit)}, indent=2))
    else:
        console.print(load_report_table(report, f"Validated {data_dir} (nothing loaded)", verdicts))
        if totals["rows_rejected"]:
            console.print(_rejections_table(verdicts, limit))
    if report.failed or totals["rows_rejected"]:
        raise typer.Exit(DATA_PROBLEM)


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
        fail(exc)
    audit = table(f"CDNOW import audit ({out / files[-1].name})", ("measure", "value"), right=("value",))
    for name, value in vars(result).items():
        audit.add_row(name.replace("_", " "), f"{value:,}" if isinstance(value, int) else str(value))
    console.print(audit)
    console.print("source dollars = order dollars: " + yes_no(result.reconciles))
    for path in files:
        console.print(f"wrote {path}")
