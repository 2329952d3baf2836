"""The loader (ingest/loader.py) on hand-written files: bad rows quarantined with file, row, column and
reason; unreadable files failed whole; reloads; optional entities."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from retention_warehouse.cli import app
from retention_warehouse.config import DB_PATH_ENV
from retention_warehouse.ingest.contract import ENTITIES
from tests.support.raw_files import ORDER_HEADER, RESPONSE_HEADER, load, query, raw_dir, write

runner = CliRunner()

BAD_ORDERS = [
    ORDER_HEADER,
    "O1,C1,2024-02-01T10:00:00Z,delivered,100.00,10.00,0,USD,2024-02-05,2024-02-04",  # row 1 ok
    "O2,C1,2024-02-01T10:00:00Z,delivered,abc,0,0,USD,2024-02-05,2024-02-04",  # row 2 wrong type
    "O3,C9,2024-02-01T10:00:00Z,delivered,10.00,0,0,USD,2024-02-05,2024-02-04",  # row 3 unknown customer
    "O4,C2,2024-02-01T10:00:00Z,lost,10.00,0,0,USD,2024-02-05,",  # row 4 unknown status
    "O5,C2,2024-02-01T10:00:00Z,placed,-3.00,0,0,USD,2024-02-05,",  # row 5 negative amount
    "O6,C2,2099-02-01T10:00:00Z,placed,3.00,0,0,USD,2099-02-05,",  # row 6 future timestamp
    "O7,C2,2024-02-01T10:00:00Z,placed,3.00,0,0,XYZ,2024-02-05,",  # row 7 unknown currency
    "O1,C1,2024-02-01T10:00:00Z,delivered,100.00,10.00,0,USD,2024-02-05,2024-02-04",  # row 8 duplicate of row 1
    ",C1,2024-02-01T10:00:00Z,placed,3.00,0,0,USD,2024-02-05,",  # row 9 missing id
    "O10,C3,2024-02-01T10:00:00-05:00,returned,20.00,0,25.00,EUR,2024-02-05,2024-02-04",  # row 10 refund > paid
    "O11,C3,not-a-time,placed,3.00,0,0,USD,2024-02-05,",  # row 11 unparsable timestamp
    "O12,C3,2024-02-01T10:00:00+09:00,placed,3.00,,,usd,2024-02-05,",  # row 12 ok (lower-case currency)
]

EXPECTED_REJECTIONS = [
    (2, "gross_amount", "not a number: 'abc'"),
    (3, "customer_id", "unknown customer: 'C9'"),
    (4, "status", "unknown value 'lost'"),
    (5, "gross_amount", "negative amount: '-3.00'"),
    (6, "ordered_at", "timestamp in the future: '2099-02-01T10:00:00Z'"),
    (7, "currency", "unknown value 'XYZ'"),
    (8, "order_id", "duplicate order_id 'O1' in the same file (first at row 1)"),
    (9, "order_id", "missing required value"),
    (10, "refunded_amount", "refund larger than the amount paid"),
    (11, "ordered_at", "not a timestamp: 'not-a-time'"),
]


def test_bad_rows_are_quarantined_with_file_row_column_and_reason(tmp_path: Path) -> None:
    data = raw_dir(tmp_path, BAD_ORDERS)
    db = tmp_path / "w.duckdb"
    report = load(data, db)
    rejected = query(db, "select _source_file, _source_row, column_name, reason from raw.orders_rejected "
                         "order by _source_row")
    assert [(row, col) for _, row, col, _ in rejected] == [(r, c) for r, c, _ in EXPECTED_REJECTIONS]
    for (file, _, _, reason), (_, _, expected) in zip(rejected, EXPECTED_REJECTIONS):
        assert file == "orders/orders.csv"
        assert reason.startswith(expected), reason
    loaded = query(db, "select order_id, currency, _source_row, cast(ordered_at as varchar) from raw.orders "
                       "order by _source_row")
    assert loaded == [("O1", "USD", 1, "2024-02-01 10:00:00+00"), ("O12", "USD", 12, "2024-02-01 01:00:00+00")]
    orders = next(f for f in report.files if f.entity == "orders")
    assert (orders.rows_read, orders.rows_loaded, orders.rows_rejected) == (12, 2, 10)


def test_rejected_rows_keep_the_row_as_it_was_read(tmp_path: Path) -> None:
    data = raw_dir(tmp_path, BAD_ORDERS)
    db = tmp_path / "w.duckdb"
    load(data, db)
    raw_record = query(db, "select raw_record from raw.orders_rejected where _source_row = 2")[0][0]
    assert '"gross_amount":"abc"' in raw_record and '"order_id":"O2"' in raw_record


def test_missing_required_column_fails_the_file_and_loads_nothing_of_it(tmp_path: Path) -> None:
    data = raw_dir(tmp_path)
    header_without_currency = ORDER_HEADER.replace(",currency", "")
    write(data / "orders" / "orders.csv", [
        header_without_currency, "O1,C1,2024-02-01T10:00:00Z,delivered,100.00,10.00,0,2024-02-05,2024-02-04"])
    db = tmp_path / "w.duckdb"
    result = runner.invoke(app, ["load", "--data-dir", str(data)], env={DB_PATH_ENV: str(db)})
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "orders.csv" in output and "missing required column(s) currency" in output
    assert query(db, "select count(*) from raw.orders")[0][0] == 0
    assert query(db, "select count(*) from raw.orders_rejected")[0][0] == 0
    assert query(db, "select entity, rows_loaded from raw.load_audit") == [("customers", 3)]


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.csv", b"", "file is empty"),
        ("latin1.csv", (ORDER_HEADER + "\nO1,C1,2024-02-01T10:00:00Z,placed,1.00,0,0,USD,,Caf\xe9\n")
         .encode("latin-1"), "cannot be read as CSV"),
        ("semicolons.csv", ORDER_HEADER.replace(",", ";").encode() + b"\n", "missing required column(s)"),
        ("notes.txt", b"hello", "unsupported file type '.txt'"),
        ("truncated.csv", (ORDER_HEADER + '\nO1,C1,2024-02-01T10:00:00Z,placed,1.00,0,0,USD,"2024').encode(),
         "cannot be read as CSV"),
    ],
)
def test_unreadable_files_fail_cleanly(tmp_path: Path, name: str, content: bytes, problem: str) -> None:
    data = raw_dir(tmp_path)
    (data / "orders").mkdir()
    (data / "orders" / name).write_bytes(content)
    report = load(data, tmp_path / "w.duckdb")
    failed = report.failed
    assert [f.path for f in failed] == [f"orders/{name}"]
    assert problem in failed[0].error
    assert query(tmp_path / "w.duckdb", "select count(*) from raw.orders")[0][0] == 0


def test_header_only_file_loads_zero_rows(tmp_path: Path) -> None:
    data = raw_dir(tmp_path, [ORDER_HEADER])
    report = load(data, tmp_path / "w.duckdb")
    orders = next(f for f in report.files if f.entity == "orders")
    assert (orders.status, orders.rows_read) == ("loaded", 0)


def test_parquet_with_a_wrong_schema_is_rejected(tmp_path: Path) -> None:
    data = raw_dir(tmp_path)
    (data / "orders").mkdir()
    pq.write_table(pa.table({"order_id": ["O1"], "customer_id": ["C1"]}), data / "orders" / "o.parquet")
    report = load(data, tmp_path / "w.duckdb")
    assert "missing required column(s) ordered_at, status" in report.failed[0].error


def test_extra_columns_are_reported_not_silently_dropped(tmp_path: Path) -> None:
    data = raw_dir(tmp_path, [
        ORDER_HEADER + ",coupon_code", "O1,C1,2024-02-01T10:00:00Z,placed,1.00,0,0,USD,,,SPRING"])
    db = tmp_path / "w.duckdb"
    report = load(data, db)
    assert next(f for f in report.files if f.entity == "orders").ignored_columns == ("coupon_code",)
    assert query(db, "select ignored_columns from raw.load_audit where entity = 'orders'") == [("coupon_code",)]


def test_reloading_the_same_file_is_a_no_op(tmp_path: Path) -> None:
    data = raw_dir(tmp_path, BAD_ORDERS)
    db = tmp_path / "w.duckdb"
    load(data, db)
    before = query(db, "select * from raw.orders order by order_id")
    second = load(data, db)
    assert {f.status for f in second.files} == {"unchanged"}
    assert query(db, "select * from raw.orders order by order_id") == before
    assert query(db, "select count(*) from raw.orders_rejected")[0][0] == len(EXPECTED_REJECTIONS)


def test_a_changed_file_replaces_its_earlier_rows(tmp_path: Path) -> None:
    data = raw_dir(tmp_path)
    path = write(data / "orders" / "orders.csv", BAD_ORDERS)
    db = tmp_path / "w.duckdb"
    load(data, db)
    write(path, [ORDER_HEADER, "O99,C2,2024-03-01T10:00:00Z,placed,5.00,0,0,GBP,2024-03-05,"])
    report = load(data, db)
    assert next(f for f in report.files if f.entity == "orders").status == "replaced"
    assert query(db, "select order_id from raw.orders") == [("O99",)]
    assert query(db, "select count(*) from raw.orders_rejected")[0][0] == 0
    assert query(db, "select rows_read, rows_loaded from raw.load_audit where entity = 'orders'") == [(1, 1)]


def test_survey_scores_outside_the_scale_are_quarantined(tmp_path: Path) -> None:
    data = raw_dir(tmp_path)
    write(data / "survey_responses" / "r.csv", [
        RESPONSE_HEADER,
        "R1,C1,,2024-02-01T10:00:00Z,9,great,email",
        "R2,,ben@example.com,2024-02-01T10:00:00Z,11,,web",
        "R3,C1,,2024-02-01T10:00:00Z,ten,,web",
        "R4,C1,,2024-02-01T10:00:00Z,7.5,,web",
        "R5,C404,,2024-02-01T10:00:00Z,0,unknown customers are kept for matching,web",
    ])
    db = tmp_path / "w.duckdb"
    load(data, db)
    assert query(db, "select _source_row, reason from raw.survey_responses_rejected order by 1") == [
        (2, "score outside 0-10: '11'"), (3, "not a number: 'ten'"), (4, "not a whole number: '7.5'")]
    assert query(db, "select response_id, score from raw.survey_responses order by 1") == [("R1", 9), ("R5", 0)]


def test_every_entity_has_raw_and_rejected_tables(tmp_path: Path) -> None:
    data = raw_dir(tmp_path)
    db = tmp_path / "w.duckdb"
    load(data, db)
    tables = {t for (t,) in query(db, "select table_name from information_schema.tables where table_schema = 'raw'")}
    assert tables == {"load_audit", "import_audit"} | {e.name for e in ENTITIES} | {f"{e.name}_rejected" for e in ENTITIES}


def test_support_tickets_and_campaign_assignments_are_checked_like_the_others(tmp_path: Path) -> None:
    data = raw_dir(tmp_path)
    write(data / "support_tickets" / "t.csv", [
        "ticket_id,customer_id,opened_at,first_response_at,resolved_at,category",
        "T1,C1,2024-02-01T10:00:00Z,,,delivery_delay",  # row 1 ok: unanswered, open
        "T2,C1,2024-02-01T10:00:00Z,2024-02-01T09:00:00Z,,billing",  # row 2 answered before opened
        "T3,C9,2024-02-01T10:00:00Z,,,billing",  # row 3 unknown customer
        "T4,C2,2024-02-01T10:00:00Z,2024-02-02T10:00:00Z,2024-01-30T10:00:00Z,billing",  # row 4 resolved before
        "T5,C2,2024-02-01T10:00:00Z,,,lost_parcel",  # row 5 unknown category
        "T6,C2,2024-02-01T10:00:00+01:00,2024-02-01T10:30:00+01:00,2024-02-03T10:00:00Z,Account",  # row 6 ok
    ])
    write(data / "campaign_assignments" / "a.csv", [
        "assignment_id,customer_id,campaign_id,arm,assigned_at",
        "A1,C1,winback,treatment,2024-03-01T10:00:00Z",  # row 1 ok
        "A2,C2,winback,placebo,2024-03-01T10:00:00Z",  # row 2 unknown arm
        "A3,C3,,control,2024-03-01T10:00:00Z",  # row 3 no campaign
        "A4,C3,winback,Control,2099-03-01T10:00:00Z",  # row 4 in the future
    ])
    db = tmp_path / "w.duckdb"
    load(data, db)
    assert query(db, "select _source_row, column_name, reason from raw.support_tickets_rejected order by 1") == [
        (2, "first_response_at", "first response before the ticket was opened"),
        (3, "customer_id", "unknown customer: 'C9'"),
        (4, "resolved_at", "resolved before the ticket was opened"),
        (5, "category", "unknown value 'lost_parcel' (allowed: delivery_delay, damaged_item, return_refund, "
                        "billing, product_question, account)"),
    ]
    assert query(db, "select ticket_id, category, first_response_at is null from raw.support_tickets order by 1") == [
        ("T1", "delivery_delay", True), ("T6", "account", False)]
    rejected = query(db, "select _source_row, column_name from raw.campaign_assignments_rejected order by 1")
    assert rejected == [(2, "arm"), (3, "campaign_id"), (4, "assigned_at")]


def test_optional_entities_may_be_absent(tmp_path: Path) -> None:
    """No support_tickets/ or campaign_assignments/ folder: nothing to load, and their tables are empty."""
    data = raw_dir(tmp_path, [ORDER_HEADER, "O1,C1,2024-02-01T10:00:00Z,placed,1.00,0,0,USD,,"])
    db = tmp_path / "w.duckdb"
    report = load(data, db)
    assert {f.entity for f in report.files} == {"customers", "orders"} and not report.failed
    for table in ("support_tickets", "campaign_assignments"):
        assert query(db, f"select count(*) from raw.{table}")[0][0] == 0
