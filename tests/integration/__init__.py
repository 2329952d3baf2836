"""Integration tests: dbt on DuckDB (marts, publishing, reliability, docs, semantic layer, dashboard)."""
