"""The benchmark: the warehouse build against the floor, pandas and a one-day incremental run.

`run_bench` generates data at one scale, holds back its last day as an increment
(scripts/retention_warehouse/demo/increment.py), then times, each step in its own child process:

1. build: `warehouse load --no-check` (the files landed as they are) + `dbt build` on a new DuckDB
   file (the contract checks, every model and data test; unit tests, which do not depend on the
   data, run in make test instead);
2. floor: the same marts by hand-written DuckDB SQL straight from the raw files (scripts/benchmarks/floor.py);
3. pandas: the same marts in vectorised pandas (scripts/benchmarks/pandas_marts.py);
4. incremental: the increment's files appended, then `warehouse load --no-check` + `dbt build` again.

Every variant fits the CLV models with the same retention_warehouse.stats.clv code (BG/NBD + Gamma-Gamma, scoring and
backtest): the comparison measures how each computes the marts and the fit inputs. Peak memory
per step is the child's maximum resident set size, from the rusage that os.wait4 returns for it
(the struct resource.getrusage fills for children). Results go to a table and reports/bench.json.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from rich.table import Table

from retention_warehouse.config import DB_PATH_ENV, PROJECT_ROOT
from retention_warehouse.demo.generator import customers_for_orders
from retention_warehouse.demo.increment import split_increment

BIN = Path(sys.executable).parent
DEFAULT_ORDERS = 10_000_000
DEFAULT_REPORT = PROJECT_ROOT / "reports" / "bench.json"
DEFAULT_WORK_DIR = PROJECT_ROOT / "data" / "bench"
STEPS = ("build", "floor", "pandas", "incremental")
TARGETS = {
    "build_over_floor": ("build ≤ 2 × floor", lambda r: r.ratios["build_over_floor"] <= 2.0),
    "build_faster_than_pandas": ("build faster than pandas", lambda r: r.ratios["pandas_over_build"] > 1.0),
    "incremental_over_build": ("incremental ≤ 10% of build", lambda r: r.ratios["incremental_over_build"] <= 0.10),
    # The memory target is the warehouse's (build and incremental run); the floor and pandas are yardsticks.
    "peak_memory": ("warehouse peak memory < 4 GB",
                    lambda r: max(r.peak_rss_mb["build"], r.peak_rss_mb["incremental"]) < 4096),
}
CLV_NOTE = ("CLV: every variant fits BG/NBD and Gamma-Gamma (scoring and backtest) with the same retention_warehouse.stats.clv "
            "code; the variants differ in how they compute the marts and the fit inputs.")


class StepFailed(RuntimeError):
    """A benchmark step's child process exited non-zero."""


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float
    """User + system CPU time of the child and its waited-for descendants: unlike wall time, hardly
    changed by other work on a shared machine."""


def run_child(command: list[str], env: dict[str, str], log: Path) -> Measured:
    """Run one command as a child process; its wall time, peak RSS and CPU time (benchmarks.measure)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    usage = log.with_name(f"{log.name}.usage.json")
    with log.open("a") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "benchmarks.measure", str(usage), "--", *command],
                       stdout=out, stderr=subprocess.STDOUT, env=env, cwd=PROJECT_ROOT, check=True)
        seconds = time.perf_counter() - started
    measured = json.loads(usage.read_text())
    usage.unlink()
    if measured["returncode"] != 0:
        raise StepFailed(f"{' '.join(command[:3])} ... exited {measured['returncode']}; see {log}")
    return Measured(seconds, measured["peak_rss_mb"], measured["cpu_seconds"])


@dataclass
class BenchResult:
    orders: int
    rows: dict[str, int]
    build_s: float
    floor_s: float
    pandas_s: float
    incremental_s: float
    peak_rss_mb: dict[str, float]
    ratios: dict[str, float]
    targets_met: dict[str, bool]
    detail: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return asdict(self)


def ratios(build: float, floor: float, pandas: float, incremental: float) -> dict[str, float]:
    return {
        "build_over_floor": round(build / floor, 3),
        "pandas_over_build": round(pandas / build, 3),
        "incremental_over_build": round(incremental / build, 3),
    }


def slowest_nodes(target_dir: Path, count: int = 8) -> list[dict]:
    """The slowest dbt nodes of the last run, from run_results.json."""
    path = target_dir / "run_results.json"
    if not path.is_file():
        return []
    results = json.loads(path.read_text())["results"]
    ranked = sorted(results, key=lambda r: r["execution_time"], reverse=True)[:count]
    return [{"node": r["unique_id"].split(".", 2)[-1], "seconds": round(r["execution_time"], 2)} for r in ranked]


def raw_rows(data_dir: Path) -> dict[str, int]:
    import duckdb

    with duckdb.connect() as con:
        return {entity: con.execute(f"select count(*) from read_parquet('{data_dir / entity}/*.parquet')").fetchone()[0]
                for entity in ("customers", "orders", "survey_responses")}


MARKER = ".warehouse-bench"
"""A file the bench leaves in its work folder: only a folder holding it is ever emptied."""


def prepare_work_dir(work_dir: Path) -> None:
    """Empty a work folder the bench made before; refuse any other folder that is not empty."""
    if work_dir.exists() and any(work_dir.iterdir()):
        if not (work_dir / MARKER).is_file():
            raise StepFailed(f"{work_dir} is not empty and was not made by warehouse bench: choose another "
                             "--work-dir (the bench empties its folder before each run)")
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / MARKER).write_text("made by warehouse bench; emptied on its next run\n")


def run_bench(orders: int, work_dir: Path, on_step: Callable[[str], None] = lambda _: None,
              seed: int = 42) -> BenchResult:
    """Generate `orders` orders' worth of data under `work_dir` and measure the four steps."""
    prepare_work_dir(work_dir)
    data_dir = work_dir / "raw"
    increment_dir = work_dir / "increment"
    db = work_dir / "warehouse.duckdb"
    log = work_dir / "bench.log"
    env = {**os.environ, DB_PATH_ENV: str(db), "DBT_PROFILES_DIR": str(PROJECT_ROOT),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "PYTHONPATH": str(PROJECT_ROOT)}
    warehouse = str(BIN / "warehouse")
    python = sys.executable

    def dbt() -> list[str]:
        # Unit tests check the SQL on fixed inputs, whatever the data: dbt recommends running them in
        # development and CI (make test does), not in production builds, so the bench leaves them out.
        # Data tests run. One target path, so the incremental run reuses the full build's parse.
        return [str(BIN / "dbt"), "build", "--exclude-resource-type", "unit_test", "--project-dir",
                str(PROJECT_ROOT), "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")]

    on_step("generate")
    generated = run_child([warehouse, "generate", "--orders", str(orders), "--seed", str(seed), "--out",
                           str(data_dir)], env, log)
    increment = split_increment(data_dir, increment_dir, days=1)
    rows = raw_rows(data_dir)

    on_step("build")
    load = run_child([warehouse, "load", "--no-check", "--data-dir", str(data_dir)], env, log)
    dbt_build = run_child(dbt(), env, log)
    slowest_build = slowest_nodes(work_dir / "target")
    on_step("floor")
    floor = run_child([python, "-m", "benchmarks.bench", "floor", str(data_dir)], env, log)
    on_step("pandas")
    pandas = run_child([python, "-m", "benchmarks.bench", "pandas", str(data_dir)], env, log)
    on_step("incremental")
    shutil.copytree(increment_dir, data_dir, dirs_exist_ok=True)
    incremental_load = run_child([warehouse, "load", "--no-check", "--data-dir", str(data_dir)], env, log)
    incremental_dbt = run_child(dbt(), env, log)

    build_s = load.seconds + dbt_build.seconds
    incremental_s = incremental_load.seconds + incremental_dbt.seconds
    cpu = {
        "build": load.cpu_seconds + dbt_build.cpu_seconds, "floor": floor.cpu_seconds,
        "pandas": pandas.cpu_seconds, "incremental": incremental_load.cpu_seconds + incremental_dbt.cpu_seconds,
    }
    result = BenchResult(
        orders=orders,
        rows=rows,
        build_s=round(build_s, 2),
        floor_s=round(floor.seconds, 2),
        pandas_s=round(pandas.seconds, 2),
        incremental_s=round(incremental_s, 2),
        peak_rss_mb={
            "build": round(max(load.peak_rss_mb, dbt_build.peak_rss_mb), 1),
            "floor": round(floor.peak_rss_mb, 1),
            "pandas": round(pandas.peak_rss_mb, 1),
            "incremental": round(max(incremental_load.peak_rss_mb, incremental_dbt.peak_rss_mb), 1),
        },
        ratios=ratios(build_s, floor.seconds, pandas.seconds, incremental_s),
        targets_met={},
        detail={
            "cpu_s": {step: round(value, 2) for step, value in cpu.items()},
            "cpu_ratios": ratios(cpu["build"], cpu["floor"], cpu["pandas"], cpu["incremental"]),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "generate_s": round(generated.seconds, 2),
            "load_s": round(load.seconds, 2),
            "dbt_build_s": round(dbt_build.seconds, 2),
            "incremental_load_s": round(incremental_load.seconds, 2),
            "incremental_dbt_build_s": round(incremental_dbt.seconds, 2),
            "increment": {"day": increment.first_day.isoformat(), "new_rows": increment.new_rows,
                          "late_orders": increment.late_orders, "changed_orders": increment.changed_orders},
            "slowest_build_nodes": slowest_build,
            "slowest_incremental_nodes": slowest_nodes(work_dir / "target"),
            "customers_requested": customers_for_orders(orders),
            "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "note": CLV_NOTE,
        },
    )
    result.targets_met = {name: bool(check(result)) for name, (_, check) in TARGETS.items()}
    return result


def write_report(result: BenchResult, path: Path) -> list[dict]:
    """Add one scale's result to the report (replacing an earlier run at the same scale); sorted by orders."""
    runs = json.loads(path.read_text()) if path.is_file() else []
    runs = [r for r in runs if r.get("orders") != result.orders] + [result.as_json()]
    runs.sort(key=lambda r: r["orders"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(runs, indent=2) + "\n")
    return runs


def show(result: BenchResult, console: Console) -> None:
    """The measured steps, the targets met or missed, the slowest dbt nodes and the CPU ratios, as tables."""
    orders = result.orders
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
    for name, (label, _) in TARGETS.items():
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

def _worker(step: str, data_dir: Path) -> None:
    """A variant in this process (the bench runs it as a child to time it and read its peak memory)."""
    if step == "floor":
        import duckdb

        from benchmarks.floor import compute_floor

        with duckdb.connect() as con:
            compute_floor(con, data_dir)
    elif step == "pandas":
        from benchmarks.pandas_marts import compute_pandas

        compute_pandas(data_dir)
    else:
        raise SystemExit(f"unknown step {step!r}: floor or pandas")


if __name__ == "__main__":
    _worker(sys.argv[1], Path(sys.argv[2]))
