"""Ingestion on Spark (ingest/spark_landing.py): Spark reads the files itself, with DuckDB's outcomes.

Every file-level class of the bad-input catalogue fails whole on Spark as on DuckDB, leaving nothing
behind; rows land with file, row and text as DuckDB lands them; a reload is a no-op, a changed file
replaces its rows, a file gone from the folder is reported and removed only on request; row numbers
stay the file's when Spark splits one file over several scan partitions; `warehouse load --target
spark` lands and checks in one command. Each test lands into a database of its own in the one Spark
session of the run (fixture spark_environment).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from retention_warehouse.ingest.contract import ENTITIES
from retention_warehouse.ingest.loader import LoadReport, load_directory
from retention_warehouse.ingest.spark_landing import SparkLanding
from retention_warehouse.warehouse.targets import connect
from tests.support.contract_catalogue import FILE_CLASSES, BadInput
from tests.support.raw_files import ORDER_HEADER, load, query, raw_dir, write
from tests.support.warehouses import env

pytestmark = pytest.mark.spark

ORDERS = [
    ORDER_HEADER,
    "O1,C1,2024-02-01T10:00:00Z,delivered,100.00,10.00,0,USD,2024-02-05,2024-02-04",
    'O2,C1, 2024-02-01T10:00:00Z ,"Deli, vered",abc,,"",usd,,',
]
_databases = itertools.count(1)


@pytest.fixture
def spark(spark_environment):
    with env(**spark_environment), connect("spark") as warehouse:
        yield warehouse


@pytest.fixture
def landing(spark) -> SparkLanding:
    return SparkLanding(spark.session, f"landing_test_{next(_databases)}")


def rows(landing: SparkLanding, sql: str) -> list[tuple]:
    return [tuple(row) for row in landing.session.sql(sql.format(raw=landing.schema)).collect()]


def land(landing: SparkLanding, data: Path, **options) -> LoadReport:
    return load_directory(landing, data, **options)


def test_rows_land_as_duckdb_lands_them(landing: SparkLanding, tmp_path: Path) -> None:
    data = raw_dir(tmp_path, ORDERS)
    report = land(landing, data)
    columns = "order_id, ordered_at, status, gross_amount, discount_amount, refunded_amount, _source_file, _source_row"
    load(data, tmp_path / "w.duckdb")
    on_duckdb = query(tmp_path / "w.duckdb", f"select {columns} from raw.orders order by _source_row")
    assert rows(landing, f"select {columns} from {{raw}}.orders order by _source_row") == on_duckdb
    assert [(f.path, f.status, f.rows_read) for f in report.files] == [
        ("customers/customers.csv", "loaded", 3), ("orders/orders.csv", "loaded", 2)]
    assert rows(landing, "select file_path, entity, rows_read from {raw}.load_audit order by 1") == [
        ("customers/customers.csv", "customers", 3), ("orders/orders.csv", "orders", 2)]


@pytest.mark.parametrize("case", FILE_CLASSES, ids=[case.name for case in FILE_CLASSES])
def test_a_bad_file_fails_whole_and_is_named(landing: SparkLanding, tmp_path: Path, case: BadInput) -> None:
    data = raw_dir(tmp_path)
    (data / case.entity).mkdir(exist_ok=True)
    (data / case.path).write_bytes(case.content)
    report = land(landing, data)
    assert [(f.path, f.status) for f in report.failed] == [(case.path, "failed")]
    assert case.reason in report.failed[0].error, report.failed[0].error
    assert rows(landing, f"select count(*) from {{raw}}.{case.entity}") == [(0,)]
    assert rows(landing, "select file_path from {raw}.load_audit") == [("customers/customers.csv",)]


def test_reload_replace_and_removal(landing: SparkLanding, tmp_path: Path) -> None:
    data = raw_dir(tmp_path, ORDERS)
    land(landing, data)
    assert {f.status for f in land(landing, data).files} == {"unchanged"}
    write(data / "orders" / "orders.csv", [ORDER_HEADER, "O99,C2,2024-03-01T10:00:00Z,placed,5.00,0,0,GBP,,"])
    report = land(landing, data)
    assert [f.status for f in report.files if f.entity == "orders"] == ["replaced"]
    assert rows(landing, "select order_id from {raw}.orders") == [("O99",)]
    (data / "orders" / "orders.csv").unlink()
    kept = land(landing, data)
    assert [(m.path, m.rows, m.removed) for m in kept.missing] == [("orders/orders.csv", 1, False)]
    assert rows(landing, "select count(*) from {raw}.orders") == [(1,)]
    removed = land(landing, data, remove_missing=True)
    assert [(m.path, m.removed) for m in removed.missing] == [("orders/orders.csv", True)]
    assert rows(landing, "select count(*) from {raw}.orders") == [(0,)]
    assert land(landing, data).missing == []


def test_every_entity_has_a_text_landing_table(landing: SparkLanding, tmp_path: Path) -> None:
    land(landing, raw_dir(tmp_path))
    for entity in ENTITIES:
        types = {row[0]: row[1] for row in rows(landing, f"describe {{raw}}.{entity.name}") if row[0] and
                 not row[0].startswith("#")}
        assert {types[c.name] for c in entity.columns} == {"string"}, entity.name


def test_row_numbers_stay_the_files_over_several_scan_partitions(landing: SparkLanding, spark,
                                                                 tmp_path: Path) -> None:
    """A Parquet file of many row groups, read in several scan partitions: rows numbered as in the file."""
    data = raw_dir(tmp_path)
    (data / "orders").mkdir()
    count = 60_000
    table = pa.table({"order_id": [f"O{i}" for i in range(count)], "customer_id": ["C1"] * count,
                      "ordered_at": ["2024-02-01T10:00:00Z"] * count, "status": ["placed"] * count,
                      "gross_amount": [f"{i}.00" for i in range(count)], "currency": ["USD"] * count})
    pq.write_table(table, data / "orders" / "many.parquet", row_group_size=5_000)
    conf = spark.session.conf
    before = conf.get("spark.sql.files.maxPartitionBytes")
    conf.set("spark.sql.files.maxPartitionBytes", "65536")
    try:
        partitions = spark.session.read.parquet(str(data / "orders" / "many.parquet")).rdd.getNumPartitions()
        land(landing, data)
    finally:
        conf.set("spark.sql.files.maxPartitionBytes", before)
    assert partitions > 2, "the file must be read in several scan partitions for this test to mean anything"
    misplaced = rows(landing, "select count(*) from {raw}.orders where order_id <> concat('O', _source_row - 1)")
    assert misplaced == [(0,)]
    assert rows(landing, "select count(*), min(_source_row), max(_source_row) from {raw}.orders") == [
        (count, 1, count)]


def test_cli_load_on_spark_lands_and_checks(tmp_path: Path) -> None:
    """`warehouse load --target spark` as a user runs it: its own process and Spark session (so its raw,
    staging and marts are its own), the files landed by Spark and the contract checks run there."""
    data = raw_dir(tmp_path, ORDERS)
    environment = {**os.environ, "WAREHOUSE_SPARK_DIR": str(tmp_path / "spark"), "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "retention_warehouse.cli", "load", "--target", "spark",
                             "--data-dir", str(data), "--target-path", str(tmp_path / "target")],
                            capture_output=True, text=True, env=environment, timeout=600)
    output = " ".join((result.stdout + result.stderr).split())
    assert "rows read 5 = loaded 4 + rejected 1" in output, output
    assert "orders/orders.csv │ 2 │ status │ unknown value 'Deli, vered'" in output, output
    assert result.returncode == 0, output
