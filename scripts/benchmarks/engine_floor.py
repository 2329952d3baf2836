"""The engine floor: the build's own SQL and Python, run without dbt and without tests.

From the manifest of a full `dbt build` (which holds every node's compiled code), every seed and
model runs in dependency order in one DuckDB connection, each as a table: a seed read from its CSV
with its configured column types, a SQL model as `create table ... as <compiled SQL>`, a Python model
by calling its compiled `model(dbt, session)` as dbt-duckdb does. Ephemeral models are inlined in
their children's compiled SQL already. No parsing, no graph, no data or unit tests, no hooks (the
two pre-hooks only refuse a default PII salt), no contracts, no run artifacts: what the build's
relations cost on this engine. `full build / engine floor` is then what dbt's orchestration and the
tests add, on all the marts, plus two differences of materialisation: the nine views (staging and
four intermediate models) become tables here, and the marts' enforced contracts (a typed `create
table` then an insert, in dbt-duckdb) become a plain `create table as`.

The connection must be a DuckDB file with the build's file name (the compiled code names the catalog
after it) and the raw tables landed the same way (`warehouse load --no-check`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from retention_warehouse.sql import quote_literal

RUNS = ("seed", "model")
"""The resource types the engine floor builds (tests, analyses and exposures are not work on data)."""


def load_manifest(target_dir: Path) -> dict[str, Any]:
    manifest = json.loads((target_dir / "manifest.json").read_text())
    missing = [uid for uid, node in buildable(manifest).items()
               if node["resource_type"] == "model" and not node.get("compiled_code")]
    if missing:
        raise ValueError(f"{target_dir / 'manifest.json'} has no compiled code for {len(missing)} models (say "
                         f"{missing[0]}): give the manifest of a `dbt build` that built every model")
    return manifest


def buildable(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The seeds and models that become relations (ephemeral models do not)."""
    return {uid: node for uid, node in manifest["nodes"].items()
            if node["resource_type"] in RUNS and node["config"].get("enabled", True)
            and node["config"]["materialized"] != "ephemeral"}


def build_order(manifest: dict[str, Any]) -> list[str]:
    """Every buildable node after the buildable nodes it depends on (through ephemeral ones too); ties by id."""
    nodes = buildable(manifest)
    every = manifest["nodes"]

    def parents(uid: str, seen: frozenset[str] = frozenset()) -> set[str]:
        found: set[str] = set()
        for parent in every[uid]["depends_on"].get("nodes", []):
            if parent in nodes:
                found.add(parent)
            elif parent in every and parent not in seen:  # an ephemeral model: its own parents
                found |= parents(parent, seen | {parent})
        return found

    waiting = {uid: parents(uid) for uid in nodes}
    order: list[str] = []
    while waiting:
        ready = sorted(uid for uid, needs in waiting.items() if not needs)
        if not ready:
            raise ValueError(f"the manifest's graph has a cycle among {sorted(waiting)[:5]}")
        for uid in ready:
            del waiting[uid]
        for needs in waiting.values():
            needs.difference_update(ready)
        order += ready
    return order


def _schema_of(relation_name: str) -> str:
    """'"db"."schema"' of a relation name '"db"."schema"."name"'."""
    return relation_name.rsplit(".", 1)[0]


def seed_sql(node: dict[str, Any]) -> str:
    path = Path(node["root_path"]) / node["original_file_path"]
    types = ", ".join(f"{quote_literal(column)}: {quote_literal(kind)}"
                      for column, kind in node["config"].get("column_types", {}).items())
    return f"select * from read_csv({quote_literal(str(path))}, header = true, types = {{{types}}})"


def run_python_model(con: duckdb.DuckDBPyConnection, node: dict[str, Any]) -> None:
    """The compiled Python model, called as dbt-duckdb calls it; its frame or relation becomes the table."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(node["compiled_code"].lstrip())
    try:
        spec = importlib.util.spec_from_file_location(node["alias"], handle.name)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        cursor = con.cursor()
        result = module.model(module.dbtObj(lambda name: cursor.query(f"select * from {name}")), cursor)
    finally:
        Path(handle.name).unlink()
    frame = "engine_floor_frame"
    if isinstance(result, duckdb.DuckDBPyRelation):
        result.create_view(frame)
    else:
        cursor.register(frame, result)
    cursor.execute(f"create table {node['relation_name']} as select * from {frame}")
    if isinstance(result, duckdb.DuckDBPyRelation):
        cursor.execute(f"drop view {frame}")
    else:
        cursor.unregister(frame)


def run_node(con: duckdb.DuckDBPyConnection, node: dict[str, Any]) -> None:
    con.execute(f"create schema if not exists {_schema_of(node['relation_name'])}")
    con.execute(f"drop table if exists {node['relation_name']}")
    if node["resource_type"] == "seed":
        con.execute(f"create table {node['relation_name']} as {seed_sql(node)}")
    elif node["language"] == "python":
        run_python_model(con, node)
    else:
        con.execute(f"create table {node['relation_name']} as {node['compiled_code']}")


def run_engine_floor(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any],
                     on_node: Callable[[str, float], None] | None = None) -> dict[str, float]:
    """Build every seed and model of `manifest` in `con`; seconds per node, in build order."""
    seconds: dict[str, float] = {}
    for uid in build_order(manifest):
        node = manifest["nodes"][uid]
        started = time.perf_counter()
        try:
            run_node(con, node)
        except Exception as exc:
            raise RuntimeError(f"engine floor: {uid} failed: {exc}") from exc
        seconds[uid] = time.perf_counter() - started
        if on_node is not None:
            on_node(uid, seconds[uid])
    return seconds


def connect(db_path: Path) -> duckdb.DuckDBPyConnection:
    """A connection with the settings profiles.yml gives dbt-duckdb's, so the SQL means the same:
    the memory limit, and UTC (set by SQL, which loads the icu extension it needs)."""
    con = duckdb.connect(str(db_path), config={"memory_limit": os.environ.get("WAREHOUSE_DUCKDB_MEMORY_LIMIT", "3GB")})
    con.execute("set TimeZone = 'UTC'")
    return con


def main(argv: list[str]) -> int:
    """`python -m benchmarks.engine_floor DB TARGET_DIR`: the engine floor on a landed DuckDB file."""
    db_path, target_dir = Path(argv[0]), Path(argv[1])
    manifest = load_manifest(target_dir)
    with connect(db_path) as con:
        seconds = run_engine_floor(con, manifest)
    slowest = sorted(seconds.items(), key=lambda item: item[1], reverse=True)[:5]
    print(f"engine floor: {len(seconds)} nodes, {sum(seconds.values()):.1f} s; slowest "
          + ", ".join(f"{uid.split('.')[-1]} {s:.1f} s" for uid, s in slowest))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
