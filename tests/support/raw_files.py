"""Small builders for hand-written raw files, and loading and reading them in a DuckDB file."""

from __future__ import annotations

from pathlib import Path

import duckdb

from retention_warehouse.ingest.loader import LoadReport, load_directory

CUSTOMER_HEADER = "customer_id,email,name,signup_at,country,acquisition_channel"
ORDER_HEADER = (
    "order_id,customer_id,ordered_at,status,gross_amount,discount_amount,refunded_amount,currency,"
    "promised_delivery_date,actual_delivery_date"
)
RESPONSE_HEADER = "response_id,customer_id,email,responded_at,score,comment,survey_channel"


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def good_customers(data_dir: Path) -> Path:
    return write(data_dir / "customers" / "customers.csv", [
        CUSTOMER_HEADER,
        "C1,ada@example.com,Ada Adams,2024-01-01T10:00:00+01:00,GB,organic",
        "C2,ben@example.com,Ben Baker,2024-01-02T10:00:00Z,US,referral",
        "C3,,Cleo Costa,2024-01-03 10:00:00,DE,social",
    ])


def raw_dir(tmp_path: Path, orders: list[str] | None = None) -> Path:
    """A data directory with three good customers and, if given, orders/orders.csv."""
    data = tmp_path / "raw"
    good_customers(data)
    if orders is not None:
        write(data / "orders" / "orders.csv", orders)
    return data


def load(data_dir: Path, db_path: Path) -> LoadReport:
    """`warehouse load` of `data_dir` into the DuckDB file `db_path`, in-process."""
    with duckdb.connect(str(db_path)) as con:
        return load_directory(con, data_dir)


def query(db_path: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of `sql` on the DuckDB file `db_path`, read-only."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()
