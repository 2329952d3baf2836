"""The retention marts agree with an independent implementation, to the customer and to the cent."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from tests.support.crosscheck import Marts, NpsMarts, compute, compute_nps


@pytest.fixture(scope="module")
def expected(built_warehouse) -> Marts:
    return compute(built_warehouse.db_path)


def same(actual: object, wanted: object) -> bool:
    if wanted is None or actual is None:
        return actual is None and wanted is None
    if isinstance(wanted, float):
        return math.isclose(float(actual), wanted, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(wanted, Decimal):
        return Decimal(actual) == wanted
    return actual == wanted


def compare(rows: dict, expected: dict, mart: str) -> None:
    assert rows.keys() == expected.keys(), f"{mart}: keys differ: {sorted(rows.keys() ^ expected.keys())[:5]}"
    for key, want in expected.items():
        for column, value in want.items():
            assert same(rows[key][column], value), f"{mart} {key} {column}: {rows[key][column]!r} != {value!r}"


def fetch(built_warehouse, sql: str, key_columns: int) -> dict:
    with_names = built_warehouse.query(f"select * from ({sql})")
    names = [c for (c,) in built_warehouse.query(f"select column_name from (describe ({sql}))")]
    rows = {}
    for row in with_names:
        record = dict(zip(names, row))
        key = row[0] if key_columns == 1 else tuple(row[:key_columns])
        rows[key] = record
    return rows


def test_cohort_retention_matches(built_warehouse, expected: Marts) -> None:
    rows = fetch(built_warehouse, "select * from marts.fct_cohort_retention", 2)
    compare(rows, expected.cohort_retention, "fct_cohort_retention")
    assert any(r["active_customers"] == 0 for r in rows.values()) or len(rows) > 100


def test_retention_periods_match(built_warehouse, expected: Marts) -> None:
    rows = fetch(built_warehouse, "select * from marts.fct_retention_periods", 1)
    compare(rows, expected.retention_periods, "fct_retention_periods")
    assert sum(r["reactivated_customers"] for r in rows.values()) > 0, "the data must exercise reactivation"


def test_customers_match(built_warehouse, expected: Marts) -> None:
    rows = fetch(built_warehouse, "select * from marts.dim_customers where order_count > 0", 1)
    compare(rows, expected.customers, "dim_customers")
    statuses = {r["lifecycle_status"] for r in rows.values()}
    assert {"churned", "active"} <= statuses


def test_no_raw_email_or_name_in_marts(built_warehouse) -> None:
    columns = built_warehouse.query(
        "select table_name, column_name from information_schema.columns where table_schema = 'marts'")
    for table, column in columns:
        leaked = built_warehouse.query(
            f'select count(*) from marts."{table}" where cast("{column}" as varchar) like \'%@%\'')[0][0]
        assert leaked == 0, f"marts.{table}.{column} holds email-like values"


@pytest.fixture(scope="module")
def expected_nps(built_warehouse) -> NpsMarts:
    return compute_nps(built_warehouse.db_path)


def test_survey_responses_match_and_dedupe(built_warehouse, expected_nps: NpsMarts) -> None:
    rows = fetch(built_warehouse, """
        select response_id, customer_id, match_method, is_matched, score, nps_category, responded_at
        from marts.fct_survey_responses""", 1)
    compare(rows, expected_nps.responses, "fct_survey_responses")
    duplicates = dict(built_warehouse.query("""
        select response_id, superseded_by_response_id
        from intermediate.int_survey_responses_deduplicated where is_duplicate"""))
    assert duplicates == expected_nps.duplicates
    methods = {r["match_method"] for r in rows.values()}
    assert {"customer_id", "email", "email_plus_address", "unmatched"} <= methods, "the data must exercise matching"
    assert duplicates, "the data must exercise the dedupe rule"


def test_nps_matches_for_all_and_country(built_warehouse, expected_nps: NpsMarts) -> None:
    rows = fetch(built_warehouse, "select * from marts.fct_nps where segment_type in ('all', 'country')", 3)
    compare(rows, expected_nps.nps, "fct_nps")
    assert any(r["responses"] == 0 for r in rows.values()) or len(rows) > 30
