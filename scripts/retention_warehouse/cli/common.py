"""What every command group shares: the console, exit codes, option types, argument checks, progress bars.

Exit codes: 0 ok, 1 a data problem was found (DATA_PROBLEM), 2 a usage error (USAGE_ERROR).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from retention_warehouse.config import db_path
from retention_warehouse.warehouse.project import parse_vars
from retention_warehouse.warehouse.targets import TARGETS

console = Console(stderr=True)
DATA_PROBLEM = 1
USAGE_ERROR = 2
SERVER_TARGETS = ("postgres", "spark")

DataDir = Annotated[Path, typer.Option("--data-dir", help="Folder with one subfolder per entity.")]
Target = Annotated[str, typer.Option("--target", help=f"Output of profiles.yml: {', '.join(TARGETS)}.")]
ServerTarget = Annotated[str, typer.Option("--target", help="postgres or spark (outputs of profiles.yml).")]
Vars = Annotated[Optional[str], typer.Option("--vars", help="dbt vars as YAML, e.g. '{as_of_date: 2025-06-30}'.")]
OutputFormat = Annotated[str, typer.Option("--format", help="table or json.")]


def check_target(target: str, allowed: tuple[str, ...] = TARGETS) -> None:
    if target not in allowed:
        raise typer.BadParameter(f"--target must be one of {', '.join(allowed)}, got '{target}'")


def check_format(output_format: str, allowed: tuple[str, ...] = ("table", "json")) -> None:
    if output_format not in allowed:
        raise typer.BadParameter(f"--format must be {' or '.join(allowed)}")


def dbt_vars(text: str | None) -> dict[str, Any]:
    """--vars as a dict; a usage error (exit 2) when it is not a YAML mapping."""
    try:
        return parse_vars(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def fail(exc: Exception | str, code: int = DATA_PROBLEM, hint: str = "") -> NoReturn:
    """Print the error (and what to do about it) and exit with `code`."""
    console.print(f"[red]error:[/red] {exc}{hint}", soft_wrap=True)  # paths stay whole for copying
    raise typer.Exit(code) from (exc if isinstance(exc, Exception) else None)


def progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    )


def node_progress(bar: Progress, task: TaskID) -> Callable[[str, int | None], None]:
    """A dbt progress callback (warehouse.dbt_runner.ProgressCallback) that moves `task` of `bar`."""

    def on_progress(_: str, total: int | None) -> None:
        if total is None:
            bar.advance(task)
        else:
            bar.update(task, total=total)

    return on_progress


def built_warehouse(hint: str = "build the warehouse first (make build)") -> Path:
    """The warehouse file a read-only command opens; exit 1 when it has not been built yet."""
    path = db_path()
    if not path.is_file():
        fail(f"{path} does not exist: {hint}")
    return path


def table(title: str, columns: tuple[str, ...], right: tuple[str, ...] = ()) -> Table:
    """A Rich table with these columns, the ones in `right` right-aligned (numbers)."""
    result = Table(title=title)
    for column in columns:
        result.add_column(column, justify="right" if column in right else "left")
    return result


def yes_no(value: bool) -> str:
    return "[green]yes[/green]" if value else "[red]no[/red]"
