"""The cross-engine comparison finds every kind of difference and names mart, key and column."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from retention_warehouse.warehouse.targets import QueryResult
from tests.support.mart_diff import compare_mart, mart_keys, normalise, same

ENGINES = ("duckdb", "postgres")


def result(rows: list[tuple], columns: tuple[str, ...] = ("cohort_month", "k", "rate", "at")) -> QueryResult:
    return QueryResult(list(columns), rows)


def test_equal_marts_have_no_differences_whatever_the_row_order() -> None:
    rows = [(date(2024, 1, 1), 0, 1.0, None), (date(2024, 1, 1), 1, 0.25, None), (date(2024, 2, 1), 0, 1.0, None)]
    assert compare_mart("fct", ("cohort_month", "k"), result(rows), result(rows[::-1]), ENGINES) == []


def test_a_value_difference_names_mart_key_and_column() -> None:
    left = result([(date(2024, 1, 1), 1, 0.25, None)])
    right = result([(date(2024, 1, 1), 1, 0.2501, None)])
    [difference] = compare_mart("fct_cohort_retention", ("cohort_month", "k"), left, right, ENGINES)
    assert (difference.mart, difference.key, difference.column) == ("fct_cohort_retention", (date(2024, 1, 1), 1), "rate")
    assert str(difference) == ("fct_cohort_retention [2024-01-01, 1] rate: "
                               "duckdb=Decimal('0.250000') postgres=Decimal('0.250100')")


def test_numbers_are_compared_to_six_decimal_places() -> None:
    assert normalise(0.1 + 0.2) == normalise(Decimal("0.3")) == normalise(0.30000000001)
    assert normalise(0.3) != normalise(0.300001)
    assert normalise(2) == normalise(2.0) == normalise(Decimal("2.00"))
    assert same(normalise(True), True) and not same(normalise(1), normalise(True))


def test_timestamps_are_compared_in_utc() -> None:
    naive_utc = datetime(2024, 3, 1, 9, 30)
    aware = datetime(2024, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    assert normalise(aware) == naive_utc
    left = result([(date(2024, 1, 1), 0, 1.0, naive_utc)])
    right = result([(date(2024, 1, 1), 0, 1.0, aware.astimezone(timezone.utc))])
    assert compare_mart("dim", ("cohort_month", "k"), left, right, ENGINES) == []


def test_missing_rows_duplicate_keys_and_columns_are_differences() -> None:
    left = result([(date(2024, 1, 1), 0, 1.0, None), (date(2024, 1, 1), 0, 1.0, None)])
    right = QueryResult(["cohort_month", "k", "rate"], [(date(2024, 2, 1), 0, 1.0)])
    found = {(d.key, d.column) for d in compare_mart("fct", ("cohort_month", "k"), left, right, ENGINES)}
    assert found == {
        ((), "at"),
        ((date(2024, 1, 1), 0), "(primary key)"),
        ((date(2024, 1, 1), 0), "(row)"),
        ((date(2024, 2, 1), 0), "(row)"),
    }


def test_mart_keys_come_from_primary_key_tests() -> None:
    manifest = {"nodes": {
        "model.p.dim_a": {"resource_type": "model", "schema": "marts", "name": "dim_a"},
        "model.p.fct_b": {"resource_type": "model", "schema": "marts", "name": "fct_b"},
        "model.p.int_c": {"resource_type": "model", "schema": "intermediate", "name": "int_c"},
        "test.p.u": {"resource_type": "test", "attached_node": "model.p.dim_a", "column_name": "a_id",
                     "test_metadata": {"name": "unique", "kwargs": {}}},
        "test.p.c": {"resource_type": "test", "attached_node": "model.p.fct_b", "column_name": None,
                     "test_metadata": {"name": "unique_combination_of_columns",
                                       "kwargs": {"combination_of_columns": ["month", "segment"]}}},
    }}
    assert mart_keys(manifest) == {"dim_a": ("a_id",), "fct_b": ("month", "segment")}
    del manifest["nodes"]["test.p.c"]
    with pytest.raises(ValueError, match="fct_b"):
        mart_keys(manifest)
