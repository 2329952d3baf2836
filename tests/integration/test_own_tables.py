"""Raw tables where they already live: the sources follow the vars, a table named otherwise maps to
the contract with a view, a table lacking a required column stops the build, and real emails are
never hashed with the public demo salt. (PostgreSQL tables COPY'd by an EL tool: tests/engines.)"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from retention_warehouse.ingest.contract import ENTITY_BY_NAME
from retention_warehouse.ingest.loader import typed_column
from tests.support.el_copy import SHOP_ORDER_COLUMNS
from tests.support.raw_files import query
from tests.support.shared import copy_of
from tests.support.warehouses import CHECKS_AND_STAGING, DB_NAME, PROJECT_ROOT, env, failed_nodes, run_dbt

OWN_VARS = "{retention_raw_schema: shop_el, orders_identifier: orders_contract}"
PII_SALT_ENV = "WAREHOUSE_PII_SALT"


def execute(db_path: Path, *statements: str) -> None:
    with duckdb.connect(str(db_path)) as con:
        for statement in statements:
            con.execute(statement)


def own_tables(db_path: Path, orders_view_columns: str) -> None:
    """Schema shop_el as an EL tool might leave it: views over the landed tables, and the shop's orders
    under its own column names (SHOP_ORDER_COLUMNS) mapped to the contract by view orders_contract."""
    renamed = ", ".join(f"{contract} as {shop}" for contract, shop in SHOP_ORDER_COLUMNS.items())
    folded = [c.name for c in ENTITY_BY_NAME["orders"].columns if typed_column(c) is not None]
    typed = [f"{name}__typed" for name in folded]
    execute(db_path, "create schema shop_el",
            *(f"create view shop_el.{entity} as select * from raw.{entity}"
              for entity in ("customers", "survey_responses", "support_tickets", "campaign_assignments")),
            # An EL tool's table has one column per value: the fast path's typed values folded into the text.
            f"create view shop_el.orders_text as select * exclude ({', '.join(typed)}) replace ("
            f"{', '.join(f'coalesce({c}, cast({c}__typed as varchar)) as {c}' for c in folded)}) from raw.orders",
            f"create table shop_el.shop_orders as select * rename ({renamed}) from shop_el.orders_text",
            f"create view shop_el.orders_contract as select {orders_view_columns} from shop_el.shop_orders")


MAPPING = ("id as order_id, customer_id, created_at as ordered_at, financial_status as status, "
           "total_price as gross_amount, discount_amount, refunded_amount, currency, promised_delivery_date, "
           "actual_delivery_date, updated_at, _source_file, _source_row, _loaded_at")


@pytest.fixture
def own(catalogue_warehouse, tmp_path: Path) -> Path:
    return copy_of(catalogue_warehouse.db_path.parent, tmp_path / "own") / DB_NAME


def test_a_mapped_table_in_another_schema_gives_the_same_verdicts(catalogue_warehouse, own: Path) -> None:
    own_tables(own, MAPPING)
    result = run_dbt([*CHECKS_AND_STAGING, "--vars", OWN_VARS], PROJECT_ROOT, own, own.parent)
    assert result.success, failed_nodes(result)
    rejected = "select * exclude (loaded_at) from marts.fct_rejected_rows order by entity, source_file, source_row"
    assert query(own, rejected) == catalogue_warehouse.query(rejected)
    assert query(own, "select count(*) from staging.stg_shop__orders") == catalogue_warehouse.query(
        "select count(*) from staging.stg_shop__orders")


def test_a_table_without_a_required_column_stops_the_build_before_its_rows_are_judged(own: Path) -> None:
    own_tables(own, MAPPING.replace("financial_status as status, ", ""))
    result = run_dbt([*CHECKS_AND_STAGING, "--vars", OWN_VARS], PROJECT_ROOT, own, own.parent)
    status = {r.node.unique_id: str(r.status) for r in result.result}
    failed = [node for node, outcome in status.items() if outcome == "fail"]
    assert len(failed) == 1 and "contract_columns_present_shop_orders" in failed[0], status
    assert status["model.retention_warehouse.base_shop__orders_checked"] == "skipped"


@pytest.fixture
def real_emails(built_warehouse, tmp_path: Path) -> Path:
    """The built warehouse with one customer's email no longer a demo address."""
    db = copy_of(built_warehouse.db_path.parent, tmp_path / "real") / DB_NAME
    execute(db, "update staging.base_shop__customers_checked set email = 'jane.doe@gmail.com' "
              "where customer_id = (select min(customer_id) from staging.stg_shop__customers)")
    return db


def test_real_emails_are_not_hashed_with_the_demo_salt(real_emails: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PII_SALT_ENV, raising=False)
    demo_hash = query(real_emails, "select email_hash from marts.dim_customers order by customer_id limit 1")
    refused = run_dbt(["run", "--select", "dim_customers"], PROJECT_ROOT, real_emails, real_emails.parent)
    assert not refused.success
    message = " ".join(str(m) for _, _, m in failed_nodes(refused))
    assert f"{PII_SALT_ENV} is not set: refusing to hash 1 customer emails" in message, message
    with env(**{PII_SALT_ENV: "a-secret-of-our-own"}):
        salted = run_dbt(["run", "--select", "dim_customers"], PROJECT_ROOT, real_emails, real_emails.parent)
    assert salted.success, failed_nodes(salted)
    assert query(real_emails, "select email_hash from marts.dim_customers order by customer_id limit 1") != demo_hash
