"""Ingestion (ingest/loader.py) on hand-written files: rows land as they were read (typed Parquet columns
typed), with file and row;
unreadable files fail whole and are named; reloads, replaced files and files gone from the folder.
Which rows are valid is the contract checks' business (tests/integration/test_contract_checks.py)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from retention_warehouse.ingest.contract import ENTITIES, ENTITY_BY_NAME
from retention_warehouse.ingest.loader import FileError, landing_table_ddl, load_directory
from tests.support.contract_catalogue import FILE_CLASSES, ROW_CLASSES, BadInput
from tests.support.raw_files import ORDER_HEADER, load, query, raw_dir, write

ORDERS = [
    ORDER_HEADER,
    "O1,C1,2024-02-01T10:00:00Z,delivered,100.00,10.00,0,USD,2024-02-05,2024-02-04",
    "O2,C1, 2024-02-01T10:00:00Z ,Delivered,abc,,,usd,,",
]


def test_rows_land_as_they_were_read_with_file_and_row(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    report = load(raw_dir(tmp_path, ORDERS), db)
    assert query(db, "select order_id, ordered_at, status, gross_amount, discount_amount, currency, _source_file, "
                     "_source_row, _file_sha256 = ? from raw.orders order by _source_row",
                 [next(f.sha256 for f in report.files if f.entity == "orders")]) == [
        ("O1", "2024-02-01T10:00:00Z", "delivered", "100.00", "10.00", "USD", "orders/orders.csv", 1, True),
        ("O2", " 2024-02-01T10:00:00Z ", "Delivered", "abc", None, "usd", "orders/orders.csv", 2, True),
    ]
    assert query(db, "select entity, rows_read from raw.load_audit order by 1") == [("customers", 3), ("orders", 2)]


@pytest.mark.parametrize("case", ROW_CLASSES, ids=[case.name for case in ROW_CLASSES])
def test_a_bad_row_lands_for_the_checks_to_judge(tmp_path: Path, case: BadInput) -> None:
    """Ingestion checks no row: every row of a readable file lands, however bad."""
    data = raw_dir(tmp_path)
    (data / case.entity).mkdir(exist_ok=True)
    (data / case.path).write_bytes(case.content)
    db = tmp_path / "w.duckdb"
    result = next(f for f in load(data, db).files if f.path == case.path)
    rows = case.content.decode().count("\n") - 1
    assert (result.status, result.rows_read) == ("loaded", rows)
    assert query(db, f"select count(*) from raw.{case.entity} where _source_file = ?", [case.path]) == [(rows,)]


@pytest.mark.parametrize("case", FILE_CLASSES, ids=[case.name for case in FILE_CLASSES])
def test_a_bad_file_fails_whole_and_is_named(tmp_path: Path, case: BadInput) -> None:
    data = raw_dir(tmp_path)
    (data / case.entity).mkdir(exist_ok=True)
    (data / case.path).write_bytes(case.content)
    db = tmp_path / "w.duckdb"
    report = load(data, db)
    assert [(f.path, f.status) for f in report.failed] == [(case.path, "failed")]
    assert case.reason in report.failed[0].error, report.failed[0].error
    # Nothing of a failed file is half loaded.
    assert query(db, f"select count(*) from raw.{case.entity} where _source_file = ?", [case.path]) == [(0,)]
    assert query(db, "select count(*) from raw.load_audit where file_path = ?", [case.path]) == [(0,)]


def test_the_catalogue_covers_at_least_fifteen_classes() -> None:
    assert len({case.name for case in FILE_CLASSES + ROW_CLASSES}) >= 15


def test_a_semicolon_file_says_so(tmp_path: Path) -> None:
    data = raw_dir(tmp_path)
    write(data / "orders" / "export.csv", [ORDER_HEADER.replace(",", ";")])
    error = load(data, tmp_path / "w.duckdb").failed[0].error
    assert error.startswith("the header is delimited by semicolons, not commas"), error


def test_optional_columns_may_be_absent_and_land_as_null(tmp_path: Path) -> None:
    data = raw_dir(tmp_path)
    write(data / "orders" / "o.csv", ["order_id,customer_id,ordered_at,status,gross_amount,currency",
                                      "O1,C1,2024-02-01T10:00:00Z,placed,1.00,USD"])
    db = tmp_path / "w.duckdb"
    assert not load(data, db).failed
    assert query(db, "select discount_amount, promised_delivery_date, updated_at from raw.orders") == [
        (None, None, None)]


def test_a_required_column_may_not_be_absent(tmp_path: Path) -> None:
    data = raw_dir(tmp_path)
    write(data / "orders" / "o.csv", ["order_id,customer_id,ordered_at,status,currency", "O1,C1,2024-02-01,placed,USD"])
    error = load(data, tmp_path / "w.duckdb").failed[0].error
    assert "missing required column(s) gross_amount" in error and "A orders file needs: order_id" in error


def test_typed_parquet_lands_typed_and_other_types_as_text(tmp_path: Path) -> None:
    """The fast path: a Parquet column of the contract's type lands in <name>__typed, the text left null;
    one of another type (a decimal amount, a date as text) lands as its text."""
    data = raw_dir(tmp_path)
    (data / "orders").mkdir()
    table = pa.table({
        "order_id": ["O1"], "customer_id": ["C1"],
        "ordered_at": pa.array([1706781600_000_000], pa.timestamp("us", tz="UTC")),
        "status": ["placed"], "gross_amount": pa.array([12345], pa.decimal128(18, 2)).cast(pa.decimal128(18, 2)),
        "discount_amount": pa.array([1.5], pa.float64()),
        "currency": ["EUR"], "promised_delivery_date": pa.array([19760], pa.date32()),
        "actual_delivery_date": ["2024-02-08"],
    })
    pq.write_table(table, data / "orders" / "o.parquet")
    db = tmp_path / "w.duckdb"
    assert not load(data, db).failed
    assert query(db, "select ordered_at, ordered_at__typed, gross_amount, gross_amount__typed, discount_amount, "
                     "discount_amount__typed, promised_delivery_date, promised_delivery_date__typed, "
                     "actual_delivery_date, actual_delivery_date__typed from raw.orders") == [
        (None, datetime(2024, 2, 1, 10, tzinfo=timezone.utc), "12345.00", None, None, 1.5,
         None, date(2024, 2, 7), "2024-02-08", None)]


def test_a_landing_table_from_before_the_typed_columns_gets_them(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema raw")
        con.execute(landing_table_ddl(ENTITY_BY_NAME["orders"]))
    load(raw_dir(tmp_path, ORDERS), db)
    assert query(db, "select order_id, ordered_at, ordered_at__typed from raw.orders order by 1") == [
        ("O1", "2024-02-01T10:00:00Z", None), ("O2", " 2024-02-01T10:00:00Z ", None)]


def test_extra_columns_are_reported_not_silently_dropped(tmp_path: Path) -> None:
    data = raw_dir(tmp_path, [ORDER_HEADER + ",coupon_code", "O1,C1,2024-02-01T10:00:00Z,placed,1.00,0,0,USD,,,SPRING"])
    db = tmp_path / "w.duckdb"
    report = load(data, db)
    assert next(f for f in report.files if f.entity == "orders").ignored_columns == ("coupon_code",)
    assert query(db, "select ignored_columns from raw.load_audit where entity = 'orders'") == [("coupon_code",)]


def test_header_only_file_loads_zero_rows(tmp_path: Path) -> None:
    report = load(raw_dir(tmp_path, [ORDER_HEADER]), tmp_path / "w.duckdb")
    orders = next(f for f in report.files if f.entity == "orders")
    assert (orders.status, orders.rows_read) == ("loaded", 0)


def test_reloading_the_same_file_is_a_no_op(tmp_path: Path) -> None:
    data = raw_dir(tmp_path, ORDERS)
    db = tmp_path / "w.duckdb"
    load(data, db)
    before = query(db, "select * from raw.orders order by order_id")
    second = load(data, db)
    assert {f.status for f in second.files} == {"unchanged"}
    assert [f.rows_read for f in second.files] == [3, 2]
    assert query(db, "select * from raw.orders order by order_id") == before


def test_a_changed_file_replaces_its_earlier_rows(tmp_path: Path) -> None:
    data = raw_dir(tmp_path)
    path = write(data / "orders" / "orders.csv", ORDERS)
    db = tmp_path / "w.duckdb"
    load(data, db)
    write(path, [ORDER_HEADER, "O99,C2,2024-03-01T10:00:00Z,placed,5.00,0,0,GBP,2024-03-05,"])
    report = load(data, db)
    assert next(f for f in report.files if f.entity == "orders").status == "replaced"
    assert query(db, "select order_id from raw.orders") == [("O99",)]
    assert query(db, "select rows_read from raw.load_audit where entity = 'orders'") == [(1,)]


def test_a_file_gone_from_the_folder_is_reported_and_removed_only_on_request(tmp_path: Path) -> None:
    data = raw_dir(tmp_path, ORDERS)
    db = tmp_path / "w.duckdb"
    load(data, db)
    (data / "orders" / "orders.csv").unlink()
    kept = load(data, db)
    assert [(m.path, m.entity, m.rows, m.removed) for m in kept.missing] == [("orders/orders.csv", "orders", 2, False)]
    assert query(db, "select count(*) from raw.orders") == [(2,)]
    with duckdb.connect(str(db)) as con:
        removed = load_directory(con, data, remove_missing=True)
    assert [(m.path, m.removed) for m in removed.missing] == [("orders/orders.csv", True)]
    assert query(db, "select count(*) from raw.orders") == [(0,)]
    assert query(db, "select count(*) from raw.load_audit where entity = 'orders'") == [(0,)]
    assert load(data, db).missing == [], "once removed, a file is not reported again"


def test_a_file_of_another_folder_is_not_missing(tmp_path: Path) -> None:
    """Two folders loaded into one warehouse (a base and an increment): neither's files are 'gone'."""
    db = tmp_path / "w.duckdb"
    load(raw_dir(tmp_path / "base", ORDERS), db)
    increment = tmp_path / "increment" / "raw"
    write(increment / "orders" / "day-2.csv", [ORDER_HEADER, "O3,C1,2024-02-02T10:00:00Z,placed,1.00,0,0,USD,,"])
    assert load(increment, db).missing == []


def test_every_entity_has_a_landing_table(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    load(raw_dir(tmp_path), db)
    tables = {t for (t,) in query(db, "select table_name from information_schema.tables where table_schema = 'raw'")}
    assert tables == {"load_audit", "import_audit"} | {e.name for e in ENTITIES}
    for entity in ENTITIES:
        types = dict(query(db, "select column_name, data_type from information_schema.columns "
                               "where table_schema = 'raw' and table_name = ?", [entity.name]))
        assert {types[c.name] for c in entity.columns} == {"VARCHAR"}, entity.name


def test_a_warehouse_of_the_old_loader_is_refused_with_what_to_do(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema raw; create table raw.orders_rejected (x int)")
        with pytest.raises(FileError, match="earlier version of the loader"):
            load_directory(con, raw_dir(tmp_path))


def test_optional_entities_may_be_absent(tmp_path: Path) -> None:
    """No support_tickets/ or campaign_assignments/ folder: nothing to load, and their tables are empty."""
    data = raw_dir(tmp_path, [ORDER_HEADER, "O1,C1,2024-02-01T10:00:00Z,placed,1.00,0,0,USD,,"])
    db = tmp_path / "w.duckdb"
    report = load(data, db)
    assert {f.entity for f in report.files} == {"customers", "orders"} and not report.failed
    for table in ("support_tickets", "campaign_assignments"):
        assert query(db, f"select count(*) from raw.{table}")[0][0] == 0


def test_the_dbt_contract_macro_is_generated_from_the_python_contract() -> None:
    """macros/contract/raw_contract.sql is what contract.py writes (`make contract` after changing either)."""
    from retention_warehouse.config import PROJECT_ROOT
    from retention_warehouse.ingest.contract import CONTRACT_MACRO, dbt_contract_macro

    assert (PROJECT_ROOT / CONTRACT_MACRO).read_text() == dbt_contract_macro(), "run `make contract`"
