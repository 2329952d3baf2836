"""Write-audit-publish: build and test aside, then swap the tested build in for BI, per engine.

outcome.py is the interface every strategy shares; duckdb_file.py swaps a DuckDB file,
postgres_schemas.py swaps PostgreSQL schemas (bi_role.py keeps the BI role read-only there).
"""

from __future__ import annotations

from collections.abc import Callable

from retention_warehouse.publish.duckdb_file import publish_duckdb_file
from retention_warehouse.publish.outcome import PublishOutcome
from retention_warehouse.publish.postgres_schemas import publish_postgres_schemas

PUBLISH_STRATEGIES: dict[str, Callable[..., PublishOutcome]] = {
    "duckdb": publish_duckdb_file,
    "postgres": publish_postgres_schemas,
}
"""dbt target name -> how to publish on it (`warehouse publish --target`, default $DBT_TARGET)."""
