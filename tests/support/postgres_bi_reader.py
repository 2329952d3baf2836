"""A BI tool on the published PostgreSQL marts, connected as Superset or Metabase connect: SQLAlchemy + psycopg.

    BI_DATABASE_URL=postgresql+psycopg://ROLE:PASSWORD@HOST:PORT/DATABASE python -m tests.support.postgres_bi_reader OUT STOP

The URL comes from the environment, so the password is on no command line. Each read opens a new
connection (NullPool, Superset's default for the databases it queries), lists the tables of schema
marts through SQLAlchemy's inspector, then in one transaction reads the build id, a fingerprint of
every listed mart (row count and sum of row hashes), every row of fct_retention_periods, and the
build id once more. One JSON line per read in OUT (tests/warehouse_readers.record_reads) until the
file STOP exists.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.warehouse_readers import record_reads

URL_ENV = "BI_DATABASE_URL"
PAUSE_SECONDS = 0.2
BUILD_SQL = "select build_id from marts.dim_warehouse_build"


def bi_engine(url: str) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(url, poolclass=NullPool)


def fingerprint_sql(table: str) -> str:
    """Row count and the sum of the rows' hashes: equal for equal contents, whatever the row order."""
    return f'select count(*), coalesce(sum(hashtext(m::text)::bigint), 0) from marts."{table}" as m'


def read_marts(engine: Any) -> dict[str, Any]:
    from sqlalchemy import inspect, text

    tables = sorted(inspect(engine).get_table_names(schema="marts"))
    with engine.connect() as connection:  # one transaction: its locks keep every mart of one build
        def query(sql: str) -> list[tuple]:
            return [tuple(row) for row in connection.execute(text(sql)).fetchall()]

        build_id = query(BUILD_SQL)[0][0]
        fingerprint = {table: [str(value) for value in query(fingerprint_sql(table))[0]] for table in tables}
        periods = query("select * from marts.fct_retention_periods order by period_month")
        build_id_at_end = query(BUILD_SQL)[0][0]
    return {"build_id": build_id, "build_id_at_end": build_id_at_end, "tables": tables,
            "rows_read": len(periods), "fingerprint": fingerprint}


def reader(url: str) -> Callable[[], dict[str, Any]]:
    engine = bi_engine(url)
    return lambda: read_marts(engine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("stop", type=Path)
    args = parser.parse_args()
    record_reads(reader(os.environ[URL_ENV]), args.out, args.stop, PAUSE_SECONDS)


if __name__ == "__main__":
    main()
