"""The same marts on DuckDB, PostgreSQL and Spark, row for row, from the same generated data.

built_warehouse builds the small data set on DuckDB; the engine fixtures land the same files on a
throwaway PostgreSQL cluster (COPY, as an EL tool) and on Spark in local mode (Spark reads them) and
build there as `warehouse build` does.
Every mart (every model in schema marts, keyed by its primary-key test) must then hold the same
rows: sorted by key, numbers to 6 decimal places, timestamps in UTC. A difference names the mart,
the key and the column; a mart empty on DuckDB fails too (the generated data has support tickets
and campaign assignments, so the campaign and loyalty marts have rows). After the build, the three
incremental models run incrementally with the target's strategy and must still hold DuckDB's rows.
The Spark tests run with --spark (make test-spark).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from retention_warehouse.cli import app
from retention_warehouse.reporting.dashboard import CHARTS
from retention_warehouse.warehouse.build import FIT_STEP, PYTHON_MODELS_SELECTOR
from retention_warehouse.warehouse.targets import connect
from tests.support.mart_diff import assert_same_marts, compare_mart
from tests.support.warehouses import dbt_invoker, duckdb_marts, env


def assert_build_passed(engine) -> None:
    failed = [f"{step.name}: {step.detail}" for step in engine.result.steps if not step.ok]
    assert engine.result.ok, failed
    names = [step.name for step in engine.result.steps]
    assert names == [f"dbt build --exclude {PYTHON_MODELS_SELECTOR}", FIT_STEP, f"dbt build --select {PYTHON_MODELS_SELECTOR}"]


INCREMENTAL_MODELS = {"int_orders_enriched": ("order_id",),
                      "int_customer_months_spined": ("customer_id", "month_start"),
                      "int_survey_responses_matched": ("response_id",)}
"""The incremental models and the key of their rows."""
STRATEGY_STATEMENT = {"postgres": "delete from", "spark": "insert overwrite table"}
"""What the incremental strategy picked per target (macros/incremental) writes into the run's SQL."""


def assert_incremental_run_keeps_the_rows(built_warehouse, engine) -> None:
    """An incremental run with no new data derives the last days and months again with the target's
    strategy (delete+insert on PostgreSQL, insert_overwrite of partitions on Spark), and the tables
    still hold DuckDB's rows: none lost, none twice."""
    result = dbt_invoker(engine.work, engine.environment)(
        ["run", "--target", engine.target, "--select", *INCREMENTAL_MODELS])
    assert result.success, [(r.node.name, r.message) for r in result.result or []] or result.exception
    run_sql = engine.work / "target" / "run" / "retention_warehouse" / "models" / "intermediate"
    differences = []
    for model, key in INCREMENTAL_MODELS.items():
        compiled, = run_sql.glob(f"*/{model}.sql")  # models/intermediate/<domain>/
        assert STRATEGY_STATEMENT[engine.target] in compiled.read_text().lower(), model
        columns = duckdb_marts(built_warehouse)(f"select * from intermediate.{model} limit 0").columns
        # When a row landed is each engine's own load's time (PostgreSQL copies the files itself),
        # and when it was built each engine's own run's (macro built_at).
        sql = (f"select {', '.join(c for c in columns if not c.endswith('loaded_at') and c != 'built_at')} "
               f"from intermediate.{model}")
        differences += compare_mart(model, key, duckdb_marts(built_warehouse)(sql), engine.query(sql),
                                    ("duckdb", engine.target))
    shown = "\n".join(str(d) for d in differences[:25])
    assert not differences, f"{len(differences)} differences after an incremental run on {engine.target}:\n{shown}"


def test_postgres_build_passes_every_node(postgres_warehouse) -> None:
    assert_build_passed(postgres_warehouse)


def test_incremental_run_on_postgres_keeps_the_rows(built_warehouse, postgres_warehouse) -> None:
    assert_incremental_run_keeps_the_rows(built_warehouse, postgres_warehouse)


def test_every_mart_is_the_same_on_postgres(built_warehouse, postgres_warehouse) -> None:
    assert_same_marts(built_warehouse, postgres_warehouse)


def test_report_reads_the_same_numbers_from_postgres(built_warehouse, postgres_warehouse, tmp_path) -> None:
    runner = CliRunner()
    on_duckdb = runner.invoke(app, ["report", "--format", "json", "--html", str(tmp_path / "duckdb.html")],
                              env={"WAREHOUSE_DB_PATH": str(built_warehouse.db_path)})
    with env(**postgres_warehouse.environment):
        on_postgres = runner.invoke(app, ["report", "--format", "json", "--target", "postgres",
                                          "--html", str(tmp_path / "postgres.html")])
    assert on_duckdb.exit_code == 0 and on_postgres.exit_code == 0, on_postgres.output
    duckdb_numbers, postgres_numbers = json.loads(on_duckdb.stdout), json.loads(on_postgres.stdout)
    assert postgres_numbers.pop("database").startswith("postgresql://")
    duckdb_numbers.pop("database")
    for mean in ("mean_crr_pct", "mean_churn_rate_pct"):  # averages of doubles: summed in another order
        assert math.isclose(postgres_numbers.pop(mean), duckdb_numbers.pop(mean), rel_tol=1e-12)
    pages = {Path(duckdb_numbers.pop("html")), Path(postgres_numbers.pop("html"))}
    assert postgres_numbers == duckdb_numbers
    for page in pages:  # the dashboard too, every chart drawn from the target's marts
        text = page.read_text(encoding="utf-8")
        assert all(f'data-chart="{chart.key}"' in text for chart in CHARTS), page


@pytest.fixture(scope="module")
def unbuilt_postgres(built_warehouse, postgres_server) -> dict[str, str]:
    """A second PostgreSQL database holding the raw tables `warehouse export-raw` copied, nothing built."""
    postgres_server.create_database("unbuilt")
    environment = {**postgres_server.environment("unbuilt"), "WAREHOUSE_DB_PATH": str(built_warehouse.db_path)}
    exported = CliRunner().invoke(app, ["export-raw", "--target", "postgres"], env=environment)
    assert exported.exit_code == 0, exported.output
    return environment


RAW_CHECKS = {
    "orders": "count(*), count(distinct order_id), sum(length(gross_amount)), max(_loaded_at)",
    "support_tickets": "count(*), count(distinct ticket_id), count(distinct opened_at), max(_loaded_at)",
    "campaign_assignments": "count(*), count(distinct assignment_id), count(distinct assigned_at), max(_loaded_at)",
}
"""Per raw entity, numbers that must survive export-raw (the landed text, so no engine's collation or
casts enter); the optional entities feed the campaign and loyalty marts."""


@pytest.mark.parametrize("entity", RAW_CHECKS)
def test_cli_export_raw_copies_the_loaded_rows(built_warehouse, unbuilt_postgres, entity: str) -> None:
    counts = f"select {RAW_CHECKS[entity]} from raw.{entity}"
    on_duckdb = duckdb_marts(built_warehouse)(counts).rows
    assert on_duckdb[0][0] > 0, f"the test data has no {entity}: the marts built from them would be empty"
    with env(**unbuilt_postgres), connect("postgres") as warehouse:
        assert warehouse.query(counts).rows == on_duckdb


@pytest.mark.parametrize("command", ["fit-models", "fit-clv"])
def test_fit_before_the_inputs_exist_says_what_to_run(unbuilt_postgres, command: str) -> None:
    fitted = CliRunner().invoke(app, [command, "--target", "postgres"], env=unbuilt_postgres)
    message = " ".join(fitted.output.split())  # Rich wraps long lines
    assert fitted.exit_code == 1
    assert "int_customer_transactions_summarised" in message and "warehouse build --target postgres" in message


def test_dbt_alone_stops_at_the_python_models_and_says_what_to_run(unbuilt_postgres, tmp_path) -> None:
    models = ["int_clv_models_fitted", "int_churn_model_fitted"]
    result = dbt_invoker(tmp_path, unbuilt_postgres)(["build", "--target", "postgres", "--select", *models])
    assert not result.success
    messages = {r.node.name: " ".join((r.message or "").split()) for r in result.result if r.node.name in models}
    assert messages.keys() == set(models)
    assert all("warehouse build --target postgres" in message for message in messages.values()), messages


@pytest.mark.spark
def test_spark_build_passes_every_node(spark_warehouse) -> None:
    assert_build_passed(spark_warehouse)


@pytest.mark.spark
def test_every_mart_is_the_same_on_spark(built_warehouse, spark_warehouse) -> None:
    assert_same_marts(built_warehouse, spark_warehouse)


@pytest.mark.spark
def test_incremental_run_on_spark_keeps_the_rows(built_warehouse, spark_warehouse) -> None:
    assert_incremental_run_keeps_the_rows(built_warehouse, spark_warehouse)


def test_seeds_hold_no_single_quotes() -> None:
    """dbt-spark's session method writes seed values into SQL literals without escaping: a ' breaks the seed."""
    from retention_warehouse.config import PROJECT_ROOT

    quoted = [f"{path.name}:{n}" for path in sorted((PROJECT_ROOT / "seeds").glob("*.csv"))
              for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if "'" in line]
    assert not quoted, f"seed lines with a single quote (reword them; Spark cannot load them): {quoted}"
