"""Docs: every metric, semantic model, measure, dimension and exposure is described, and
`dbt docs generate --static` (what `make docs` runs) builds one HTML file from a read-only connection."""

from __future__ import annotations

from pathlib import Path

from retention_warehouse.config import PROJECT_ROOT
from tests.support.warehouses import run_dbt


def test_metrics_semantic_models_and_exposures_are_described(built_warehouse) -> None:
    manifest = built_warehouse.manifest()
    assert manifest["metrics"] and manifest["semantic_models"] and manifest["exposures"]
    for uid, metric in manifest["metrics"].items():
        assert metric["description"].strip() and metric["label"].strip(), uid
    for uid, model in manifest["semantic_models"].items():
        assert model["description"].strip(), uid
        for part in ("measures", "dimensions"):
            undocumented = [item["name"] for item in model[part] if not (item.get("description") or "").strip()]
            assert not undocumented, f"{uid}: {part} without a description: {undocumented}"
    for uid, exposure in manifest["exposures"].items():
        assert exposure["description"].strip() and exposure["owner"]["name"], uid


def test_time_spine_is_dim_dates(built_warehouse) -> None:
    spine = built_warehouse.manifest()["nodes"]["model.retention_warehouse.dim_dates"]
    assert spine["time_spine"]["standard_granularity_column"] == "date_day"
    (days, first, last), = built_warehouse.query("select count(*), min(date_day), max(date_day) from marts.dim_dates")
    (first_month, as_of), = built_warehouse.query(
        "select first_order_month, as_of_date from intermediate.int_reporting_dates")
    assert (first, last, days) == (first_month, as_of, (as_of - first_month).days + 1)


def test_docs_generate_writes_a_static_site_over_a_read_only_connection(built_warehouse, tmp_path: Path) -> None:
    result = run_dbt(["docs", "generate", "--static", "--target", "duckdb_read_only"], PROJECT_ROOT,
                     built_warehouse.db_path, tmp_path)
    assert result.success, result.exception
    page = (tmp_path / "target" / "static_index.html").read_text()
    assert all(name in page for name in ("crr_pct", "retention_dashboard", "dim_warehouse_build"))
