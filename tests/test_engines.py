"""The same marts on DuckDB, PostgreSQL and Spark, row for row, from the same generated data.

built_warehouse builds the small data set on DuckDB; the engine fixtures copy its raw tables to a
throwaway PostgreSQL cluster and to Spark in local mode and build there as `warehouse build` does.
Every mart (every model in schema marts, keyed by its primary-key test) must then hold the same
rows: sorted by key, numbers to 6 decimal places, timestamps in UTC. A difference names the mart,
the key and the column. The Spark tests run with --spark (make test-spark).
"""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from scripts.cli import app
from scripts.engines import CLV_SELECTOR
from scripts.targets import connect
from tests.conftest import dbt_invoker, duckdb_marts, env
from tests.mart_diff import compare_mart, mart_keys


def assert_build_passed(engine) -> None:
    failed = [f"{step.name}: {step.detail}" for step in engine.result.steps if not step.ok]
    assert engine.result.ok, failed
    names = [step.name for step in engine.result.steps]
    assert names == [f"dbt build --exclude {CLV_SELECTOR}", "warehouse fit-clv", f"dbt build --select {CLV_SELECTOR}"]


def assert_same_marts(built_warehouse, engine) -> None:
    duckdb_query = duckdb_marts(built_warehouse)
    keys = mart_keys(built_warehouse.manifest())
    assert {"dim_customers", "fct_cohort_retention", "fct_clv_model_fit"} <= keys.keys()
    differences = []
    for mart, key in keys.items():
        expected = duckdb_query(f"select * from marts.{mart}")
        assert expected.rows, f"marts.{mart} is empty on DuckDB: nothing would be compared"
        differences += compare_mart(mart, key, expected, engine.query(f"select * from marts.{mart}"),
                                    ("duckdb", engine.target))
    shown = "\n".join(str(d) for d in differences[:25])
    assert not differences, f"{len(differences)} differences between duckdb and {engine.target}:\n{shown}"


def test_postgres_build_passes_every_node(postgres_warehouse) -> None:
    assert_build_passed(postgres_warehouse)


def test_every_mart_is_the_same_on_postgres(built_warehouse, postgres_warehouse) -> None:
    assert_same_marts(built_warehouse, postgres_warehouse)


def test_report_reads_the_same_numbers_from_postgres(built_warehouse, postgres_warehouse) -> None:
    runner = CliRunner()
    on_duckdb = runner.invoke(app, ["report", "--format", "json"], env={"WAREHOUSE_DB_PATH": str(built_warehouse.db_path)})
    with env(**postgres_warehouse.environment):
        on_postgres = runner.invoke(app, ["report", "--format", "json", "--target", "postgres"])
    assert on_duckdb.exit_code == 0 and on_postgres.exit_code == 0, on_postgres.output
    duckdb_numbers, postgres_numbers = json.loads(on_duckdb.stdout), json.loads(on_postgres.stdout)
    assert postgres_numbers.pop("database").startswith("postgresql://")
    duckdb_numbers.pop("database")
    for mean in ("mean_crr_pct", "mean_churn_rate_pct"):  # averages of doubles: summed in another order
        assert math.isclose(postgres_numbers.pop(mean), duckdb_numbers.pop(mean), rel_tol=1e-12)
    assert postgres_numbers == duckdb_numbers


@pytest.fixture(scope="module")
def unbuilt_postgres(built_warehouse, postgres_server) -> dict[str, str]:
    """A second PostgreSQL database holding the raw tables `warehouse export-raw` copied, nothing built."""
    postgres_server.create_database("unbuilt")
    environment = {**postgres_server.environment("unbuilt"), "WAREHOUSE_DB_PATH": str(built_warehouse.db_path)}
    exported = CliRunner().invoke(app, ["export-raw", "--target", "postgres"], env=environment)
    assert exported.exit_code == 0, exported.output
    return environment


def test_cli_export_raw_copies_the_loaded_rows(built_warehouse, unbuilt_postgres) -> None:
    counts = "select count(*), count(distinct order_id), sum(gross_amount), max(_loaded_at) from raw.orders"
    with env(**unbuilt_postgres), connect("postgres") as warehouse:
        assert warehouse.query(counts).rows == duckdb_marts(built_warehouse)(counts).rows


def test_fit_clv_before_the_summaries_exist_says_what_to_run(unbuilt_postgres) -> None:
    fitted = CliRunner().invoke(app, ["fit-clv", "--target", "postgres"], env=unbuilt_postgres)
    message = " ".join(fitted.output.split())  # Rich wraps long lines
    assert fitted.exit_code == 1
    assert "int_customer_transactions_summarised" in message and "warehouse build --target postgres" in message


def test_dbt_alone_stops_at_the_clv_models_and_says_what_to_run(unbuilt_postgres, tmp_path) -> None:
    result = dbt_invoker(tmp_path, unbuilt_postgres)(["build", "--target", "postgres", "--select", "int_clv_models_fitted"])
    assert not result.success
    [node] = [r for r in result.result if r.node.name == "int_clv_models_fitted"]
    assert "warehouse build --target postgres" in " ".join(node.message.split())


@pytest.mark.spark
def test_spark_build_passes_every_node(spark_warehouse) -> None:
    assert_build_passed(spark_warehouse)


@pytest.mark.spark
def test_every_mart_is_the_same_on_spark(built_warehouse, spark_warehouse) -> None:
    assert_same_marts(built_warehouse, spark_warehouse)
