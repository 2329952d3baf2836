"""The fixtures every tier shares, and the run's options. Only fixtures and hooks live here; how a
fixture warehouse is made is in tests/support/warehouses.py.

Each kind of fixture warehouse is built once per test session, whatever the number of pytest-xdist
workers (tests/support/shared.py): the first worker to need it builds it, every worker gets a file
copy. PostgreSQL gets its copies as template databases (engines/test_postgres_publish.py).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from retention_warehouse.ingest.loader import LoadReport
from retention_warehouse.warehouse.targets import spark_session, target_settings
from tests.support.postgres_cluster import ClusterError, throwaway_cluster
from tests.support.shared import build_once, copy_of, session_root
from tests.support.warehouses import (
    DB_NAME,
    BuiltWarehouse,
    EngineWarehouse,
    Warehouse,
    CatalogueWarehouse,
    build_catalogue,
    build_cdnow_sample,
    build_on_postgres_from_files,
    build_on_spark_from_files,
    dbt_build,
    env,
    load_small_data,
    remember_parse,
)

BUILD_SECONDS_FILE = "build-seconds-{engine}.json"
"""Seconds per build step of each engine, written by the worker that built it, printed at the end."""


def _record_seconds(tmp_path_factory: pytest.TempPathFactory, engine: str, seconds: dict[str, float]) -> None:
    (session_root(tmp_path_factory) / BUILD_SECONDS_FILE.format(engine=engine)).write_text(json.dumps(seconds))


@pytest.fixture(scope="session")
def loaded_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, LoadReport]:
    """The session's one load of the small data (shared, read-only): its folder (raw/, retention.duckdb) and report."""
    return build_once(tmp_path_factory, "loaded", lambda folder: load_small_data(folder / "raw", folder))


@pytest.fixture(scope="session")
def small_data(loaded_template: tuple[Path, LoadReport]) -> Path:
    """The small generated data set (400 customers, seed 7): one folder per entity (read-only)."""
    return loaded_template[0] / "raw"


@pytest.fixture(scope="session")
def catalogue_warehouse(tmp_path_factory: pytest.TempPathFactory) -> CatalogueWarehouse:
    """The bad-input catalogue landed and judged by the contract checks, once per session (read-only)."""
    _, catalogue = build_once(tmp_path_factory, "catalogue", build_catalogue)
    assert catalogue.build.ok, catalogue.build.failures
    return catalogue


@pytest.fixture(scope="session")
def built_warehouse(loaded_template: tuple[Path, LoadReport], small_data: Path,
                    tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    """The small data loaded and built with `dbt build` (models, seeds, data and unit tests): this worker's copy."""
    loaded, report = loaded_template

    def build(folder: Path):
        shutil.copyfile(loaded / DB_NAME, folder / DB_NAME)  # the same raw rows, load times included
        done = dbt_build(folder)
        _record_seconds(tmp_path_factory, "duckdb", {"dbt build": done.seconds})
        return done

    folder, done = build_once(tmp_path_factory, "built", build)
    work = copy_of(folder, tmp_path_factory.mktemp("warehouse"), ignore=shutil.ignore_patterns(".built", "logs"))
    remember_parse(work / "target")
    return BuiltWarehouse(work / DB_NAME, small_data, work / "target", done, report)


@pytest.fixture(scope="session")
def cdnow_sample(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The real 2,357-customer CDNOW sample, imported, loaded and built with the papers' vars: this worker's copy."""
    folder, done = build_once(tmp_path_factory, "cdnow", build_cdnow_sample)
    work = copy_of(folder, tmp_path_factory.mktemp("cdnow"), ignore=shutil.ignore_patterns(".built", "logs"))
    return Warehouse(work / DB_NAME, work / "raw", work / "target", done)


# --------------------------------------------------------------------------- other engines


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--spark", action="store_true", default=False,
                     help="also run the tests marked spark (make test-spark): Spark's start-up is slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Spark tests are skipped without --spark."""
    if config.getoption("--spark"):
        return
    skip = pytest.mark.skip(reason="Spark tests run with --spark (make test-spark)")
    for item in items:
        if "spark" in item.keywords:
            item.add_marker(skip)


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`make test` runs two pytest-xdist workers: a module's tests go to one worker, so its module-scoped
    fixtures are built once, and the modules of tests/engines/ all go to one worker, which starts the
    one PostgreSQL cluster and builds the warehouse on it once. Modules start in collection order
    (engines, integration, unit: the long ones first)."""
    from xdist.scheduler import LoadScopeScheduling

    class ByModule(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "tests/engines" if module.startswith("tests/engines/") else module

    return ByModule(config, log)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    files = sorted(session_root(config._tmp_path_factory).glob(BUILD_SECONDS_FILE.format(engine="*")))
    if len(files) < 2:
        return
    terminalreporter.section("build time per engine (same generated data)")
    for path in files:
        engine = path.stem.removeprefix("build-seconds-")
        steps = json.loads(path.read_text())
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in steps.items())
        terminalreporter.write_line(f"{engine}: {sum(steps.values()):.1f} s ({parts})")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator:
    """A throwaway PostgreSQL 15 cluster for the whole run, stopped at the end even when tests fail."""
    try:
        with throwaway_cluster() as server:
            yield server
    except ClusterError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def postgres_warehouse(small_data: Path, postgres_server,
                       tmp_path_factory: pytest.TempPathFactory) -> EngineWarehouse:
    """The small data's files COPY'd into PostgreSQL as an EL tool would (tests/support/el_copy.py) and
    built there as `warehouse build --target postgres`: no DuckDB file on the way."""
    built = build_on_postgres_from_files(small_data, tmp_path_factory.mktemp("postgres"),
                                         postgres_server.environment())
    _record_seconds(tmp_path_factory, "postgres", built.seconds)
    return built


@pytest.fixture(scope="session")
def spark_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The one Spark session of this process (local mode): tables and metastore in a temporary folder,
    every Spark fixture's schemas in it; the session is stopped at the end."""
    environment = {"WAREHOUSE_SPARK_DIR": str(tmp_path_factory.mktemp("spark"))}
    try:
        yield environment
    finally:
        with env(**environment):
            spark_session(target_settings("spark")).stop()


@pytest.fixture(scope="session")
def spark_warehouse(small_data: Path, spark_environment: dict[str, str],
                    tmp_path_factory: pytest.TempPathFactory) -> EngineWarehouse:
    """The small data's files read by Spark itself and built there as `warehouse build --target spark`:
    no DuckDB file on the way."""
    built = build_on_spark_from_files(small_data, tmp_path_factory.mktemp("spark-build"), spark_environment)
    _record_seconds(tmp_path_factory, "spark", built.seconds)
    return built
