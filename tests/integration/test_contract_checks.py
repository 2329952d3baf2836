"""The contract checks (dbt models, the same on every engine) on the bad-input catalogue: every bad row
quarantined where the catalogue says, with file, row, column and reason, and no other; every raw row in
exactly one place; valid rows staged with their values; `warehouse validate` giving the same verdicts."""

from __future__ import annotations

import json
from datetime import date, timezone
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from retention_warehouse.cli import app
from tests.support.contract_catalogue import (HOSTILE_FILE_NAME, INSTANT, MIXED_TIME_ZONES, ROW_CLASSES,
                                              STATUS_MAPPINGS, TYPED_FILE, TYPED_ORDERS, BadInput)

runner = CliRunner()


def quarantine(catalogue_warehouse) -> dict[tuple[str, int], tuple[str, str]]:
    rows = catalogue_warehouse.query(
        "select source_file, source_row, column_name, reason from marts.fct_rejected_rows")
    return {(file, row): (column, reason) for file, row, column, reason in rows}


@pytest.mark.parametrize("case", ROW_CLASSES, ids=[case.name for case in ROW_CLASSES])
def test_each_bad_row_is_quarantined_with_its_column_and_reason(catalogue_warehouse, case: BadInput) -> None:
    column, reason = quarantine(catalogue_warehouse)[(case.path, case.row)]
    assert column == case.column
    assert reason.startswith(case.reason), reason


def test_no_other_row_is_quarantined(catalogue_warehouse) -> None:
    assert set(quarantine(catalogue_warehouse)) == set(catalogue_warehouse.catalogue.quarantined)


def test_every_raw_row_is_staged_superseded_or_quarantined_once(catalogue_warehouse) -> None:
    outcomes = dict(((entity, outcome), count) for entity, outcome, count in catalogue_warehouse.outcomes())
    for entity, rows in catalogue_warehouse.catalogue.rows_read.items():
        landed = catalogue_warehouse.query(f"select count(*) from raw.{entity}")[0][0]
        parts = [outcomes.get((entity, outcome), 0) for outcome in ("staged", "superseded", "quarantined")]
        assert landed == rows == sum(parts), (entity, rows, landed, parts)
    assert outcomes[("orders", "superseded")] == 1, "V1's first version"


def test_a_quarantined_row_keeps_the_row_as_it_was_read(catalogue_warehouse) -> None:
    record, entity, key = catalogue_warehouse.query(
        "select raw_record, entity, record_key from marts.fct_rejected_rows where source_file = 'orders/wrong-type.csv'")[0]
    assert "abc" in record and "WT1" in record
    assert (entity, key) == ("orders", "WT1")


def test_mixed_time_zones_are_staged_as_one_utc_instant(catalogue_warehouse) -> None:
    keys = ", ".join(f"'{key}'" for key in MIXED_TIME_ZONES)
    staged = catalogue_warehouse.query(f"select order_id, ordered_at from staging.stg_shop__orders "
                                       f"where order_id in ({keys})")
    assert {row[1] for row in staged} == {INSTANT.replace(tzinfo=None)}
    assert len(staged) == len(MIXED_TIME_ZONES)


def test_statuses_of_the_shops_system_map_to_the_contract(catalogue_warehouse) -> None:
    keys = ", ".join(f"'{key}'" for key in STATUS_MAPPINGS)
    staged = dict(catalogue_warehouse.query(f"select order_id, order_status from staging.stg_shop__orders "
                                            f"where order_id in ({keys})"))
    assert staged == {key: contract for key, (_, contract) in STATUS_MAPPINGS.items()}


def test_a_later_file_is_a_newer_version_and_the_latest_wins(catalogue_warehouse) -> None:
    assert catalogue_warehouse.query("select order_status, source_file from staging.stg_shop__orders "
                                     "where order_id = 'V1'") == [("delivered", "orders/versions-b.csv")]


def test_optional_columns_absent_from_a_file_are_staged_as_null(catalogue_warehouse) -> None:
    assert catalogue_warehouse.query("select promised_delivery_date, actual_delivery_date, currency_code, "
                                     "discount_amount from staging.stg_shop__orders where order_id = 'ND2'") == [
        (None, None, "USD", 0)]
    assert catalogue_warehouse.query("select customer_name, country_code from staging.stg_shop__customers "
                                     "where customer_id = 'C8'") == [(None, None)]


def test_a_file_named_with_quotes_and_semicolons_is_staged_safely(catalogue_warehouse) -> None:
    assert catalogue_warehouse.query("select source_file from staging.stg_shop__orders where order_id = 'HF1'") == [
        (f"orders/{HOSTILE_FILE_NAME}",)]
    assert catalogue_warehouse.query("select count(*) from raw.customers")[0][0] > 0


def test_typed_parquet_takes_the_fast_path_with_the_text_paths_verdicts(catalogue_warehouse) -> None:
    """The typed Parquet file's amounts and dates landed typed (text null), and were judged as text is:
    its bad rows are quarantined with the text path's reasons (test_each_bad_row_is_quarantined... and, on
    the other engines, which land the same file as text, tests/engines/test_contract_checks_engines.py),
    and its good row is staged with its values."""
    assert catalogue_warehouse.query(
        f"select count(*), count(gross_amount__typed), count(gross_amount), count(actual_delivery_date__typed) "
        f"from raw.orders where _source_file = '{TYPED_FILE}'") == [(len(TYPED_ORDERS), len(TYPED_ORDERS) - 1, 0,
                                                                     len(TYPED_ORDERS))]
    found = {row: (column, reason) for file, row, column, reason in catalogue_warehouse.query(
        "select source_file, source_row, column_name, reason from marts.fct_rejected_rows") if file == TYPED_FILE}
    assert found == {row: verdict for row, (_, _, verdict) in enumerate(TYPED_ORDERS.values(), start=1) if verdict}
    assert catalogue_warehouse.query("select gross_amount, discount_amount, actual_delivery_date from "
                                     "staging.stg_shop__orders where order_id = 'TP1'") == [
        (Decimal("100.00"), Decimal("10.00"), date(2025, 2, 5))]


def test_any_timestamp_and_amount_round_trips(catalogue_warehouse) -> None:
    """A deterministic sample of instants written with any quarter-hour offset, and of amounts: staged exactly."""
    got = {order: (ordered_at.replace(tzinfo=timezone.utc).timestamp(), amount) for order, ordered_at, amount in
           catalogue_warehouse.query("select order_id, ordered_at, gross_amount from staging.stg_shop__orders "
                                     "where order_id like 'P%'")}
    assert got == catalogue_warehouse.catalogue.sample


def test_validate_gives_the_checks_verdicts(catalogue_warehouse, tmp_path) -> None:
    """`warehouse validate` (a dry run in a scratch file) names exactly the rows the build quarantined."""
    result = runner.invoke(app, ["validate", "--data-dir", str(catalogue_warehouse.catalogue.data_dir),
                                 "--format", "json", "--limit", "1000"])
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    found = {(f["path"], failure["row"]): (failure["column"], failure["reason"])
             for f in payload["files"] for failure in f["first_failures"]}
    assert found == quarantine(catalogue_warehouse)
    rows = sum(catalogue_warehouse.catalogue.rows_read.values())
    assert payload["totals"] == {"files": len(payload["files"]), "files_failed": 0, "rows_read": rows,
                                 "rows_loaded": rows - len(found), "rows_rejected": len(found)}

