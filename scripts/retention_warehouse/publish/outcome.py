"""The publishing interface every engine's strategy shares: what a publish returns, how it fails, build ids.

A strategy (duckdb_file.publish_duckdb_file, postgres_schemas.publish_postgres_schemas) builds and
tests aside, then swaps the tested build in for BI in one atomic step, or leaves the published
build as it was. `retention_warehouse.publish.PUBLISH_STRATEGIES` maps a dbt target to its strategy.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from retention_warehouse.ingest.loader import LoadReport
from retention_warehouse.warehouse.contract_checks import FileVerdict
from retention_warehouse.warehouse.dbt_runner import NodeFailure

BUILD_ID_ENV = "WAREHOUSE_BUILD_ID"
"""The build id dbt writes into dim_warehouse_build: an environment variable, so a publish keeps partial parsing."""
BUILD_TABLE = "marts.dim_warehouse_build"
"""One row: the build id of the marts beside it (the swap checks it is the build just tested)."""


class PublishError(Exception):
    """Publishing could not start or finish; the published build is untouched."""


@dataclass(frozen=True)
class PublishOutcome:
    build_id: str
    published_path: Path | str
    """The published file, or on a server where the published schema is (no password)."""
    work_path: Path | str
    published: bool
    failures: list[NodeFailure] = field(default_factory=list)
    load_report: LoadReport | None = None
    stale_sources: list[NodeFailure] = field(default_factory=list)
    mart_rows: dict[str, int] = field(default_factory=dict)
    verdicts: dict[str, FileVerdict] = field(default_factory=dict)
    """The contract checks' verdict on each file this publish loaded."""


def new_build_id(now: datetime | None = None) -> str:
    """UTC start time plus a random suffix: sortable, and unique across machines."""
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


def mart_row_counts(query: Callable[[str], list[tuple]], schema: str = "marts") -> dict[str, int]:
    """Rows per table of `schema`, read with `query` (SQL in, rows out) on any engine."""
    tables = [t for (t,) in query(
        f"select table_name from information_schema.tables where table_schema = '{schema}' order by table_name")]
    return {t: int(query(f'select count(*) from {schema}."{t}"')[0][0]) for t in tables}
