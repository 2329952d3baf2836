"""The CDNOW import (demo/cdnow.py): parsing the source lines, one order per customer and day, the pinned
wheel, the import command and its audit, and clear errors."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from retention_warehouse.cli import app
from retention_warehouse.config import DB_PATH_ENV
from retention_warehouse.demo import cdnow
from retention_warehouse.demo.cdnow import (
    CdnowError,
    CdnowLine,
    audit,
    parse_lines,
    to_raw_rows,
)

MASTER_TEXT = (
    " customer_id  date number_of_cds  dollar_value\r\n"
    " 00001 19970101  1   11.77\r\n"
    " 00002 19970112  1   12.00\r\n"
    " 00002 19970112  1   12.00\r\n"
    " 00002 19970112  5   77.00\r\n"
    " 00002 19970401  1    0.00\r\n"
)


def test_parse_master_lines_with_header_and_crlf() -> None:
    lines = parse_lines(MASTER_TEXT, "master.txt", sample=False)
    assert [line.line_number for line in lines] == [2, 3, 4, 5, 6]
    assert lines[0] == CdnowLine(2, "00001", date(1997, 1, 1), 1, Decimal("11.77"))


def test_parse_sample_lines_use_the_master_customer_id() -> None:
    lines = parse_lines(" 00004 0001 19970101  2   29.33\r\n", "sample.txt", sample=True)
    assert lines == [CdnowLine(1, "00004", date(1997, 1, 1), 2, Decimal("29.33"))]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (" 00001 19970101  1\r\n", "sample.txt, line 1: expected 4 fields"),
        (" 00001 19971301  1   11.77\r\n", "sample.txt, line 1, column date: cannot read '19971301'"),
        (" 00001 19970101  x   11.77\r\n", "sample.txt, line 1, column cds: cannot read 'x'"),
        (" 00001 19970101  1   1,77\r\n", "sample.txt, line 1, column dollars: cannot read '1,77'"),
        (" 0000A 19970101  1   11.77\r\n", "sample.txt, line 1, column customer_id: not a number"),
        (" 00001 19970101  1  -11.77\r\n", "sample.txt, line 1: negative"),
        ("\r\n", "sample.txt: no data lines"),
    ],
)
def test_unreadable_lines_name_file_line_and_column(text: str, message: str) -> None:
    with pytest.raises(CdnowError, match=message.replace("(", r"\(")):
        parse_lines(text, "sample.txt", sample=False)


def test_one_order_per_customer_day_and_quirks_counted() -> None:
    lines = parse_lines(MASTER_TEXT, "master.txt", sample=False)
    customers, orders = to_raw_rows(lines)
    assert [(c["customer_id"], c["signup_at"]) for c in customers] == [
        ("00001", "1997-01-01T00:00:00Z"), ("00002", "1997-01-12T00:00:00Z"),
    ]
    assert [(o["order_id"], o["gross_amount"], o["status"], o["currency"]) for o in orders] == [
        ("00001-19970101", "11.77", "delivered", "USD"),
        ("00002-19970112", "101.00", "delivered", "USD"),
        ("00002-19970401", "0.00", "delivered", "USD"),
    ]
    result = audit(lines, orders, "master.txt")
    assert (result.source_lines, result.orders, result.customers) == (5, 3, 2)
    assert result.lines_merged_into_an_order == 2
    assert result.exact_duplicate_lines == 1
    assert (result.zero_dollar_lines, result.zero_dollar_orders) == (1, 1)
    assert result.source_dollars == result.order_dollars == "112.77"
    assert result.reconciles


def test_wheel_address_is_read_from_a_simple_index_page() -> None:
    page = '<a href="https://files.example/x/Lifetimes-0.11.3-py3-none-any.whl#sha256=abc">w</a>'
    assert cdnow.wheel_url(page) == "https://files.example/x/Lifetimes-0.11.3-py3-none-any.whl"
    with pytest.raises(CdnowError, match="not listed"):
        cdnow.wheel_url('<a href="Lifetimes-0.11.2-py3-none-any.whl">w</a>')


def test_a_wheel_with_another_checksum_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / cdnow.WHEEL_NAME
    fake.write_bytes(b"not the wheel")
    with pytest.raises(CdnowError, match="does not match the pinned"):
        cdnow.fetch_wheel(tmp_path)


def test_import_cdnow_command_writes_reconciled_raw_files(tmp_path: Path) -> None:
    out = tmp_path / "cdnow"
    result = CliRunner().invoke(app, ["import-cdnow", "--sample", "--out", str(out)])
    assert result.exit_code == 0, result.output
    measures = json.loads((out / "import_audit.json").read_text())
    assert measures["customers"] == 2357
    assert measures["source_lines"] == 6919
    assert measures["orders"] == 6696
    assert measures["source_dollars"] == measures["order_dollars"] == "244091.94"
    assert measures["exact_duplicate_lines"] > 0 and measures["zero_dollar_lines"] > 0
    assert (out / "orders" / "orders-cdnow-sample.csv").read_text().count("\n") == 6696 + 1


def test_a_missing_wheel_file_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["import-cdnow", "--out", str(tmp_path), "--wheel", str(tmp_path / "no.whl")])
    assert result.exit_code == 1
    assert "no.whl: no such file" in " ".join(result.output.split())


# --------------------------------------------------------------------------- the built sample


def test_a_broken_import_audit_is_a_file_error(tmp_path: Path) -> None:
    import duckdb

    from retention_warehouse.ingest.loader import FileError, load_directory

    (tmp_path / "import_audit.json").write_text('{"orders": [1, 2]}')
    with duckdb.connect(":memory:") as con, pytest.raises(FileError, match="import_audit.json: expected one JSON object"):
        load_directory(con, tmp_path)


def test_report_without_a_built_warehouse_exits_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report"], env={DB_PATH_ENV: str(tmp_path / "none.duckdb")})
    assert result.exit_code == 1
    assert "build the warehouse first" in " ".join(result.output.split())
