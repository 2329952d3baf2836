"""Targets as profiles.yml describes them, and moving tables between engines without loss."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from retention_warehouse.ingest.loader import load_directory
from retention_warehouse.warehouse.build import dbt_steps
from retention_warehouse.warehouse.project import parse_vars, project_vars
from retention_warehouse.warehouse.raw_export import export_raw, raw_tables
from retention_warehouse.warehouse.targets import (
    DuckDBWarehouse,
    MissingTableError,
    TargetError,
    csv_batches,
    postgres_type,
    target_settings,
)
from tests.support.raw_files import ORDER_HEADER, raw_dir
from tests.support.warehouses import env


def test_targets_read_their_settings_from_the_environment_with_local_defaults() -> None:
    with env(PGHOST="db.internal", PGPORT="6543", WAREHOUSE_DB_PATH="/tmp/elsewhere.duckdb"):
        postgres = target_settings("postgres")
        assert (postgres["host"], int(postgres["port"]), postgres["dbname"]) == ("db.internal", 6543, "retention")
        assert target_settings("duckdb")["path"] == "/tmp/elsewhere.duckdb"
    with env(WAREHOUSE_SPARK_DIR="/data/spark"):
        spark = target_settings("spark")["server_side_parameters"]
    assert spark["spark.sql.warehouse.dir"] == "/data/spark/tables"
    assert spark["spark.sql.session.timeZone"] == "UTC"
    with pytest.raises(TargetError, match="unknown target 'snowflake'"):
        target_settings("snowflake")


def test_a_profiles_file_without_the_target_is_named(tmp_path: Path) -> None:
    (tmp_path / "profiles.yml").write_text("retention_warehouse:\n  outputs:\n    duckdb: {type: duckdb}\n")
    with pytest.raises(TargetError, match=r"profiles.yml: profile retention_warehouse has no output 'spark'"):
        target_settings("spark", tmp_path)


def test_postgres_column_types_keep_every_arrow_type_exactly() -> None:
    assert [postgres_type(t) for t in (pa.string(), pa.int32(), pa.int64(), pa.float64(), pa.bool_(), pa.date32(),
                                       pa.decimal128(18, 2), pa.timestamp("us", tz="UTC"), pa.timestamp("us"))] == [
        "text", "integer", "bigint", "double precision", "boolean", "date", "numeric(18, 2)", "timestamptz", "timestamp"]
    with pytest.raises(TargetError, match="no PostgreSQL type"):
        postgres_type(pa.list_(pa.int32()))


def test_copy_csv_keeps_empty_strings_apart_from_nulls_and_sends_batches() -> None:
    table = pa.table({"s": ["", None, 'say "hi"'], "n": [1.5, None, 0.1 + 0.2],
                      "t": pa.array([datetime(2024, 1, 1, 9, tzinfo=timezone.utc), None, None],
                                    pa.timestamp("us", tz="UTC"))})
    batches = list(csv_batches(table, rows_per_batch=2))
    assert len(batches) == 2
    assert b"".join(batches).decode().splitlines() == [
        '"","1.5","2024-01-01 09:00:00.000000Z"', ",,", '"say ""hi""","0.30000000000000004",']


def test_duckdb_target_replaces_and_reads_tables() -> None:
    with duckdb.connect(":memory:") as con:
        warehouse = DuckDBWarehouse(con)
        warehouse.replace_table("intermediate", "t", pa.table({"a": [1, 2]}))
        warehouse.replace_table("intermediate", "t", pa.table({"a": [3]}))
        assert warehouse.query("select a from intermediate.t").rows == [(3,)]
        with pytest.raises(MissingTableError, match="marts.nope"):
            warehouse.query("select * from marts.nope")


def test_export_raw_copies_every_raw_table_with_types_and_rows(tmp_path: Path) -> None:
    data = raw_dir(tmp_path, [ORDER_HEADER, "O1,C1,2024-02-01T10:00:00+01:00,delivered,100.00,0,0,USD,,",
                              "O2,C404,2024-02-01T10:00:00Z,placed,1.00,0,0,USD,,"])
    with duckdb.connect(str(tmp_path / "w.duckdb")) as source, duckdb.connect(":memory:") as target:
        load_directory(source, data)
        copied = export_raw(source, DuckDBWarehouse(target))
        assert set(copied) == set(raw_tables(source)) >= {"customers", "orders", "load_audit"}
        assert copied["orders"] == 2, "every landed row, the checks judge them on the target"
        query = "select * from raw.orders order by order_id"
        assert target.execute(query).fetchall() == source.execute(query).fetchall()
        described = "select column_name, data_type from information_schema.columns where table_name = 'orders'"
        assert target.execute(described).fetchall() == source.execute(described).fetchall()


def test_export_raw_refuses_an_unloaded_warehouse() -> None:
    with duckdb.connect(":memory:") as source, duckdb.connect(":memory:") as target:
        with pytest.raises(TargetError, match="run `warehouse load` first"):
            export_raw(source, DuckDBWarehouse(target))


def test_build_runs_in_two_parts_off_duckdb() -> None:
    assert [args for _, args in dbt_steps("duckdb", [])] == [["build", "--target", "duckdb"]]
    assert [args[3:] for _, args in dbt_steps("spark", ["--vars", "{a: 1}"])] == [
        ["--exclude", *PYTHON_MODELS, "--vars", "{a: 1}"],
        ["--select", *PYTHON_MODELS, "--vars", "{a: 1}"],
    ]


PYTHON_MODELS = ["int_clv_models_fitted+", "int_customer_clv_predicted+", "int_clv_holdout_predicted+",
                 "int_churn_model_fitted+", "int_customer_churn_scored+"]
"""Every dbt Python model and what reads it: dim_customers reads both the CLV and the churn models."""


def test_vars_are_the_project_defaults_with_overrides() -> None:
    overrides = parse_vars("{clv_time_unit_days: 1, as_of_date: 2025-06-30}")
    variables = project_vars(overrides)
    assert (variables["clv_time_unit_days"], variables["clv_monthly_discount_rate"]) == (1, 0.01)
    assert variables["as_of_date"] == date(2025, 6, 30)
    with pytest.raises(ValueError, match="YAML mapping"):
        parse_vars("[1, 2]")
