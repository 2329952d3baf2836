"""Raw tables in PostgreSQL as an EL tool leaves them, made with plain COPY: no DuckDB warehouse involved.

Every generated file is copied, in the loader's order (entity, then file name), into its raw table in
one transaction of its own: most columns text, a few typed (TYPED_COLUMNS, where every value of the
generated data, bad rows included, is valid for the type, as an EL tool would have typed them), with
the file's name, its row numbers and the load time filled by column defaults, as an EL tool adds its
own metadata. The shop's orders land under the shop's own column names (SHOP_ORDER_COLUMNS) in
`raw.shop_orders`, and the view `raw.orders` maps them to the contract: docs/data-contract.md's
worked example. The Parquet files are first written as CSV (DuckDB as a file converter only, the
role of the EL tool's extractor); the CSV files are copied as they are.
"""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import psycopg2

from retention_warehouse.ingest.contract import ENTITIES
from retention_warehouse.ingest.loader import discover_files

SCHEMA = "raw"

TYPED_COLUMNS = {"orders": {"actual_delivery_date": "date"}}
"""Contract columns typed by the stand-in EL tool (besides its typed metadata, _source_row and
_loaded_at); the rest are text. Few, because dbt's unit tests cast their fixture rows to the source's
column types: a typed column can hold no fixture's deliberately bad value (the base models' unit tests
run on this warehouse), and a date is the one type whose text reads back as written, so the
quarantine's raw_record is the same as DuckDB's."""

SHOP_ORDER_COLUMNS = {"order_id": "id", "ordered_at": "created_at", "status": "financial_status",
                      "gross_amount": "total_price"}
"""How the shop names four of the contract's order columns (the rest keep the contract's names)."""

ORDERS_MAPPING_VIEW = """
create view raw.orders as
select
    id as order_id,
    customer_id,
    created_at as ordered_at,
    financial_status as status,
    total_price as gross_amount,
    discount_amount,
    refunded_amount,
    currency,
    promised_delivery_date,
    actual_delivery_date,
    updated_at,
    _source_file,
    _source_row,
    _loaded_at
from raw.shop_orders
"""


def table_of(entity: str) -> str:
    return "shop_orders" if entity == "orders" else entity


def column_of(entity: str, column: str) -> str:
    return SHOP_ORDER_COLUMNS.get(column, column) if entity == "orders" else column


def create_tables(cursor) -> None:
    cursor.execute(f"drop schema if exists {SCHEMA} cascade")
    cursor.execute(f"create schema {SCHEMA}")
    for entity in ENTITIES:
        table = table_of(entity.name)
        columns = [f"{column_of(entity.name, c.name)} {TYPED_COLUMNS.get(entity.name, {}).get(c.name, 'text')}"
                   for c in entity.columns]
        cursor.execute(f"create sequence {SCHEMA}.{table}_row")
        cursor.execute(f"""
            create table {SCHEMA}.{table} (
                {', '.join(columns)},
                _source_file text,
                _source_row bigint default nextval('{SCHEMA}.{table}_row'),
                _loaded_at timestamptz default now()
            )""")
    cursor.execute(ORDERS_MAPPING_VIEW)


def as_csv(path: Path) -> tuple[list[str], bytes]:
    """The file's header and its CSV text (a Parquet file written as CSV, ISO timestamps in UTC)."""
    if path.suffix.lower() == ".csv":
        data = path.read_bytes()
    else:
        with duckdb.connect() as con:
            con.execute("set TimeZone = 'UTC'")
            out = path.with_suffix(".copy.csv")
            con.execute(f"copy (select * from read_parquet('{path}')) to '{out}' (header, delimiter ',')")
            data = out.read_bytes()
            out.unlink()
    header = data.split(b"\n", 1)[0].decode("utf-8").strip().split(",")
    return header, data


def copy_files(connection, data_dir: Path) -> dict[str, int]:
    """COPY every file under `data_dir` into its raw table; rows per entity."""
    rows: dict[str, int] = {}
    with connection.cursor() as cursor:
        create_tables(cursor)
    connection.commit()
    for entity, path in discover_files(data_dir):
        table = f"{SCHEMA}.{table_of(entity.name)}"
        header, data = as_csv(path)
        columns = ", ".join(column_of(entity.name, name.strip().lower()) for name in header)
        rel_path = path.relative_to(data_dir).as_posix()
        with connection.cursor() as cursor:
            cursor.execute(f"alter table {table} alter column _source_file set default %s", [rel_path])
            cursor.execute(f"alter sequence {table}_row restart with 1")
            cursor.copy_expert(f"copy {table} ({columns}) from stdin with (format csv, header true)",
                               io.BytesIO(data))
            rows[entity.name] = rows.get(entity.name, 0) + cursor.rowcount
        connection.commit()
    return rows


def copy_raw(environment: dict[str, str], data_dir: Path) -> dict[str, int]:
    """The raw tables of `data_dir`'s files in the PostgreSQL database the libpq `environment` names."""
    connection = psycopg2.connect(host=environment["PGHOST"], port=environment["PGPORT"],
                                  user=environment["PGUSER"], dbname=environment["PGDATABASE"])
    try:
        return copy_files(connection, data_dir)
    finally:
        connection.close()
