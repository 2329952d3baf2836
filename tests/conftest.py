"""Shared fixtures: small generated data, and a warehouse built from it with dbt."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunnerResult

from scripts import dbt_runner
from scripts.config import PROJECT_ROOT
from scripts.generate import GeneratorConfig, generate
from scripts.load import LoadReport, load_directory

SMALL_CUSTOMERS = 400
CDNOW_VARS = '{clv_calibration_end_date: "1997-09-30", clv_holdout_end_date: "1998-06-30", clv_time_unit_days: 7}'
"""The papers' CDNOW backtest, as `make cdnow` passes it."""


def run_dbt(args: list[str], project_dir: Path, db_path: Path, work_dir: Path) -> dbtRunnerResult:
    """Run dbt in-process against `db_path`, writing target/ and logs/ under `work_dir`."""
    return dbt_runner.run_dbt(args, project_dir=project_dir, db_path=db_path,
                              target_path=work_dir / "target", log_path=work_dir / "logs")


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
    result = run_dbt(["build"], PROJECT_ROOT, db_path, work)
    return BuiltWarehouse(db_path, small_data, result, work / "target", report)


@pytest.fixture(scope="session")
def cdnow_sample(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The real 2,357-customer CDNOW sample, imported, loaded and built with `dbt build`."""
    from scripts.cdnow import import_cdnow

    work = tmp_path_factory.mktemp("cdnow")
    data_dir = work / "raw"
    import_cdnow(data_dir, sample=True)
    db_path = work / "cdnow.duckdb"
    with duckdb.connect(str(db_path)) as con:
        load_directory(con, data_dir)
    result = run_dbt(["build", "--vars", CDNOW_VARS], PROJECT_ROOT, db_path, work)
    return Warehouse(db_path, data_dir, result)
