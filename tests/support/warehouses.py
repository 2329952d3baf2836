"""How the fixture warehouses are made: small generated data loaded and built with dbt, the CDNOW sample,
and the same data built on PostgreSQL or Spark; and the handles tests read them through."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from dbt.cli.main import dbtRunnerResult

from retention_warehouse.config import DB_PATH_ENV, PROJECT_ROOT
from retention_warehouse.demo.generator import GeneratorConfig, generate
from retention_warehouse.ingest.loader import LoadReport, load_directory
from retention_warehouse.ingest.spark_landing import SparkLanding
from retention_warehouse.warehouse import dbt_runner
from retention_warehouse.warehouse.build import BuildResult, build
from retention_warehouse.warehouse.targets import DuckDBWarehouse, QueryResult, connect
from tests.support.contract_catalogue import Catalogue, write_catalogue
from tests.support.el_copy import copy_raw

SMALL_CUSTOMERS = 400
SMALL_SEED = 7
DB_NAME = "retention.duckdb"
"""Every fixture warehouse file has this name: dbt-duckdb names the catalog after the file, and views mention it."""
CDNOW_VARS = '{clv_calibration_end_date: "1997-09-30", clv_holdout_end_date: "1998-06-30", clv_time_unit_days: 7}'
"""The papers' CDNOW backtest, as `make cdnow` passes it."""


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes: what proves a warehouse file was left exactly as it was."""
    return hashlib.sha256(path.read_bytes()).hexdigest()

env = dbt_runner.environment
"""Set environment variables for the duration of a block."""

WITHOUT_UNIT_TESTS = {"DBT_EXCLUDE_RESOURCE_TYPES": "unit_test"}
"""For every fixture build but one per engine. dbt's unit tests check each model's SQL on fixed input
rows, whatever the warehouse holds: they run in full where each engine's fixture warehouse is built
(built_warehouse, postgres_warehouse, spark_warehouse) and again in nothing else, which builds
other data with the same models (CDNOW, publishes, incremental runs). Every data test still runs."""


def dbt_invoker(work_dir: Path, environment: dict[str, str],
                project_dir: Path = PROJECT_ROOT) -> Callable[[list[str]], dbtRunnerResult]:
    """Runs dbt in-process with `environment` set, writing target/ and logs/ under `work_dir`."""
    return dbt_runner.invoker(project_dir=project_dir, target_path=work_dir / "target", log_path=work_dir / "logs",
                              env=environment)


PARSED = "partial_parse.msgpack"
_last_parse: dict[Path, Path] = {}
"""Per dbt project, the last parse this process wrote (dbt's partial-parsing state)."""


def run_dbt(args: list[str], project_dir: Path, db_path: Path, work_dir: Path) -> dbtRunnerResult:
    """Run dbt in-process against `db_path`, writing target/ and logs/ under `work_dir`.

    dbt runs in the file's folder and names the file relatively: partial parsing hashes the connection
    settings (the database path among them), so every fixture warehouse called retention.duckdb shares
    one parse. A new target folder starts from the last parse of the project, which dbt reuses when
    nothing it hashes changed (files, vars, profile) and ignores otherwise.
    """
    target = work_dir / "target"
    if project_dir in _last_parse and not (target / PARSED).exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_last_parse[project_dir], target / PARSED)
    with contextlib.chdir(db_path.parent):
        result = dbt_invoker(work_dir, {DB_PATH_ENV: db_path.name}, project_dir)(args)
    remember_parse(target, project_dir)
    return result


def remember_parse(target: Path, project_dir: Path = PROJECT_ROOT) -> None:
    """Offer the parse in dbt target folder `target` to this process's next new target folder of the project."""
    if (target / PARSED).exists():
        _last_parse[project_dir] = target / PARSED


def failed_nodes(result: dbtRunnerResult) -> list[tuple[str, str, str]]:
    """(node, status, message) of every node that did not pass, or the run's own error."""
    return [(f.unique_id, f.status, f.message) for f in dbt_runner.failures_of(result)]


@dataclass(frozen=True)
class Build:
    """What a fixture build returned: shared between test processes, so plain values only."""

    ok: bool
    failures: list[tuple[str, str, str]]
    seconds: float


@dataclass
class Warehouse:
    """A DuckDB warehouse file built by dbt, with dbt's target/ folder of that build."""

    db_path: Path
    data_dir: Path
    target_dir: Path
    build: Build

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def manifest(self) -> dict:
        return json.loads((self.target_dir / "manifest.json").read_text())

    def run_results(self) -> list[dict[str, Any]]:
        """Every node of the build: unique_id, status, message, execution_time (dbt's run_results.json)."""
        return json.loads((self.target_dir / "run_results.json").read_text())["results"]


@dataclass
class BuiltWarehouse(Warehouse):
    load_report: LoadReport


def load_small_data(data_dir: Path, folder: Path) -> LoadReport:
    """The small generated data set written to `data_dir` and loaded into folder/retention.duckdb (raw only)."""
    generate(GeneratorConfig(customers=SMALL_CUSTOMERS, seed=SMALL_SEED), data_dir)
    with duckdb.connect(str(folder / DB_NAME)) as con:
        return load_directory(con, data_dir)


def dbt_build(folder: Path, args: tuple[str, ...] = (), unit_tests: bool = True) -> Build:
    """`dbt build` on folder/retention.duckdb, target/ and logs/ beside it (without unit tests: WITHOUT_UNIT_TESTS)."""
    started = time.perf_counter()
    with env(**({} if unit_tests else WITHOUT_UNIT_TESTS)):
        result = run_dbt(["build", *args], PROJECT_ROOT, folder / DB_NAME, folder)
    return Build(bool(result.success), failed_nodes(result), time.perf_counter() - started)


def build_cdnow_sample(folder: Path) -> Build:
    """The real 2,357-customer CDNOW sample, imported into folder/raw, loaded and built with the papers' vars."""
    from retention_warehouse.demo.cdnow import import_cdnow

    import_cdnow(folder / "raw", sample=True)
    with duckdb.connect(str(folder / DB_NAME)) as con:
        load_directory(con, folder / "raw")
    return dbt_build(folder, ("--vars", CDNOW_VARS), unit_tests=False)


CHECKS_AND_STAGING = ["build", "--select", "+fct_rejected_rows", "+path:models/staging", "--exclude-resource-type",
                      "unit_test", "--indirect-selection", "cautious"]
"""The contract checks, the quarantine and the staging views, with their data tests: what the catalogue needs."""


@dataclass
class CatalogueWarehouse(Warehouse):
    """The bad-input catalogue landed and judged by the contract checks (tests/support/contract_catalogue.py)."""

    catalogue: Catalogue

    def outcomes(self) -> list[tuple[str, str, int]]:
        """(entity, row_outcome, rows) of every checked base model: where each raw row went."""
        nodes = self.manifest()["nodes"].values()
        checked = {node["name"]: self.manifest()["sources"][node["depends_on"]["nodes"][0]]["name"]
                   for node in nodes if node["resource_type"] == "model" and node["name"].startswith("base_")
                   and node["depends_on"]["nodes"] and node["depends_on"]["nodes"][0].startswith("source.")}
        schema = {name: schema for schema, name in self.query(
            "select table_schema, table_name from information_schema.tables where table_name like 'base\\_%' escape '\\'")}
        return [row for model, entity in checked.items() for row in self.query(
            f"select '{entity}', row_outcome, count(*) from {schema[model]}.{model} group by row_outcome")]


def build_catalogue(folder: Path) -> CatalogueWarehouse:
    """The catalogue written to folder/raw, landed in folder/retention.duckdb and judged there by dbt."""
    catalogue = write_catalogue(folder / "raw")
    with duckdb.connect(str(folder / DB_NAME)) as con:
        load_directory(con, catalogue.data_dir)
    started = time.perf_counter()
    result = run_dbt(CHECKS_AND_STAGING, PROJECT_ROOT, folder / DB_NAME, folder)
    build = Build(bool(result.success), failed_nodes(result), time.perf_counter() - started)
    return CatalogueWarehouse(folder / DB_NAME, catalogue.data_dir, folder / "target", build, catalogue)


# --------------------------------------------------------------------------- other engines


@dataclass
class EngineWarehouse:
    """The small data set built on another engine from the loaded raw tables, as `warehouse build` does."""

    target: str
    environment: dict[str, str]
    result: BuildResult
    work: Path
    """dbt's target/ and logs/ of the build (a later dbt run there parses partially)."""
    seconds: dict[str, float]
    """Seconds per step: export-raw (or copy), then the build's steps."""

    def query(self, sql: str) -> QueryResult:
        with env(**self.environment), connect(self.target) as warehouse:
            return warehouse.query(sql)


def build_on_postgres_from_files(data_dir: Path, work: Path, environment: dict[str, str]) -> EngineWarehouse:
    """The files of `data_dir` copied into PostgreSQL's raw tables with plain COPY (tests/support/el_copy.py),
    then built there as `warehouse build --target postgres` does: no DuckDB warehouse in the path."""
    seconds: dict[str, float] = {}
    with env(**environment):
        started = time.perf_counter()
        copy_raw(environment, data_dir)
        seconds["copy"] = time.perf_counter() - started
        result = build("postgres", dbt_invoker(work, environment), connect)
    seconds.update({step.name: step.seconds for step in result.steps})
    return EngineWarehouse("postgres", environment, result, work, seconds)


def build_on_spark_from_files(data_dir: Path, work: Path, environment: dict[str, str]) -> EngineWarehouse:
    """The files of `data_dir` read by Spark itself into its raw tables (`warehouse load --target spark`'s
    ingestion), then built there as `warehouse build --target spark` does: no DuckDB warehouse in the path."""
    seconds: dict[str, float] = {}
    with env(**environment):
        started = time.perf_counter()
        with connect("spark") as warehouse:
            report = load_directory(SparkLanding(warehouse.session), data_dir)
        assert not report.failed, report.failed
        seconds["load (Spark reads the files)"] = time.perf_counter() - started
        result = build("spark", dbt_invoker(work, environment), connect)
    seconds.update({step.name: step.seconds for step in result.steps})
    return EngineWarehouse("spark", environment, result, work, seconds)


def duckdb_marts(built: Warehouse) -> Callable[[str], QueryResult]:
    """A query function on a DuckDB fixture warehouse, with the result type of the other engines."""
    def query(sql: str) -> QueryResult:
        with duckdb.connect(str(built.db_path), read_only=True) as con:
            return DuckDBWarehouse(con).query(sql)
    return query
