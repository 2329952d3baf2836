"""End to end: generated data, loaded, built with `dbt build` (models, seeds, data and unit tests)."""

from __future__ import annotations


def test_dbt_build_passes_every_node(built_warehouse) -> None:
    assert built_warehouse.build.ok, built_warehouse.build.failures
    results = built_warehouse.run_results()
    failures = [(r["unique_id"], r["status"], r["message"]) for r in results
                if r["status"] in ("error", "fail", "runtime error", "skipped")]
    assert not failures, failures
    assert {"model", "seed", "test", "unit_test"} <= {r["unique_id"].split(".")[0] for r in results}


def test_layers_land_in_their_own_schemas(built_warehouse) -> None:
    schemas = {s for (s,) in built_warehouse.query("select distinct table_schema from information_schema.tables")}
    assert {"raw", "staging", "reference"} <= schemas
    assert not any(s.startswith("main_") for s in schemas), schemas


def test_staging_keeps_exactly_one_row_per_valid_loaded_key(built_warehouse) -> None:
    """One staged row per key of which at least one raw row passed the contract."""
    for model, table, key in [
        ("stg_shop__customers", "customers", "customer_id"),
        ("stg_shop__orders", "orders", "order_id"),
        ("stg_survey__responses", "survey_responses", "response_id"),
        ("stg_support__tickets", "support_tickets", "ticket_id"),
        ("stg_crm__campaign_assignments", "campaign_assignments", "assignment_id"),
    ]:
        checked = model.replace("stg_", "base_", 1) + "_checked"
        staged = built_warehouse.query(f"select count(*) from staging.{model}")[0][0]
        valid_keys = built_warehouse.query(
            f"select count(distinct {key}) from staging.{checked} where row_outcome <> 'quarantined'")[0][0]
        raw_keys = built_warehouse.query(f"select count(distinct trim({key})) from raw.{table}")[0][0]
        assert staged == valid_keys > 0, model
        assert valid_keys <= raw_keys, model


def test_late_arriving_versions_win_in_staging(built_warehouse) -> None:
    """Orders first extracted as 'shipped' and later as 'delivered' are 'delivered' in staging."""
    rows = built_warehouse.query("""
        select s.order_status, count(*)
        from staging.stg_shop__orders s
        join raw.orders early on early.order_id = s.order_id and early.status = 'shipped'
        join raw.orders late on late.order_id = s.order_id and late.status = 'delivered'
        group by 1
    """)
    assert rows and dict(rows) == {"delivered": dict(rows)["delivered"]}


def test_staging_timestamps_are_utc_and_emails_normalised(built_warehouse) -> None:
    mismatched = built_warehouse.query("""
        select count(*) from staging.stg_shop__orders s
        join raw.orders r on r.order_id = s.order_id and r._source_file = s.source_file and r._source_row = s.source_row
        where s.ordered_at <> timezone('UTC', try_cast(r.ordered_at as timestamptz))
    """)[0][0]
    assert mismatched == 0
    assert built_warehouse.query(
        "select count(*) from staging.stg_survey__responses where email <> lower(trim(email))")[0][0] == 0
