"""`warehouse export-raw`: the DuckDB file's loaded raw tables copied to a PostgreSQL or Spark target.

For trying PostgreSQL on files loaded locally, without an EL tool (`make build-postgres`): this copies
every `raw.*` table as it landed (the rows as read, and the audits), and dbt's contract checks then
judge them on that engine as on DuckDB. Raw tables that already live in the engine need no copy
(docs/data-contract.md); Spark reads files itself (`warehouse load --target spark`).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from retention_warehouse.config import RAW_SCHEMA
from retention_warehouse.warehouse.targets import TargetError, Warehouse


def raw_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every table of the raw schema in the DuckDB file: the landing tables and the audits."""
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE'"
        " order by table_name",
        [RAW_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows]


def export_raw(con: duckdb.DuckDBPyConnection, destination: Warehouse,
               on_table: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Replace the target's raw tables with the DuckDB file's, column types and rows exactly; rows per table."""
    tables = raw_tables(con)
    if not tables:
        raise TargetError(f"the DuckDB warehouse has no {RAW_SCHEMA}.* tables: run `warehouse load` first")
    copied: dict[str, int] = {}
    for table in tables:
        data = con.sql(f"select * from {RAW_SCHEMA}.{table}").to_arrow_table()
        destination.replace_table(RAW_SCHEMA, table, data)
        copied[table] = data.num_rows
        if on_table is not None:
            on_table(table, data.num_rows)
    return copied
