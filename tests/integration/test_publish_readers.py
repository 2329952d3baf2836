"""Publishing under readers: BI processes keep querying the published file while two real builds
publish over it. No reader ever fails, none ever sees marts of two builds at once, a connection
opened before a publish keeps its snapshot, and new connections see each new build."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from retention_warehouse.config import PROJECT_ROOT
from retention_warehouse.publish.duckdb_file import publish_duckdb_file
from tests.support.processes import WAIT_SECONDS, lines, wait_until
from tests.support.warehouse_readers import read_duckdb
from tests.support.warehouses import WITHOUT_UNIT_TESTS, env

MODES = ("loop", "snapshot", "bi")
AS_OF_DATES = ("2025-06-30", "2025-09-30")


@dataclass
class Observed:
    initial_build: str
    published_builds: list[str]
    expected: dict[str, dict[str, list[str]]]
    """build id -> fingerprint of every mart, read from the published file right after its publish."""
    records: dict[str, list[dict[str, Any]]]
    publish_windows: list[tuple[float, float]]


def snapshot_of(path: Path) -> dict[str, Any]:
    with duckdb.connect(str(path), read_only=True) as con:
        return read_duckdb(con)


@pytest.fixture(scope="module")
def observed(built_warehouse, tmp_path_factory: pytest.TempPathFactory) -> Observed:
    work = tmp_path_factory.mktemp("publish-under-readers")
    published = work / "warehouse" / "retention.duckdb"
    published.parent.mkdir()
    shutil.copyfile(built_warehouse.db_path, published)
    initial = snapshot_of(published)
    expected = {initial["build_id"]: initial["fingerprint"]}
    stop, outs = work / "stop", {mode: work / f"{mode}.jsonl" for mode in MODES}
    readers = [subprocess.Popen([sys.executable, "-m", "tests.support.warehouse_readers", mode, str(published),
                                 str(outs[mode]), str(stop)], cwd=PROJECT_ROOT) for mode in MODES]
    try:
        wait_until(lambda: all(lines(out) for out in outs.values()), readers, "every reader's first read")
        windows, builds = [], []
        for as_of_date in AS_OF_DATES:
            started = time.time()
            with env(**WITHOUT_UNIT_TESTS):
                outcome = publish_duckdb_file(published, project_dir=PROJECT_ROOT, target_path=work / "target",
                                              log_path=work / "logs", dbt_vars={"as_of_date": as_of_date},
                                              check_freshness=False)
            windows.append((started, time.time()))
            assert outcome.published, outcome.failures
            builds.append(outcome.build_id)
            expected[outcome.build_id] = snapshot_of(published)["fingerprint"]
        for mode in ("loop", "bi"):
            wait_until(lambda: lines(outs[mode])[-1].get("build_id") == builds[-1], readers,
                       f"the {mode} reader to see the last build")
        wait_until(lambda: lines(outs["snapshot"])[-1]["started"] > windows[-1][1], readers,
                   "the snapshot reader to read after the last publish")
    finally:
        stop.touch()
        for reader in readers:
            reader.wait(timeout=WAIT_SECONDS)
    return Observed(initial["build_id"], builds, expected, {m: lines(outs[m]) for m in MODES}, windows)


def test_the_builds_differ_so_a_mix_would_show(observed: Observed) -> None:
    assert len(observed.expected) == 3
    assert len({json.dumps(fp, sort_keys=True) for fp in observed.expected.values()}) == 3


def test_readers_never_fail_and_never_see_a_mix_of_builds(observed: Observed) -> None:
    for mode, records in observed.records.items():
        errors = [r["error"] for r in records if not r["ok"]]
        assert errors == [], f"{mode}: {len(errors)} failed reads, first: {errors[0]}"
        for record in records:
            wanted = observed.expected[record["build_id"]]
            assert all(record["fingerprint"][t] == wanted[t] for t in record["fingerprint"]), (
                f"{mode} read marts that do not all belong to build {record['build_id']}")
    assert set(observed.records["loop"][0]["fingerprint"]) == set(observed.expected[observed.initial_build])


def test_a_connection_opened_before_publishing_keeps_its_snapshot(observed: Observed) -> None:
    snapshot = observed.records["snapshot"]
    assert {r["build_id"] for r in snapshot} == {observed.initial_build}
    assert snapshot[-1]["started"] > observed.publish_windows[-1][1], "it was still reading after the last publish"


def test_new_connections_see_each_build_in_publish_order(observed: Observed) -> None:
    seen = [r["build_id"] for r in observed.records["loop"]]
    in_order = [b for i, b in enumerate(seen) if i == 0 or b != seen[i - 1]]
    assert in_order == [observed.initial_build, *observed.published_builds]


def test_a_bi_tool_lists_and_reads_the_marts_while_builds_run(observed: Observed) -> None:
    bi = observed.records["bi"]
    marts = set(observed.expected[observed.initial_build])
    assert all(set(r["tables"]) == marts and r["rows_read"] > 0 for r in bi)
    during_builds = [r for r in bi if any(start <= r["started"] and r["ended"] <= end
                                          for start, end in observed.publish_windows)]
    assert during_builds, "no BI read happened while a build was running"
