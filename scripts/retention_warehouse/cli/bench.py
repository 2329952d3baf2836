"""`warehouse bench`: the benchmark, whose tooling lives in scripts/benchmarks beside the package (not shipped)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from retention_warehouse.cli.common import USAGE_ERROR, console, fail, progress


def bench_command(
    orders: Annotated[Optional[int], typer.Option(min=10_000, help="Orders to generate (default ten million); "
                                                  "customers (orders / 8) and survey responses scale with them.")] = None,
    work_dir: Annotated[Optional[Path], typer.Option(help="Where data, warehouse file and logs go "
                                                     "(default data/bench/<orders>).")] = None,
    report: Annotated[Optional[Path], typer.Option(help="JSON report: one object per scale run "
                                                   "(default reports/bench.json).")] = None,
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 42,
) -> None:
    """Time the warehouse build against like-for-like floors, pandas and a one-day incremental run.

    Generates data at the chosen scale, holds back its last day, then measures in child processes:
    load + dbt build; the engine floor (the build's compiled code without dbt or tests, all marts);
    the core build (dbt build --selector bench_core); the core by hand-written DuckDB SQL and by
    pandas; the last day appended with load + an incremental dbt build. Prints a table whose targets
    name their scope, and adds the run to the JSON report.
    """
    try:
        from benchmarks import bench
    except ModuleNotFoundError as exc:
        fail(exc, USAGE_ERROR, hint=": the benchmark runs from a checkout of the repository (scripts/benchmarks, "
                                    "installed by `uv sync`), not from the wheel")
    orders = orders or bench.DEFAULT_ORDERS
    folder = work_dir or bench.DEFAULT_WORK_DIR / str(orders)
    with progress() as bar:
        task = bar.add_task("bench", total=1 + len(bench.STEPS))

        def step(name: str) -> None:
            bar.update(task, description=f"bench: {name}", completed=(("generate",) + bench.STEPS).index(name))

        try:
            result = bench.run_bench(orders, folder, on_step=step, seed=seed)
        except bench.StepFailed as exc:
            fail(exc)
        bar.update(task, description="bench: done", completed=1 + len(bench.STEPS))
    report = report or bench.DEFAULT_REPORT
    bench.write_report(result, report)
    bench.show(result, console)
    console.print(f"wrote {report}; data and logs in {folder}")
