"""Readers of a published warehouse file, run as separate processes while builds publish over it.

    python -m tests.support.warehouse_readers MODE DATABASE OUT STOP

MODE is `loop` (a new read-only connection per read, as a BI query does), `snapshot` (one
connection opened at the start and kept) or `bi` (SQLAlchemy with duckdb-engine, read-only, a
new connection per query as Superset's NullPool gives: list the marts tables, read one). Each
read appends one JSON line to OUT: the time, the build id and a fingerprint of every mart, all
read in one connection, or the error. The reader stops when the file STOP exists.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

PAUSE_SECONDS = 0.5


def fingerprint(query: Callable[[str], list[tuple]], tables: list[str]) -> dict[str, list[str]]:
    """Per mart: row count and the sum of row hashes, read through one connection."""
    return {t: [str(v) for v in query(f'select count(*), sum(hash(m)) from marts."{t}" as m')[0]] for t in tables}


def mart_tables(query: Callable[[str], list[tuple]]) -> list[str]:
    return [t for (t,) in query(
        "select table_name from information_schema.tables where table_schema = 'marts' order by table_name")]


def read_duckdb(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    def query(sql: str) -> list[tuple]:
        return con.execute(sql).fetchall()

    build_id = query("select build_id from marts.dim_warehouse_build")[0][0]
    return {"build_id": build_id, "fingerprint": fingerprint(query, mart_tables(query))}


def bi_reader(database: Path) -> Callable[[], dict[str, Any]]:
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(f"duckdb:///{database}", connect_args={"read_only": True}, poolclass=NullPool)

    def read() -> dict[str, Any]:
        tables = sorted(inspect(engine).get_table_names(schema="marts"))
        with engine.connect() as connection:
            def query(sql: str) -> list[tuple]:
                return [tuple(row) for row in connection.execute(text(sql)).fetchall()]

            build_id = query("select build_id from marts.dim_warehouse_build")[0][0]
            periods = query("select * from marts.fct_retention_periods order by period_month")
            return {"build_id": build_id, "tables": tables, "rows_read": len(periods),
                    "fingerprint": fingerprint(query, ["fct_retention_periods"])}

    return read


def run(mode: str, database: Path, out: Path, stop: Path) -> None:
    read: Callable[[], dict[str, Any]]
    if mode == "snapshot":
        kept = duckdb.connect(str(database), read_only=True)
        read = lambda: read_duckdb(kept)  # noqa: E731
    elif mode == "bi":
        read = bi_reader(database)
    else:
        read = lambda: _read_once(database)  # noqa: E731
    record_reads(read, out, stop)


def record_reads(read: Callable[[], dict[str, Any]], out: Path, stop: Path, pause: float = PAUSE_SECONDS) -> None:
    """Read, append the outcome to OUT as one JSON line, pause, until the file STOP exists."""
    with out.open("a") as sink:
        while not stop.exists():
            started = time.time()
            try:
                record = {"ok": True, **read()}
            except Exception as exc:  # every failure is the finding: the test counts them
                record = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            sink.write(json.dumps({"started": started, "ended": time.time(), **record}) + "\n")
            sink.flush()
            time.sleep(pause)


def _read_once(database: Path) -> dict[str, Any]:
    with duckdb.connect(str(database), read_only=True) as con:
        return read_duckdb(con)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["loop", "snapshot", "bi"])
    parser.add_argument("database", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("stop", type=Path)
    args = parser.parse_args()
    run(args.mode, args.database, args.out, args.stop)


if __name__ == "__main__":
    main()
