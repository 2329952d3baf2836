"""Shared fixtures: small generated data, a warehouse built from it with dbt, and the same on other engines."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunnerResult

from retention_warehouse.warehouse import dbt_runner
from retention_warehouse.config import DB_PATH_ENV, PROJECT_ROOT
from retention_warehouse.warehouse.build import BuildResult, build
from retention_warehouse.warehouse.raw_export import export_raw
from retention_warehouse.demo.generator import GeneratorConfig, generate
from retention_warehouse.ingest.loader import LoadReport, load_directory
from retention_warehouse.warehouse.targets import DuckDBWarehouse, QueryResult, connect, spark_session, target_settings
from tests.postgres_cluster import ClusterError, throwaway_cluster

SMALL_CUSTOMERS = 400
BUILD_SECONDS: dict[str, dict[str, float]] = {}
"""Seconds per build step and engine, printed at the end of the run (tests/test_engines.py)."""
CDNOW_VARS = '{clv_calibration_end_date: "1997-09-30", clv_holdout_end_date: "1998-06-30", clv_time_unit_days: 7}'
"""The papers' CDNOW backtest, as `make cdnow` passes it."""


env = dbt_runner.environment
"""Set environment variables for the duration of a block."""


def dbt_invoker(work_dir: Path, environment: dict[str, str],
                project_dir: Path = PROJECT_ROOT) -> Callable[[list[str]], dbtRunnerResult]:
    """Runs dbt in-process with `environment` set, writing target/ and logs/ under `work_dir`."""
    return dbt_runner.invoker(project_dir=project_dir, target_path=work_dir / "target", log_path=work_dir / "logs",
                              env=environment)


def run_dbt(args: list[str], project_dir: Path, db_path: Path, work_dir: Path) -> dbtRunnerResult:
    """Run dbt in-process against `db_path`, writing target/ and logs/ under `work_dir`."""
    return dbt_runner.invoke(args, project_dir=project_dir, target_path=work_dir / "target",
                             log_path=work_dir / "logs", env={DB_PATH_ENV: str(db_path)})


@dataclass
class Warehouse:
    db_path: Path
    data_dir: Path
    build_result: dbtRunnerResult

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


@dataclass
class BuiltWarehouse(Warehouse):
    target_dir: Path
    load_report: LoadReport

    def manifest(self) -> dict:
        return json.loads((self.target_dir / "manifest.json").read_text())


@pytest.fixture(scope="session")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("data") / "raw"
    generate(GeneratorConfig(customers=SMALL_CUSTOMERS, seed=7), out)
    return out


@pytest.fixture(scope="session")
def built_warehouse(small_data: Path, tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    """Small generated data loaded and built with `dbt build` (models, seeds, data and unit tests)."""
    work = tmp_path_factory.mktemp("warehouse")
    db_path = work / "retention.duckdb"
    with duckdb.connect(str(db_path)) as con:
        report = load_directory(con, small_data)
    started = time.perf_counter()
    result = run_dbt(["build"], PROJECT_ROOT, db_path, work)
    BUILD_SECONDS["duckdb"] = {"dbt build": time.perf_counter() - started}
    return BuiltWarehouse(db_path, small_data, result, work / "target", report)


@pytest.fixture(scope="session")
def cdnow_sample(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The real 2,357-customer CDNOW sample, imported, loaded and built with `dbt build`."""
    from retention_warehouse.demo.cdnow import import_cdnow

    work = tmp_path_factory.mktemp("cdnow")
    data_dir = work / "raw"
    import_cdnow(data_dir, sample=True)
    db_path = work / "cdnow.duckdb"
    with duckdb.connect(str(db_path)) as con:
        load_directory(con, data_dir)
    result = run_dbt(["build", "--vars", CDNOW_VARS], PROJECT_ROOT, db_path, work)
    return Warehouse(db_path, data_dir, result)


# --------------------------------------------------------------------------- other engines


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--spark", action="store_true", default=False,
                     help="also run the tests marked spark (make test-spark): Spark's start-up is slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--spark"):
        return
    skip = pytest.mark.skip(reason="Spark tests run with --spark (make test-spark)")
    for item in items:
        if "spark" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if len(BUILD_SECONDS) < 2:
        return
    terminalreporter.section("build time per engine (same generated data)")
    for engine, steps in BUILD_SECONDS.items():
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in steps.items())
        terminalreporter.write_line(f"{engine}: {sum(steps.values()):.1f} s ({parts})")


@dataclass
class EngineWarehouse:
    """The small data set built on another engine: exported from built_warehouse's DuckDB file, then built."""

    target: str
    environment: dict[str, str]
    result: BuildResult
    work: Path
    """dbt's target/ and logs/ of the build (a later dbt run there parses partially)."""

    def query(self, sql: str) -> QueryResult:
        with env(**self.environment), connect(self.target) as warehouse:
            return warehouse.query(sql)


def build_on_engine(target: str, built: BuiltWarehouse, work: Path, environment: dict[str, str]) -> EngineWarehouse:
    """Copy built_warehouse's raw tables to `target` and build it there as `warehouse build` does."""
    seconds: dict[str, float] = {}
    with env(**environment):
        started = time.perf_counter()
        with duckdb.connect(str(built.db_path), read_only=True) as con, connect(target) as warehouse:
            export_raw(con, warehouse)
        seconds["export-raw"] = time.perf_counter() - started
        result = build(target, dbt_invoker(work, environment), connect)
    seconds.update({step.name: step.seconds for step in result.steps})
    BUILD_SECONDS[target] = seconds
    return EngineWarehouse(target, environment, result, work)


def duckdb_marts(built: BuiltWarehouse) -> Callable[[str], QueryResult]:
    """A query function on built_warehouse's DuckDB file, with the result type of the other engines."""
    def query(sql: str) -> QueryResult:
        with duckdb.connect(str(built.db_path), read_only=True) as con:
            return DuckDBWarehouse(con).query(sql)
    return query


@pytest.fixture(scope="session")
def postgres_server() -> Iterator:
    """A throwaway PostgreSQL 15 cluster for the whole run, stopped at the end even when tests fail."""
    try:
        with throwaway_cluster() as server:
            yield server
    except ClusterError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def postgres_warehouse(built_warehouse: BuiltWarehouse, postgres_server,
                       tmp_path_factory: pytest.TempPathFactory) -> EngineWarehouse:
    return build_on_engine("postgres", built_warehouse, tmp_path_factory.mktemp("postgres"),
                           postgres_server.environment())


@pytest.fixture(scope="session")
def spark_warehouse(built_warehouse: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Spark in local mode in this process: tables and metastore in a temporary folder, session stopped after."""
    environment = {"WAREHOUSE_SPARK_DIR": str(tmp_path_factory.mktemp("spark"))}
    try:
        yield build_on_engine("spark", built_warehouse, tmp_path_factory.mktemp("spark-build"), environment)
    finally:
        with env(**environment):
            spark_session(target_settings("spark")).stop()
