"""The benchmark's measuring and reporting (the benchmark itself runs with make bench, not here)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from benchmarks.bench import (
    MARKER,
    TARGETS,
    BenchResult,
    StepFailed,
    prepare_work_dir,
    ratios,
    run_child,
    write_report,
)

STEP_KEYS = {"build", "engine_floor", "core_build", "floor", "pandas", "incremental"}
ALL_MARTS = [f"mart_{i}" for i in range(18)]
CORE = ["fct_clv_holdout", "fct_clv_model_fit", "fct_cohort_retention", "fct_repeat_purchase", "fct_retention_periods"]


def result(orders: int, build: float = 100.0, engine_floor: float = 70.0) -> BenchResult:
    r = BenchResult(
        orders=orders, rows={"orders": orders}, build_s=build, engine_floor_s=engine_floor, core_build_s=45.0,
        floor_s=36.0, pandas_s=50.0, incremental_s=8.0,
        peak_rss_mb={"build": 900.0, "engine_floor": 800.0, "core_build": 700.0, "floor": 700.0, "pandas": 5000.0,
                     "incremental": 4500.0},
        ratios=ratios(build, engine_floor, 45.0, 36.0, 50.0, 8.0), targets_met={},
        marts={"build": ALL_MARTS, "engine_floor": ALL_MARTS, "core_build": CORE, "floor": CORE, "pandas": CORE},
    )
    r.targets_met = {name: check(r) for name, (_, check) in TARGETS.items()}
    return r


def test_ratios_and_targets() -> None:
    r = result(1_000, build=100.0)
    assert r.ratios == {"build_over_engine_floor": 1.429, "core_build_over_floor": 1.25,
                        "pandas_over_core_build": 1.111, "incremental_over_build": 0.08}
    assert r.targets_met == {"build_over_engine_floor": True, "core_build_over_floor": True,
                             "core_build_faster_than_pandas": True, "incremental_over_build": True,
                             "peak_memory": False}
    r.peak_rss_mb["incremental"] = 500.0
    assert TARGETS["peak_memory"][1](r), "the floors' and pandas' memory are not the warehouse's"


def test_the_engine_floor_target_tightens_from_a_million_orders() -> None:
    """dbt's fixed cost weighs at 100k orders (2x allowed); from 1M the build must be within 1.25x."""
    assert result(100_000).targets_met["build_over_engine_floor"]
    assert not result(1_000_000).targets_met["build_over_engine_floor"]
    assert result(10_000_000, build=87.0).targets_met["build_over_engine_floor"]
    labels = {name: label(result(10_000_000)) for name, (label, _) in TARGETS.items()}
    assert labels["build_over_engine_floor"] == "full build ≤ 1.25 × engine floor (all 18 marts)"
    assert labels["core_build_over_floor"] == "core build ≤ 1.5 × hand-written floor (core: 5 marts)"


def test_report_keeps_one_run_per_scale_sorted_by_orders(tmp_path: Path) -> None:
    report = tmp_path / "reports" / "bench.json"
    write_report(result(1_000_000), report)
    write_report(result(100_000), report)
    runs = write_report(result(1_000_000, build=90.0), report)
    assert [r["orders"] for r in runs] == [100_000, 1_000_000]
    assert json.loads(report.read_text()) == runs
    latest = runs[1]
    assert latest["build_s"] == 90.0
    for key in ("orders", "build_s", "engine_floor_s", "core_build_s", "floor_s", "pandas_s", "incremental_s"):
        assert key in latest
    assert set(latest["peak_rss_mb"]) == STEP_KEYS
    assert set(latest["marts"]) == {"build", "engine_floor", "core_build", "floor", "pandas"}
    assert set(latest["ratios"]) == {"build_over_engine_floor", "core_build_over_floor", "pandas_over_core_build",
                                     "incremental_over_build"}


def test_a_child_reports_its_own_peak_memory_and_time(tmp_path: Path) -> None:
    allocate = "import time; block = bytearray(300 * 1024 * 1024); time.sleep(0.2)"
    big = run_child([sys.executable, "-c", allocate], dict(os.environ), tmp_path / "log")
    small = run_child([sys.executable, "-c", "pass"], dict(os.environ), tmp_path / "log")
    assert big.peak_rss_mb > 300 > small.peak_rss_mb
    assert big.seconds >= 0.2 and big.cpu_seconds > 0
    assert "$ " in (tmp_path / "log").read_text()


def test_a_failing_child_names_its_log(tmp_path: Path) -> None:
    with pytest.raises(StepFailed, match="exited 3"):
        run_child([sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ), tmp_path / "log")


def test_the_work_folder_is_emptied_only_when_the_bench_made_it(tmp_path: Path) -> None:
    mine = tmp_path / "bench"
    prepare_work_dir(mine)
    (mine / "old.duckdb").write_text("x")
    prepare_work_dir(mine)
    assert sorted(p.name for p in mine.iterdir()) == [MARKER]
    other = tmp_path / "precious"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    with pytest.raises(StepFailed, match="not made by warehouse bench"):
        prepare_work_dir(other)
    assert (other / "keep.txt").is_file()


def test_the_bench_command_prints_the_steps_and_the_targets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`warehouse bench` end to end after the measuring (faked here): the tables it prints and the report."""
    from typer.testing import CliRunner

    from benchmarks import bench
    from retention_warehouse import cli

    measured = result(1_000_000)
    measured.rows = {"orders": 1_000_000, "customers": 125_000, "survey_responses": 160_000}
    measured.detail = {
        "load_s": 30.0, "dbt_build_s": 70.0, "engine_floor_load_s": 30.0, "engine_floor_run_s": 40.0,
        "core_load_s": 30.0, "core_dbt_build_s": 15.0, "incremental_load_s": 1.0, "incremental_dbt_build_s": 7.0,
        "cpu_s": {"build": 120.0, "engine_floor": 90.0, "core_build": 60.0, "floor": 50.0, "pandas": 140.0,
                  "incremental": 9.0},
        "cpu_ratios": ratios(120.0, 90.0, 60.0, 50.0, 140.0, 9.0), "load_average_1m": 1.5, "machine": {"cores": 2},
        "slowest_build_nodes": [{"node": "int_customer_churn_signals_computed", "seconds": 12.5}],
    }
    monkeypatch.setattr(bench, "run_bench", lambda orders, folder, on_step, seed: measured)
    monkeypatch.setattr(cli.common.console, "width", 300)  # wide enough that no table cell wraps
    report = tmp_path / "bench.json"
    outcome = CliRunner().invoke(cli.app, ["bench", "--orders", "1000000", "--work-dir", str(tmp_path / "work"),
                                           "--report", str(report)], env={"COLUMNS": "250"})
    assert outcome.exit_code == 0, outcome.output
    for text in ("build / engine floor = 1.43", "core build / floor = 1.25", "pandas / core build = 1.11",
                 "incremental / build = 0.080", "build 900 MB, incremental 4,500 MB",
                 "full build ≤ 1.25 × engine floor (all 18 marts)", "int_customer_churn_signals_computed", "12.50",
                 "core (bench_core): fct_clv_holdout, fct_clv_model_fit"):
        assert text in outcome.output, text
    assert json.loads(report.read_text())[0]["orders"] == 1_000_000
