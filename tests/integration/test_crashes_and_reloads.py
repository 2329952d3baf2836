"""Crashes and reloads: a killed load leaves no partial file and a rerun completes; a killed publish leaves
the published warehouse as it was; reloading and rebuilding the same files leaves every mart identical."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from retention_warehouse.config import DB_PATH_ENV, PROJECT_ROOT
from retention_warehouse.demo.generator import GeneratorConfig, generate
from tests.support.raw_files import load, query
from tests.support.warehouses import WITHOUT_UNIT_TESTS, file_sha256, run_dbt

# --------------------------------------------------------------------------- a killed load

ENTITY_TABLES = ("customers", "orders", "survey_responses")


def _files_are_whole(db: Path) -> None:
    """Every file in raw holds exactly the rows its audit row says: nothing partial (and nothing at
    all when the load was killed before it had created its tables)."""
    if not query(db, "select 1 from information_schema.tables"
                      " where table_schema = 'raw' and table_name = 'load_audit'"):
        return
    for path, entity, read in query(db, "select file_path, entity, rows_read from raw.load_audit"):
        assert query(db, f"select count(*) from raw.{entity} where _source_file = ?", [path]) == [(read,)]
    for entity in ENTITY_TABLES:
        orphans = query(db, f"select count(*) from raw.{entity} where _source_file not in "
                             "(select file_path from raw.load_audit)")
        assert orphans == [(0,)], entity


@dataclass(frozen=True)
class LoadRun:
    data: Path
    seconds: float
    """How long a whole `warehouse load` of `data` takes here, start-up included."""
    counts: dict[str, int]


def _run_load(data: Path, db: Path) -> subprocess.Popen:
    # --no-check: what is killed is the landing of files (the checks are dbt's, as in any build).
    return subprocess.Popen([sys.executable, "-m", "retention_warehouse.cli", "load", "--data-dir", str(data),
                             "--no-check"],
                            env={**os.environ, DB_PATH_ENV: str(db)}, cwd=PROJECT_ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def timed_load(tmp_path_factory: pytest.TempPathFactory) -> LoadRun:
    """CSV files big enough that a load takes seconds, timed through the CLI, with the counts it gives."""
    work = tmp_path_factory.mktemp("kill")
    data = work / "raw"
    generate(GeneratorConfig(customers=20_000, seed=11, file_format="csv"), data)
    clean = work / "clean.duckdb"
    started = time.monotonic()
    assert _run_load(data, clean).wait() == 0
    seconds = time.monotonic() - started
    counts = {entity: query(clean, f"select count(*) from raw.{entity}")[0][0] for entity in ENTITY_TABLES}
    return LoadRun(data, seconds, counts)


KILL_ATTEMPTS = 4


def _kill_a_load(data: Path, db: Path, after_seconds: float) -> None:
    """Start a load into a new `db` and SIGKILL it after `after_seconds`. The machine is shared, so a
    load may run faster than the timed one and finish first: then again, killed twice as early."""
    for _ in range(KILL_ATTEMPTS):
        for path in (db, db.with_name(db.name + ".wal")):
            path.unlink(missing_ok=True)
        process = _run_load(data, db)
        time.sleep(after_seconds)
        process.send_signal(signal.SIGKILL)
        if process.wait() == -signal.SIGKILL:
            return
        after_seconds /= 2
    pytest.fail(f"the load finished before it could be killed, {KILL_ATTEMPTS} times")


@pytest.mark.parametrize("fraction", [0.4, 0.8])
def test_a_killed_load_leaves_no_partial_file_and_a_rerun_completes(timed_load: LoadRun, tmp_path: Path,
                                                                   fraction: float) -> None:
    db = tmp_path / "w.duckdb"
    _kill_a_load(timed_load.data, db, fraction * timed_load.seconds)
    if db.exists():
        _files_are_whole(db)
    report = load(timed_load.data, db)
    assert not report.failed
    _files_are_whole(db)
    counts = {entity: query(db, f"select count(*) from raw.{entity}")[0][0] for entity in ENTITY_TABLES}
    assert counts == timed_load.counts


# --------------------------------------------------------------------------- a killed build


def _publish(published: Path, target: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "retention_warehouse.cli", "publish", "--target-path", str(target), "--no-freshness"],
        env={**os.environ, **WITHOUT_UNIT_TESTS, DB_PATH_ENV: str(published)}, cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_killed_build_leaves_the_published_warehouse_as_it_was(built_warehouse, tmp_path: Path) -> None:
    """SIGKILL a publish (build + tests in the work copy) early and late: the published file is untouched;
    the next publish succeeds and swaps a new build in."""
    published = tmp_path / "warehouse" / "retention.duckdb"
    published.parent.mkdir()
    shutil.copyfile(built_warehouse.db_path, published)
    before = file_sha256(published)
    for seconds in (2.0, 8.0):
        process = _publish(published, tmp_path / "target")
        time.sleep(seconds)
        process.send_signal(signal.SIGKILL)
        assert process.wait() == -signal.SIGKILL, f"the publish finished within {seconds} s: kill it earlier"
        assert file_sha256(published) == before
    assert _publish(published, tmp_path / "target").wait() == 0
    assert file_sha256(published) != before
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from marts.dim_customers").fetchone()[0] > 0


# --------------------------------------------------------------------------- reloads change nothing


def _mart_digests(db: Path) -> dict[str, str]:
    """A digest of every mart's sorted rows; dim_warehouse_build (which build this is) is meant to change."""
    digests = {}
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
            " and table_name <> 'dim_warehouse_build' order by 1").fetchall()]
        for table in tables:
            rows = con.execute(f"select * from marts.{table} order by all").fetchall()
            digests[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def test_reloading_and_rebuilding_the_same_files_leaves_every_mart_identical(built_warehouse, tmp_path: Path) -> None:
    before = _mart_digests(built_warehouse.db_path)
    assert before, "no marts were built"
    report = load(built_warehouse.data_dir, built_warehouse.db_path)
    assert {f.status for f in report.files} == {"unchanged"}
    # Models only: what is compared is every mart's rows; the data and unit tests ran on the same marts
    # in the build before, so running them again would check nothing new.
    result = run_dbt(["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"],
                     PROJECT_ROOT, built_warehouse.db_path, tmp_path)
    assert result.success, result.exception
    assert _mart_digests(built_warehouse.db_path) == before

