"""The bad-input catalogue's row-level classes judged on PostgreSQL and Spark exactly as on DuckDB.

The catalogue (tests/support/contract_catalogue.py) is landed the way each engine gets raw data: on
PostgreSQL COPY'd into raw tables as an EL tool leaves them (tests/support/el_copy.py: text and typed
columns, the orders under the shop's names behind a mapping view), on Spark read by Spark itself
(`warehouse load --target spark`'s ingestion, in schemas of their own through var schema_prefix).
Then the contract checks, the quarantine and the staging views are built there with their data tests
(the per-entity reconciliation among them), and must give DuckDB's verdicts: the same rows
quarantined with the same column, reason, file, row and raw record, the same rows staged,
superseded and quarantined per entity, and the same staged values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from retention_warehouse.ingest.loader import load_directory
from retention_warehouse.ingest.spark_landing import SparkLanding
from retention_warehouse.warehouse.targets import QueryResult, connect
from tests.support.contract_catalogue import Catalogue, write_catalogue
from tests.support.el_copy import copy_raw
from tests.support.mart_diff import compare_mart
from tests.support.warehouses import CHECKS_AND_STAGING, dbt_invoker, duckdb_marts, env, failed_nodes

SPARK_PREFIX = "catalogue_"
"""The Spark catalogue's schemas (catalogue_raw, catalogue_staging, ...) beside the Spark warehouse's."""
CHECKED = {"customers": "base_shop__customers_checked", "orders": "base_shop__orders_checked",
           "survey_responses": "base_survey__responses_checked", "support_tickets": "base_support__tickets_checked",
           "campaign_assignments": "base_crm__campaign_assignments_checked"}
"""Each raw entity's check model (in the staging schema)."""
QUARANTINE_COLUMNS = "entity, record_key, column_name, reason, source_file, source_row, raw_record"
STAGED = {"stg_shop__orders": ("order_id", "order_id, customer_id, ordered_at, order_status, gross_amount, "
                                            "discount_amount, currency_code, actual_delivery_date, source_file"),
          "stg_shop__customers": ("customer_id", "customer_id, email, customer_name, country_code, signed_up_at, source_file")}
"""Staging views whose rows must be DuckDB's: key and the columns compared."""


@dataclass
class EngineCatalogue:
    target: str
    environment: dict[str, str]
    catalogue: Catalogue
    build_failures: list[tuple[str, str, str]]
    prefix: str = ""

    def query(self, sql: str) -> QueryResult:
        with env(**self.environment), connect(self.target) as warehouse:
            return warehouse.query(sql)

    def schema(self, name: str) -> str:
        return f"{self.prefix}{name}"


def judge(target: str, environment: dict[str, str], catalogue: Catalogue, work: Path,
          prefix: str = "") -> EngineCatalogue:
    args = [*CHECKS_AND_STAGING, "--target", target]
    if prefix:
        args += ["--vars", f"{{schema_prefix: {prefix}, retention_raw_schema: {prefix}raw}}"]
    return EngineCatalogue(target, environment, catalogue, failed_nodes(dbt_invoker(work, environment)(args)), prefix)


@pytest.fixture(scope="module")
def postgres_catalogue(postgres_server, tmp_path_factory: pytest.TempPathFactory) -> EngineCatalogue:
    postgres_server.create_database("catalogue")
    environment = postgres_server.environment("catalogue")
    catalogue = write_catalogue(tmp_path_factory.mktemp("catalogue-postgres") / "raw")
    copy_raw(environment, catalogue.data_dir)
    return judge("postgres", environment, catalogue, tmp_path_factory.mktemp("catalogue-postgres-dbt"))


@pytest.fixture(scope="module")
def spark_catalogue(spark_environment: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> EngineCatalogue:
    catalogue = write_catalogue(tmp_path_factory.mktemp("catalogue-spark") / "raw")
    with env(**spark_environment), connect("spark") as warehouse:
        report = load_directory(SparkLanding(warehouse.session, f"{SPARK_PREFIX}raw"), catalogue.data_dir)
    assert not report.failed, report.failed
    return judge("spark", spark_environment, catalogue, tmp_path_factory.mktemp("catalogue-spark-dbt"), SPARK_PREFIX)


ENGINES = [pytest.param("postgres_catalogue", id="postgres"),
           pytest.param("spark_catalogue", id="spark", marks=pytest.mark.spark)]


@pytest.fixture(params=ENGINES)
def engine(request) -> EngineCatalogue:
    return request.getfixturevalue(request.param)


def test_the_checks_build_and_their_tests_pass(engine) -> None:
    """The checks, the quarantine, the staging views and their data tests, the reconciliation among them."""
    assert not engine.build_failures, engine.build_failures


def test_each_bad_row_is_quarantined_where_the_catalogue_says(engine) -> None:
    found = {(file, row): (column, reason) for file, row, column, reason in engine.query(
        f"select source_file, source_row, column_name, reason from {engine.schema('marts')}.fct_rejected_rows").rows}
    assert found.keys() == engine.catalogue.quarantined.keys()
    wrong = {place: (found[place], expected) for place, expected in engine.catalogue.quarantined.items()
             if found[place][0] != expected[0] or not found[place][1].startswith(expected[1])}
    assert not wrong, wrong


def test_the_quarantine_is_duckdbs_row_for_row(engine, catalogue_warehouse) -> None:
    sql = f"select {QUARANTINE_COLUMNS} from {{schema}}.fct_rejected_rows"
    expected = duckdb_marts(catalogue_warehouse)(sql.format(schema="marts"))
    assert len(expected.rows) == len(engine.catalogue.quarantined)
    differences = compare_mart("fct_rejected_rows", ("source_file", "source_row"), expected,
                               engine.query(sql.format(schema=engine.schema("marts"))), ("duckdb", engine.target))
    assert not differences, "\n".join(str(d) for d in differences[:20])


def test_every_raw_row_ends_where_it_ends_on_duckdb(engine, catalogue_warehouse) -> None:
    """Per entity, the rows staged, superseded and quarantined, and that they add up to the rows landed."""
    on_duckdb = {(entity, outcome): count for entity, outcome, count in catalogue_warehouse.outcomes()}
    here = {}
    for entity, model in CHECKED.items():
        for outcome, count in engine.query(f"select row_outcome, count(*) from {engine.schema('staging')}.{model} "
                                           "group by row_outcome").rows:
            here[(entity, outcome)] = count
        assert sum(n for (e, _), n in here.items() if e == entity) == engine.catalogue.rows_read[entity], entity
    assert here == on_duckdb


@pytest.mark.parametrize("view", STAGED)
def test_staged_rows_are_duckdbs(engine, catalogue_warehouse, view: str) -> None:
    """Time zones, mapped statuses, versions, absent optional columns and the sample's instants and amounts."""
    key, columns = STAGED[view]
    sql = f"select {columns} from {{schema}}.{view}"
    differences = compare_mart(view, (key,), duckdb_marts(catalogue_warehouse)(sql.format(schema="staging")),
                               engine.query(sql.format(schema=engine.schema("staging"))), ("duckdb", engine.target))
    assert not differences, "\n".join(str(d) for d in differences[:20])
