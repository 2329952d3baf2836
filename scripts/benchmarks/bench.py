"""The benchmark: the warehouse build against like-for-like floors, pandas and a one-day incremental run.

`run_bench` generates data at one scale, holds back its last day as an increment
(scripts/retention_warehouse/demo/increment.py), then times, each step in its own child process:

1. build: `warehouse load --no-check` (the files landed as they are) + `dbt build` on a new DuckDB
   file: the contract checks, every model and mart, every data test (unit tests, which do not
   depend on the data, run in make test instead). An untimed `dbt parse` comes first, so the build
   parses partially, as every publish after the first does (the same for the core build);
2. engine floor: the same load into another file, then every seed and model of that build's
   manifest run from its compiled code in one DuckDB connection, without dbt and without tests
   (scripts/benchmarks/engine_floor.py): the same marts, so build / engine floor is what dbt's
   orchestration and the tests cost;
3. core build: the same load, then `dbt build --selector bench_core` (selectors.yml): the core marts
   and the CLV work with their upstream and data tests;
4. floor: the core by hand-written DuckDB SQL straight from the raw files (scripts/benchmarks/floor.py);
5. pandas: the core in vectorised pandas (scripts/benchmarks/pandas_marts.py);
6. incremental: the increment's files appended to the build's file, then load + `dbt build` again.

Core build / floor and pandas / core build compare the same marts and the same CLV code
(retention_warehouse.stats.clv: BG/NBD + Gamma-Gamma, scoring and backtest, every scoring customer's
predicted CLV). Peak memory per step is the child's maximum resident set size, from the rusage that
os.wait4 returns for it. Results go to a table and reports/bench.json, with the marts each variant
computed (`marts`).
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

from benchmarks.floor import CORE_MARTS, CORE_SELECTOR
from retention_warehouse.config import DB_PATH_ENV, PROJECT_ROOT
from retention_warehouse.demo.generator import customers_for_orders
from retention_warehouse.demo.increment import split_increment

BIN = Path(sys.executable).parent
DEFAULT_ORDERS = 10_000_000
DEFAULT_REPORT = PROJECT_ROOT / "reports" / "bench.json"
DEFAULT_WORK_DIR = PROJECT_ROOT / "data" / "bench"
STEPS = ("build", "engine_floor", "core_build", "floor", "pandas", "incremental")
ENGINE_FLOOR_LIMIT_SMALL, ENGINE_FLOOR_LIMIT = 2.0, 1.25
"""Full build / engine floor: at most 2 below a million orders (dbt's fixed cost dominates), 1.25 from there."""


def engine_floor_limit(orders: int) -> float:
    return ENGINE_FLOOR_LIMIT if orders >= 1_000_000 else ENGINE_FLOOR_LIMIT_SMALL


TARGETS = {
    "build_over_engine_floor": (
        lambda r: f"full build ≤ {engine_floor_limit(r.orders):g} × engine floor "
                  f"(all {len(r.marts['build'])} marts)",
        lambda r: r.ratios["build_over_engine_floor"] <= engine_floor_limit(r.orders)),
    "core_build_over_floor": (
        lambda r: f"core build ≤ 1.5 × hand-written floor (core: {len(r.marts['core_build'])} marts)",
        lambda r: r.ratios["core_build_over_floor"] <= 1.5),
    "core_build_faster_than_pandas": (
        lambda r: "core build faster than pandas (core)",
        lambda r: r.ratios["pandas_over_core_build"] > 1.0),
    "incremental_over_build": (
        lambda r: "one-day incremental ≤ 10% of full build (all marts)",
        lambda r: r.ratios["incremental_over_build"] <= 0.10),
    # The memory target is the warehouse's (build and incremental run); the others are yardsticks.
    "peak_memory": (
        lambda r: "warehouse peak memory < 4 GB (build, incremental)",
        lambda r: max(r.peak_rss_mb["build"], r.peak_rss_mb["incremental"]) < 4096),
}
"""Per target: its label with the scope of its ratio, and whether a result meets it."""
CLV_NOTE = ("CLV: the core build, the floor and pandas fit BG/NBD and Gamma-Gamma (scoring and backtest) and score "
            "every scoring customer with the same retention_warehouse.stats.clv code; they differ in how they "
            "compute the marts and the fit inputs.")


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
    engine_floor_s: float
    core_build_s: float
    floor_s: float
    pandas_s: float
    incremental_s: float
    peak_rss_mb: dict[str, float]
    ratios: dict[str, float]
    targets_met: dict[str, bool]
    marts: dict[str, list[str]] = field(default_factory=dict)
    """Per variant (build, engine_floor, core_build, floor, pandas), the published marts it computed."""
    detail: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return asdict(self)


def ratios(build: float, engine_floor: float, core_build: float, floor: float, pandas: float,
           incremental: float) -> dict[str, float]:
    """Each ratio compares the same work: the full build with the engine floor and with its own
    incremental run (all marts), the core build with the hand floor and pandas (the core)."""
    return {
        "build_over_engine_floor": round(build / engine_floor, 3),
        "core_build_over_floor": round(core_build / floor, 3),
        "pandas_over_core_build": round(pandas / core_build, 3),
        "incremental_over_build": round(incremental / build, 3),
    }


def marts_built(target_dir: Path) -> list[str]:
    """The published marts (models in schema marts) a dbt run in `target_dir` built successfully."""
    manifest = json.loads((target_dir / "manifest.json").read_text())
    results = json.loads((target_dir / "run_results.json").read_text())["results"]
    return sorted(manifest["nodes"][r["unique_id"]]["name"] for r in results
                  if r["unique_id"].startswith("model.") and r["status"] == "success"
                  and manifest["nodes"][r["unique_id"]]["schema"] == "marts")


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
    """Generate `orders` orders' worth of data under `work_dir` and measure the six steps."""
    prepare_work_dir(work_dir)
    data_dir = work_dir / "raw"
    increment_dir = work_dir / "increment"
    log = work_dir / "bench.log"
    warehouse = str(BIN / "warehouse")
    python = sys.executable

    def env_for(db: Path) -> dict[str, str]:
        # The profile's defaults, as a publish runs (keep_open off: see docs/decisions.md).
        return {**os.environ, DB_PATH_ENV: str(db), "DBT_PROFILES_DIR": str(PROJECT_ROOT),
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "PYTHONPATH": str(PROJECT_ROOT)}

    def land(db: Path) -> Measured:
        db.parent.mkdir(parents=True, exist_ok=True)
        return run_child([warehouse, "load", "--no-check", "--data-dir", str(data_dir)], env_for(db), log)

    def dbt(target_dir: Path, *selection: str, command: str = "build") -> list[str]:
        # Unit tests check the SQL on fixed inputs, whatever the data: dbt recommends running them in
        # development and CI (make test does), not in production builds, so the bench leaves them out.
        # Data tests run. The full build and the incremental run share a target path (and its parse).
        excluded = ["--exclude-resource-type", "unit_test"] if command == "build" else []
        return [str(BIN / "dbt"), command, *selection, *excluded, "--project-dir", str(PROJECT_ROOT),
                "--target-path", str(target_dir), "--log-path", str(work_dir / "logs")]

    def parsed(target_dir: Path, db: Path) -> Measured:
        """`dbt parse` first, not timed in the build: every publish after the first parses partially
        (the build id travels in the environment, not in --vars), and so does the bench's build."""
        return run_child(dbt(target_dir, command="parse"), env_for(db), log)

    # Every variant's file is called warehouse.duckdb: compiled code names the catalog after the file.
    db = work_dir / "warehouse.duckdb"
    on_step("generate")
    generated = run_child([warehouse, "generate", "--orders", str(orders), "--seed", str(seed), "--out",
                           str(data_dir)], env_for(db), log)
    increment = split_increment(data_dir, increment_dir, days=1)
    rows = raw_rows(data_dir)

    on_step("build")
    parse = parsed(work_dir / "target", db)
    load = land(db)
    dbt_build = run_child(dbt(work_dir / "target"), env_for(db), log)
    slowest_build = slowest_nodes(work_dir / "target")
    build_marts = marts_built(work_dir / "target")
    engine_dir = work_dir / "engine_floor"
    (engine_dir / "target").mkdir(parents=True)
    shutil.copyfile(work_dir / "target" / "manifest.json", engine_dir / "target" / "manifest.json")

    on_step("engine_floor")
    engine_db = engine_dir / db.name
    engine_load = land(engine_db)
    engine_run = run_child([python, "-m", "benchmarks.engine_floor", str(engine_db), str(engine_dir / "target")],
                           env_for(engine_db), log)
    engine_db.unlink()

    on_step("core_build")
    core_db = work_dir / "core" / db.name
    parsed(work_dir / "core" / "target", core_db)
    core_load = land(core_db)
    core_dbt = run_child(dbt(work_dir / "core" / "target", "--selector", CORE_SELECTOR), env_for(core_db), log)
    core_marts = marts_built(work_dir / "core" / "target")
    core_db.unlink()

    on_step("floor")
    floor = run_child([python, "-m", "benchmarks.bench", "floor", str(data_dir)], env_for(db), log)
    on_step("pandas")
    pandas = run_child([python, "-m", "benchmarks.bench", "pandas", str(data_dir)], env_for(db), log)
    on_step("incremental")
    shutil.copytree(increment_dir, data_dir, dirs_exist_ok=True)
    incremental_load = land(db)
    incremental_dbt = run_child(dbt(work_dir / "target"), env_for(db), log)

    children = {"build": (load, dbt_build), "engine_floor": (engine_load, engine_run),
                "core_build": (core_load, core_dbt), "floor": (floor,), "pandas": (pandas,),
                "incremental": (incremental_load, incremental_dbt)}
    # A step's time and CPU are its children's, one after the other; its peak is the largest child's.
    seconds = {step: sum(child.seconds for child in runs) for step, runs in children.items()}
    cpu = {step: sum(child.cpu_seconds for child in runs) for step, runs in children.items()}
    peaks = {step: max(child.peak_rss_mb for child in runs) for step, runs in children.items()}
    result = BenchResult(
        orders=orders,
        rows=rows,
        **{f"{step}_s": round(value, 2) for step, value in seconds.items()},
        peak_rss_mb={step: round(value, 1) for step, value in peaks.items()},
        ratios=ratios(*(seconds[step] for step in STEPS)),
        targets_met={},
        marts={"build": build_marts, "engine_floor": build_marts, "core_build": core_marts,
               "floor": sorted(CORE_MARTS), "pandas": sorted(CORE_MARTS)},
        detail={
            "cpu_s": {step: round(value, 2) for step, value in cpu.items()},
            "cpu_ratios": ratios(*(cpu[step] for step in STEPS)),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "generate_s": round(generated.seconds, 2),
            "full_parse_s": round(parse.seconds, 2),
            "load_s": round(load.seconds, 2),
            "dbt_build_s": round(dbt_build.seconds, 2),
            "engine_floor_load_s": round(engine_load.seconds, 2),
            "engine_floor_run_s": round(engine_run.seconds, 2),
            "core_load_s": round(core_load.seconds, 2),
            "core_dbt_build_s": round(core_dbt.seconds, 2),
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
    if set(core_marts) != set(CORE_MARTS):
        raise StepFailed(f"the core build built {core_marts}, the floor and pandas compute {sorted(CORE_MARTS)}: "
                         f"selectors.yml's {CORE_SELECTOR} and benchmarks.floor.CORE_MARTS must name the same marts")
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
    """The measured steps with their scope, the targets met or missed, the slowest dbt nodes and the CPU ratios."""
    table = Table(title=f"Benchmark at {result.orders:,} orders ({result.rows['orders']:,} order rows, "
                        f"{result.rows['customers']:,} customers, {result.rows['survey_responses']:,} survey responses)")
    for column in ("step", "seconds", "CPU seconds", "peak memory (MB)", "marts", "what"):
        table.add_column(column, justify="left" if column in ("step", "what") else "right")
    d = result.detail
    what = {
        "build": (f"warehouse load {d['load_s']:.1f} s + dbt build {d['dbt_build_s']:.1f} s (models, data tests; "
                  "partial parse)"),
        "engine_floor": (f"load {d['engine_floor_load_s']:.1f} s + the build's compiled code without dbt or tests "
                         f"{d['engine_floor_run_s']:.1f} s"),
        "core_build": (f"load {d['core_load_s']:.1f} s + dbt build --selector {CORE_SELECTOR} "
                       f"{d['core_dbt_build_s']:.1f} s"),
        "floor": "the core by hand-written DuckDB SQL from the raw files, one connection",
        "pandas": "the core in vectorised pandas from the raw files",
        "incremental": (f"one day appended: load {d['incremental_load_s']:.1f} s + "
                        f"dbt build {d['incremental_dbt_build_s']:.1f} s (all marts)"),
    }
    for name in STEPS:
        marts = result.marts["build" if name == "incremental" else name]
        table.add_row(name, f"{getattr(result, f'{name}_s'):.1f}", f"{d['cpu_s'][name]:.1f}",
                      f"{result.peak_rss_mb[name]:,.0f}", str(len(marts)), what[name])
    console.print(table)
    console.print(f"core ({CORE_SELECTOR}): {', '.join(result.marts['core_build'])}")
    targets = Table(title="Targets (each ratio compares the same marts on both sides)")
    for column in ("target", "measured", "met"):
        targets.add_column(column)
    r = result.ratios
    measured = {
        "build_over_engine_floor": f"build / engine floor = {r['build_over_engine_floor']:.2f}",
        "core_build_over_floor": f"core build / floor = {r['core_build_over_floor']:.2f}",
        "core_build_faster_than_pandas": f"pandas / core build = {r['pandas_over_core_build']:.2f}",
        "incremental_over_build": f"incremental / build = {r['incremental_over_build']:.3f}",
        "peak_memory": (f"build {result.peak_rss_mb['build']:,.0f} MB, "
                        f"incremental {result.peak_rss_mb['incremental']:,.0f} MB"),
    }
    for name, (label, _) in TARGETS.items():
        met = result.targets_met[name]
        targets.add_row(label(result), measured[name], "[green]yes[/green]" if met else "[red]no[/red]")
    console.print(targets)
    slow = Table(title="Slowest dbt nodes of the full build (run_results.json)")
    slow.add_column("node")
    slow.add_column("seconds", justify="right")
    for node in d["slowest_build_nodes"]:
        slow.add_row(node["node"], f"{node['seconds']:.2f}")
    console.print(slow)
    cpu = d["cpu_ratios"]
    console.print(f"In CPU seconds: build / engine floor = {cpu['build_over_engine_floor']:.2f}, core build / floor = "
                  f"{cpu['core_build_over_floor']:.2f}, pandas / core build = {cpu['pandas_over_core_build']:.2f}, "
                  f"incremental / build = {cpu['incremental_over_build']:.3f} "
                  f"(load average {d['load_average_1m']:.1f} on {d['machine']['cores']} cores)")
    console.print(CLV_NOTE)


def _worker(step: str, data_dir: Path) -> None:
    """A variant in this process (the bench runs it as a child to time it and read its peak memory)."""
    if step == "floor":
        import duckdb

        from benchmarks.floor import TIMED_MARTS, compute_floor

        with duckdb.connect() as con:
            compute_floor(con, data_dir, marts=TIMED_MARTS)
    elif step == "pandas":
        from benchmarks.floor import TIMED_MARTS
        from benchmarks.pandas_marts import compute_pandas

        compute_pandas(data_dir, marts=TIMED_MARTS)
    else:
        raise SystemExit(f"unknown step {step!r}: floor or pandas")


if __name__ == "__main__":
    _worker(sys.argv[1], Path(sys.argv[2]))
