"""Raw data commands: generate and import-cdnow write raw files; load and validate check them against the contract."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import duckdb
import typer

from retention_warehouse.cli.common import (DATA_PROBLEM, USAGE_ERROR, DataDir, OutputFormat, check_format, console,
                                            fail, progress, table, yes_no)
from retention_warehouse.config import DB_PATH_ENV, DEFAULT_DATA_DIR, db_path
from retention_warehouse.demo.cdnow import CdnowError, import_cdnow
from retention_warehouse.demo.generator import GeneratorConfig, customers_for_orders, generate
from retention_warehouse.ingest.loader import FileError, FileResult, LoadReport, discover_files, load_directory


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


def load_report_table(report: LoadReport, title: str):
    """Per file: status, rows read, loaded and rejected, and why a file failed."""
    files = table(title, ("file", "status", "read", "loaded", "rejected", "note"), right=("read", "loaded", "rejected"))
    for f in report.files:
        note = f.error or (f"ignored columns: {', '.join(f.ignored_columns)}" if f.ignored_columns else "")
        style = "red" if f.status == "failed" else ("yellow" if f.rows_rejected else "")
        files.add_row(f.path, f.status, f"{f.rows_read:,}", f"{f.rows_loaded:,}", f"{f.rows_rejected:,}", note,
                      style=style)
    return files


def _rejections_table(report: LoadReport, limit: int):
    rejections = table(f"First rejected rows (up to {limit} per file)", ("file", "row", "column", "reason"))
    for f in report.files:
        for r in f.sample_rejections[:limit]:
            rejections.add_row(r.source_file, str(r.source_row), r.column_name, r.reason)
    return rejections


def _run_load(con: duckdb.DuckDBPyConnection, data_dir: Path, verb: str) -> LoadReport:
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

        return load_directory(con, data_dir, on_file=advance, files=files)


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
    console.print(load_report_table(report, f"Loaded {data_dir} into {path} (set {DB_PATH_ENV} to move it)"))
    totals = report.totals()
    console.print(
        f"rows read {totals['rows_read']:,} = loaded {totals['rows_loaded']:,} + rejected {totals['rows_rejected']:,}"
        " (rejected rows are in raw.<entity>_rejected)"
    )
    if report.failed or (strict and report.rows_rejected):
        raise typer.Exit(DATA_PROBLEM)


def validate_command(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    output_format: OutputFormat = "table",
    limit: Annotated[int, typer.Option(min=1, help="Rejected rows to show per file.")] = 10,
) -> None:
    """Check raw files against the contract without loading anything (a dry run of `load`).

    Exit code 1 when any file cannot be read or any row would be rejected.
    """
    check_format(output_format)
    with duckdb.connect(":memory:") as con:
        report = _run_load(con, data_dir, "checked")
    if output_format == "json":
        typer.echo(json.dumps({"data_dir": str(data_dir), "totals": report.totals(),
                               "files": report.validation_json(limit)}, indent=2))
    else:
        console.print(load_report_table(report, f"Validated {data_dir} (nothing loaded)"))
        if report.rows_rejected:
            console.print(_rejections_table(report, limit))
    if report.failed or report.rows_rejected:
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
