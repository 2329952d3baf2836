"""Reliability: a catalogue of bad input with its documented outcome, a killed load, safe file names,
reloads that change nothing, no secrets in the repository, and property-based checks of parsers."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retention_warehouse.stats import churn
from retention_warehouse.config import DB_PATH_ENV, PROJECT_ROOT
from retention_warehouse.demo.generator import GeneratorConfig, generate
from retention_warehouse.ingest.loader import load_directory
from tests.conftest import run_dbt
from tests.helpers import CUSTOMER_HEADER, ORDER_HEADER, RESPONSE_HEADER, raw_dir, write

GOOD_ORDER = "O1,C1,2024-02-01T10:00:00Z,delivered,100.00,10.00,0,USD,2024-02-05,2024-02-04"


@dataclass(frozen=True)
class BadInput:
    """One class of bad input: the file to write and the outcome the loader documents for it."""

    name: str
    entity: str
    file_name: str
    content: bytes
    row: int | None = None
    """Quarantined at this data row (1 = first row after the header) ..."""
    column: str | None = None
    reason: str | None = None
    """... with a reason starting so; or, when row is None, the whole file fails with this problem."""


def _csv(header: str, *rows: str) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


CATALOGUE = [
    BadInput("wrong type", "orders", "o.csv", _csv(ORDER_HEADER, GOOD_ORDER.replace("100.00", "abc")),
             1, "gross_amount", "not a number"),
    BadInput("missing required column", "orders", "o.csv",
             _csv(ORDER_HEADER.replace(",currency", ""), "O1,C1,2024-02-01T10:00:00Z,placed,1.00,0,0,,"),
             reason="missing required column(s) currency"),
    BadInput("missing required value", "orders", "o.csv", _csv(ORDER_HEADER, GOOD_ORDER.replace("O1,", ",", 1)),
             1, "order_id", "missing required value"),
    BadInput("empty file", "orders", "o.csv", b"", reason="file is empty"),
    BadInput("wrong delimiter", "orders", "o.csv", _csv(ORDER_HEADER.replace(",", ";"), GOOD_ORDER.replace(",", ";")),
             reason="missing required column(s)"),
    BadInput("broken quoting", "orders", "o.csv", _csv(ORDER_HEADER, GOOD_ORDER.replace("delivered", '"delivered')),
             reason="cannot be read as CSV"),
    BadInput("invalid UTF-8", "orders", "o.csv", _csv(ORDER_HEADER, GOOD_ORDER)[:-1] + b"\xff\xfe\n",
             reason="cannot be read as CSV"),
    BadInput("truncated file", "orders", "o.csv", _csv(ORDER_HEADER, GOOD_ORDER)[:-30],
             reason="cannot be read as CSV"),
    BadInput("duplicate key within a file", "orders", "o.csv", _csv(ORDER_HEADER, GOOD_ORDER, GOOD_ORDER),
             2, "order_id", "duplicate order_id 'O1' in the same file (first at row 1)"),
    BadInput("order of an unknown customer", "orders", "o.csv", _csv(ORDER_HEADER, GOOD_ORDER.replace(",C1,", ",C404,")),
             1, "customer_id", "unknown customer: 'C404'"),
    BadInput("negative amount", "orders", "o.csv", _csv(ORDER_HEADER, GOOD_ORDER.replace("100.00", "-100.00")),
             1, "gross_amount", "negative amount"),
    BadInput("absurd amount", "orders", "o.csv", _csv(ORDER_HEADER, GOOD_ORDER.replace("100.00", "2000000.00")),
             1, "gross_amount", "absurd amount (over 1,000,000)"),
    BadInput("more than two decimals", "orders", "o.csv", _csv(ORDER_HEADER, GOOD_ORDER.replace("100.00", "100.001")),
             1, "gross_amount", "more than 2 decimal places"),
    BadInput("unknown status", "orders", "o.csv", _csv(ORDER_HEADER, GOOD_ORDER.replace("delivered", "teleported")),
             1, "status", "unknown value 'teleported'"),
    BadInput("unknown currency", "orders", "o.csv", _csv(ORDER_HEADER, GOOD_ORDER.replace("USD", "XBT")),
             1, "currency", "unknown value 'XBT'"),
    BadInput("timestamp in the future", "orders", "o.csv",
             _csv(ORDER_HEADER, GOOD_ORDER.replace("2024-02-01T10", "2099-02-01T10")),
             1, "ordered_at", "timestamp in the future"),
    BadInput("unparsable timestamp", "orders", "o.csv",
             _csv(ORDER_HEADER, GOOD_ORDER.replace("2024-02-01T10:00:00Z", "yesterday")),
             1, "ordered_at", "not a timestamp"),
    BadInput("NPS score out of range", "survey_responses", "r.csv",
             _csv(RESPONSE_HEADER, "R1,C1,,2024-02-01T10:00:00Z,11,,web"), 1, "score", "score outside 0-10"),
    BadInput("NPS score not a whole number", "survey_responses", "r.csv",
             _csv(RESPONSE_HEADER, "R1,C1,,2024-02-01T10:00:00Z,7.5,,web"), 1, "score", "not a whole number"),
    BadInput("email without @", "customers", "c2.csv",
             _csv(CUSTOMER_HEADER, "C7,not-an-email,Nia,2024-01-01T10:00:00Z,US,organic"),
             1, "email", "not an email address"),
    BadInput("unsupported file type", "orders", "o.xlsx", b"PK\x03\x04", reason="unsupported file type"),
]


def _parquet_with_wrong_schema() -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"order_id": ["O1"], "customer_id": ["C1"]}), sink)
    return sink.getvalue().to_pybytes()


CATALOGUE.append(BadInput("Parquet with a wrong schema", "orders", "o.parquet", _parquet_with_wrong_schema(),
                          reason="missing required column(s) ordered_at, status"))


def _load(data: Path, db: Path):
    with duckdb.connect(str(db)) as con:
        return load_directory(con, data)


def _query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_the_catalogue_covers_at_least_fifteen_classes() -> None:
    assert len({case.name for case in CATALOGUE}) >= 15


@pytest.mark.parametrize("case", CATALOGUE, ids=[case.name for case in CATALOGUE])
def test_bad_input_gets_its_documented_outcome(tmp_path: Path, case: BadInput) -> None:
    data = raw_dir(tmp_path)
    (data / case.entity).mkdir(exist_ok=True)
    (data / case.entity / case.file_name).write_bytes(case.content)
    db = tmp_path / "w.duckdb"
    report = _load(data, db)
    result = next(f for f in report.files if f.path == f"{case.entity}/{case.file_name}")
    assert result.rows_read == result.rows_loaded + result.rows_rejected
    if case.row is None:
        assert result.status == "failed" and case.reason in result.error, result.error
        # Nothing of a failed file is half loaded.
        assert _query(db, f"select count(*) from raw.{case.entity} where _source_file = ?", [result.path]) == [(0,)]
        assert _query(db, "select count(*) from raw.load_audit where file_path = ?", [result.path]) == [(0,)]
    else:
        rejected = _query(db, f"select _source_file, _source_row, column_name, reason from raw.{case.entity}_rejected")
        assert len(rejected) == 1, rejected
        file, row, column, reason = rejected[0]
        assert (file, row, column) == (result.path, case.row, case.column)
        assert reason.startswith(case.reason), reason


def test_duplicate_keys_across_files_keep_both_and_the_latest_version_wins(tmp_path: Path) -> None:
    """Across files a repeated key is a newer version (late-arriving data), not an error."""
    data = raw_dir(tmp_path)
    write(data / "orders" / "a.csv", [ORDER_HEADER + ",updated_at", GOOD_ORDER.replace("delivered", "shipped")
                                      + ",2024-02-02T00:00:00Z"])
    write(data / "orders" / "b.csv", [ORDER_HEADER + ",updated_at", GOOD_ORDER + ",2024-02-05T00:00:00Z"])
    db = tmp_path / "w.duckdb"
    report = _load(data, db)
    assert sum(f.rows_loaded for f in report.files if f.entity == "orders") == 2
    assert _query(db, "select count(*), count(distinct order_id) from raw.orders") == [(2, 1)]


def test_mixed_time_zones_are_stored_in_utc(tmp_path: Path) -> None:
    data = raw_dir(tmp_path, [
        ORDER_HEADER,
        GOOD_ORDER,
        GOOD_ORDER.replace("O1,", "O2,").replace("2024-02-01T10:00:00Z", "2024-02-01T11:00:00+01:00"),
        GOOD_ORDER.replace("O1,", "O3,").replace("2024-02-01T10:00:00Z", "2024-02-01T05:00:00-05:00"),
        GOOD_ORDER.replace("O1,", "O4,").replace("2024-02-01T10:00:00Z", "2024-02-01 10:00:00"),
    ])
    db = tmp_path / "w.duckdb"
    _load(data, db)
    instants = {row[0] for row in _query(db, "select epoch(ordered_at) from raw.orders")}
    assert instants == {datetime(2024, 2, 1, 10, tzinfo=timezone.utc).timestamp()}


def test_a_file_named_with_quotes_and_semicolons_loads_safely(tmp_path: Path) -> None:
    data = raw_dir(tmp_path)
    name = "o'; drop table raw.customers; --\".csv"
    write(data / "orders" / name, [ORDER_HEADER, GOOD_ORDER])
    db = tmp_path / "w.duckdb"
    report = _load(data, db)
    assert [f.status for f in report.files] == ["loaded", "loaded"]
    assert _query(db, "select _source_file from raw.orders") == [(f"orders/{name}",)]
    assert _query(db, "select count(*) from raw.customers") == [(3,)]


# --------------------------------------------------------------------------- a killed load

ENTITY_TABLES = ("customers", "orders", "survey_responses")


def _files_are_whole(db: Path) -> None:
    """Every file in raw holds exactly the rows its audit row says: nothing partial (and nothing at
    all when the load was killed before it had created its tables)."""
    if not _query(db, "select 1 from information_schema.tables"
                      " where table_schema = 'raw' and table_name = 'load_audit'"):
        return
    for path, entity, loaded, rejected in _query(
            db, "select file_path, entity, rows_loaded, rows_rejected from raw.load_audit"):
        assert _query(db, f"select count(*) from raw.{entity} where _source_file = ?", [path]) == [(loaded,)]
        assert _query(db, f"select count(*) from raw.{entity}_rejected where _source_file = ?", [path]) == [(rejected,)]
    for entity in ENTITY_TABLES:
        orphans = _query(db, f"select count(*) from raw.{entity} where _source_file not in "
                             "(select file_path from raw.load_audit)")
        assert orphans == [(0,)], entity


@dataclass(frozen=True)
class LoadRun:
    data: Path
    seconds: float
    """How long a whole `warehouse load` of `data` takes here, start-up included."""
    counts: dict[str, int]


def _run_load(data: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "retention_warehouse.cli", "load", "--data-dir", str(data)],
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
    counts = {entity: _query(clean, f"select count(*) from raw.{entity}")[0][0] for entity in ENTITY_TABLES}
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
    report = _load(timed_load.data, db)
    assert not report.failed
    _files_are_whole(db)
    counts = {entity: _query(db, f"select count(*) from raw.{entity}")[0][0] for entity in ENTITY_TABLES}
    assert counts == timed_load.counts


# --------------------------------------------------------------------------- a killed build


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _publish(published: Path, target: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "retention_warehouse.cli", "publish", "--target-path", str(target), "--no-freshness"],
        env={**os.environ, DB_PATH_ENV: str(published)}, cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_killed_build_leaves_the_published_warehouse_as_it_was(built_warehouse, tmp_path: Path) -> None:
    """SIGKILL a publish (build + tests in the work copy) early and late: the published file is untouched;
    the next publish succeeds and swaps a new build in."""
    published = tmp_path / "warehouse" / "retention.duckdb"
    published.parent.mkdir()
    shutil.copyfile(built_warehouse.db_path, published)
    before = _sha256(published)
    for seconds in (2.0, 8.0):
        process = _publish(published, tmp_path / "target")
        time.sleep(seconds)
        process.send_signal(signal.SIGKILL)
        assert process.wait() == -signal.SIGKILL, f"the publish finished within {seconds} s: kill it earlier"
        assert _sha256(published) == before
    assert _publish(published, tmp_path / "target").wait() == 0
    assert _sha256(published) != before
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
    report = _load(built_warehouse.data_dir, built_warehouse.db_path)
    assert {f.status for f in report.files} == {"unchanged"}
    result = run_dbt(["build"], PROJECT_ROOT, built_warehouse.db_path, tmp_path)
    assert result.success, result.exception
    assert _mart_digests(built_warehouse.db_path) == before


# --------------------------------------------------------------------------- secrets


SECRET_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"(?i)\b(password|passwd|secret|token)\b\s*[:=]\s*['\"][^'\"{}$]{6,}['\"]"),
    re.compile(r"postgres(ql)?://[^:/\s]+:[^@/\s{$]+@"),
]


def test_no_secrets_in_the_repository() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    hits = []
    for name in tracked.stdout.split():
        path = PROJECT_ROOT / name
        if path.suffix in {".lock", ".parquet", ".whl", ".png"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        hits += [f"{name}: {pattern.pattern}" for pattern in SECRET_PATTERNS if pattern.search(text)]
    assert hits == []


def test_profiles_read_credentials_from_the_environment() -> None:
    profiles = (PROJECT_ROOT / "profiles.yml").read_text()
    for key in ("password", "pass", "user", "token"):
        for match in re.finditer(rf"^\s*{key}\s*:\s*(.+)$", profiles, flags=re.M):
            assert "env_var(" in match.group(1), f"profiles.yml {key}: {match.group(1)}"


# --------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    moments=st.lists(st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2025, 12, 31)),
                     min_size=1, max_size=8),
    offsets=st.lists(st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: m - m % 15),
                     min_size=8, max_size=8),
    cents=st.lists(st.integers(min_value=0, max_value=99_999_999), min_size=8, max_size=8),
)
def test_any_timestamp_and_amount_round_trips(tmp_path_factory, moments, offsets, cents) -> None:
    """Whatever the offset a timestamp is written with, the loader stores its instant; amounts stay exact."""
    tmp = tmp_path_factory.mktemp("prop")
    rows, expected = [ORDER_HEADER], {}
    for i, moment in enumerate(moments):
        offset = timezone(timedelta(minutes=offsets[i]))
        local = moment.replace(microsecond=0, tzinfo=timezone.utc).astimezone(offset)
        amount = Decimal(cents[i]) / 100
        rows.append(f"O{i},C1,{local.isoformat()},placed,{amount:.2f},0,0,USD,,")
        expected[f"O{i}"] = (local.timestamp(), amount)
    data = raw_dir(tmp, rows)
    db = tmp / "w.duckdb"
    _load(data, db)
    got = {order: (epoch, amount) for order, epoch, amount in
           _query(db, "select order_id, epoch(ordered_at), gross_amount from raw.orders")}
    assert got == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=2, max_size=40)
       .filter(lambda pairs: len({label for _, label in pairs}) == 2))
def test_roc_auc_equals_counting_every_pair(pairs) -> None:
    scores = np.array([float(s) for s, _ in pairs])
    labels = np.array([label for _, label in pairs])
    positives, negatives = scores[labels], scores[~labels]
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    assert churn.roc_auc(scores, labels) == pytest.approx(wins / (len(positives) * len(negatives)))
