"""Row-for-row comparison of the marts that two engines built from the same data.

Rows are matched on the mart's primary key (the columns its unique or unique_combination_of_columns
test names, read from dbt's manifest) and sorted by it. Values are compared after normalising:
numbers (integers, decimals, doubles) to 6 decimal places, timestamps to UTC without a time zone,
dates, strings, booleans and nulls as they are. Every difference names the mart, the key and the
column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal

from retention_warehouse.warehouse.targets import QueryResult
from tests.support.warehouses import duckdb_marts

PLACES = Decimal("0.000001")
"""Numbers are compared to 6 decimal places."""


@dataclass(frozen=True)
class Difference:
    mart: str
    key: tuple
    column: str
    values: tuple[object, object]
    engines: tuple[str, str]

    def __str__(self) -> str:
        key = ", ".join(format(part.normalize(), "f") if isinstance(part, Decimal) else str(part)
                        for part in self.key) or "-"
        (left, right), (left_name, right_name) = self.values, self.engines
        return f"{self.mart} [{key}] {self.column}: {left_name}={left!r} {right_name}={right!r}"


def normalise(value: object) -> object:
    """A value as compared: numbers as 6-place decimals, timestamps as naive UTC."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(repr(value) if isinstance(value, float) else value).quantize(PLACES, ROUND_HALF_EVEN)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return value
    raise TypeError(f"cannot compare a value of type {type(value).__name__}: {value!r}")


def same(left: object, right: object) -> bool:
    """Equal normalised values of the same type (so True is not the number 1, nor a date a timestamp)."""
    return type(left) is type(right) and left == right


def _sort_key(key: tuple) -> tuple:
    """Sort keys with nulls first and mixed types kept apart."""
    return tuple((part is not None, type(part).__name__, part) for part in key)


def _rows_by_key(mart: str, key_columns: tuple[str, ...], result: QueryResult, engine: str
                 ) -> tuple[dict[tuple, dict[str, object]], list[Difference]]:
    positions = [result.columns.index(column) for column in key_columns]
    rows: dict[tuple, dict[str, object]] = {}
    problems: list[Difference] = []
    for row in result.rows:
        record = {column: normalise(value) for column, value in zip(result.columns, row)}
        key = tuple(record[result.columns[i]] for i in positions)
        if key in rows:
            problems.append(Difference(mart, key, "(primary key)", ("appears twice", ""), (engine, "")))
        rows[key] = record
    return rows, problems


def compare_mart(mart: str, key_columns: tuple[str, ...], left: QueryResult, right: QueryResult,
                 engines: tuple[str, str]) -> list[Difference]:
    """Every difference between two engines' rows of one mart, in key order."""
    differences: list[Difference] = []
    for column in [c for c in left.columns if c not in right.columns] + [c for c in right.columns if c not in left.columns]:
        differences.append(Difference(mart, (), column, (column in left.columns, column in right.columns), engines))
    missing_keys = [c for c in key_columns if c not in left.columns or c not in right.columns]
    if missing_keys:
        return differences + [Difference(mart, (), c, ("key column missing", ""), engines) for c in missing_keys]
    left_rows, left_problems = _rows_by_key(mart, key_columns, left, engines[0])
    right_rows, right_problems = _rows_by_key(mart, key_columns, right, engines[1])
    differences += left_problems + right_problems
    shared_columns = [c for c in left.columns if c in right.columns]
    for key in sorted(left_rows.keys() | right_rows.keys(), key=_sort_key):
        if key not in right_rows or key not in left_rows:
            differences.append(Difference(mart, key, "(row)", (key in left_rows, key in right_rows), engines))
            continue
        for column in shared_columns:
            if not same(left_rows[key][column], right_rows[key][column]):
                differences.append(Difference(mart, key, column, (left_rows[key][column], right_rows[key][column]),
                                              engines))
    return differences


def mart_keys(manifest: dict) -> dict[str, tuple[str, ...]]:
    """Every model built into schema `marts`, with the columns of its primary-key test."""
    keys: dict[str, tuple[str, ...]] = {}
    marts = {uid: node for uid, node in manifest["nodes"].items()
             if node["resource_type"] == "model" and node["schema"] == "marts"}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or node.get("attached_node") not in marts:
            continue
        meta = node.get("test_metadata") or {}
        name = marts[node["attached_node"]]["name"]
        if meta.get("name") == "unique" and node.get("column_name"):
            keys.setdefault(name, (node["column_name"],))
        elif meta.get("name") == "unique_combination_of_columns":
            keys[name] = tuple(meta["kwargs"]["combination_of_columns"])
    unkeyed = sorted({node["name"] for node in marts.values()} - keys.keys())
    if unkeyed:
        raise ValueError(f"marts without a primary-key test cannot be compared row for row: {', '.join(unkeyed)}")
    return dict(sorted(keys.items()))


PER_BUILD_COLUMNS = {"dim_warehouse_build": ("build_id", "built_at"), "fct_rejected_rows": ("loaded_at",)}
"""Columns that name the build or the load itself (by design different per build): compared without them,
on the mart's other columns (for dim_warehouse_build: its one row's as-of date, last complete month, dbt
version; for fct_rejected_rows: everything but when the row landed, which each engine's load sets)."""


def mart_select(mart: str, columns: list[str]) -> str:
    skipped = PER_BUILD_COLUMNS.get(mart, ())
    return f"select {', '.join(c for c in columns if c not in skipped)} from marts.{mart}"


def assert_same_marts(built_warehouse, engine) -> None:
    """Every mart of the DuckDB fixture build equals `engine`'s (anything with .query(sql) and .target), row for row."""
    duckdb_query = duckdb_marts(built_warehouse)
    keys = mart_keys(built_warehouse.manifest())
    assert {"dim_customers", "fct_cohort_retention", "fct_clv_model_fit", "fct_churn_risk", "fct_nps"} <= keys.keys()
    differences = []
    for mart, key in keys.items():
        if set(key) & set(PER_BUILD_COLUMNS.get(mart, ())):
            key = ()
        sql = mart_select(mart, duckdb_query(f"select * from marts.{mart}").columns)
        expected = duckdb_query(sql)
        assert expected.rows, f"marts.{mart} is empty on DuckDB: nothing would be compared"
        differences += compare_mart(mart, key, expected, engine.query(sql), ("duckdb", engine.target))
    shown = "\n".join(str(d) for d in differences[:25])
    assert not differences, f"{len(differences)} differences between duckdb and {engine.target}:\n{shown}"
