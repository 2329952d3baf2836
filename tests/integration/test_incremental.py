"""Incremental runs equal a --full-refresh build of the same data, to the row.

Days 1..n are loaded and built; then one delivery appends the held-back days with late orders,
refunds, status changes and cancelled first orders (scripts/retention_warehouse/demo/increment.py), crossing a month
boundary so that a month completes. The incremental build and a --full-refresh build of a copy of
the same warehouse must hold identical tables in every schema dbt builds (doubles to 1e-9
relative: a parallel sum adds in any order). The month is new, so the CLV and churn models are
fitted again (python_models/refit.py).

A second delivery within that month keeps the stored fits: its build equals a --full-refresh of
everything but the two fits, which keep what the first delivery's run fitted. With it, the first
delivery's orders file comes again without every tenth row (late orders vanish, older versions of
changed orders are the latest again) and its survey file is removed: the incremental contract checks
(macro contract_checked) judge again the keys of replaced and removed files. A last run then
rescores old answers and replaces the old tickets file without every tenth ticket, changing no
order: the churn training snapshots' orders are those built, their answers and complaints are not
(int_customer_churn_signals_computed must find them by comparing row by row).
"""

from __future__ import annotations

import math
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from retention_warehouse.config import PROJECT_ROOT
from retention_warehouse.demo.generator import GeneratorConfig, generate
from retention_warehouse.demo.increment import split_increment
from retention_warehouse.ingest.loader import load_directory
from retention_warehouse.sql import quote_literal
from tests.support.warehouses import WITHOUT_UNIT_TESTS, env, run_dbt

BUILT_SCHEMAS = ("staging", "intermediate", "marts")


def load(db_path: Path, data_dir: Path, remove_missing: bool = False) -> None:
    with duckdb.connect(str(db_path)) as con:
        report = load_directory(con, data_dir, remove_missing=remove_missing)
    assert not report.failed, report.failed


def numbered(path: Path) -> str:
    """A Parquet file's rows with n, their number, as SQL."""
    return f"(select *, row_number() over () as n from read_parquet({quote_literal(str(path))}))"


def rewrite(path: Path, rows: str) -> None:
    """Write a Parquet file again as the rows the SQL `rows` selects (from numbered(path))."""
    kept = Path(f"{path}.kept")
    with duckdb.connect() as con:
        con.execute(f"copy ({rows}) to {quote_literal(str(kept))} (format parquet)")
    kept.replace(path)


def without_rows(path: Path, key: str, also: str = "false") -> set[str]:
    """Write a Parquet file again without every tenth row and the rows `also` (SQL) names; return
    those rows' keys."""
    left_out = f"n % 10 = 0 or {also}"
    with duckdb.connect() as con:
        dropped = {i for (i,) in con.execute(f"select {key} from {numbered(path)} where {left_out}").fetchall()}
    rewrite(path, f"select * exclude (n) from {numbered(path)} where not ({left_out})")
    return dropped


def rescored(path: Path) -> int:
    """Write a survey file again with every tenth answer's score s as 10 - s (a promoter becomes a
    detractor); return how many answers changed category."""
    with duckdb.connect() as con:
        changed = con.execute(f"select count(*) from {numbered(path)} where n % 10 = 0 "
                              "and score not between 4 and 6 and score is not null").fetchone()[0]
    rewrite(path, "select * exclude (n) replace (case when n % 10 = 0 then 10 - score else score end as score) "
                  f"from {numbered(path)}")
    return changed


def replace_and_remove(data_dir: Path) -> tuple[str, set[str], set[str], set[str]]:
    """Write the first delivery's orders and customers files again without every tenth row (new
    sign-ups vanish, so their orders lose their customer; changed accounts are back at their earlier
    email) and remove its survey file; return the replaced orders file, the ids left out of the two
    files and the removed answers' ids."""
    orders, = (data_dir / "orders").glob("orders-increment-*.parquet")
    customers, = (data_dir / "customers").glob("customers-increment-*.parquet")
    surveys, = (data_dir / "survey_responses").glob("survey_responses-increment-*.parquet")
    earlier = [quote_literal(str(f)) for f in (data_dir / "customers").glob("*.parquet") if f != customers]
    # three sign-ups of the delivery who ordered in it
    signed_up_and_ordered = (f"customer_id in (select customer_id from read_parquet({quote_literal(str(orders))}) "
                             f"where customer_id not in (select customer_id from read_parquet([{', '.join(earlier)}])) "
                             "order by customer_id limit 3)")
    dropped_customers = without_rows(customers, "customer_id", signed_up_and_ordered)
    dropped_orders = without_rows(orders, "order_id")
    with duckdb.connect() as con:
        removed = {i for (i,) in con.execute(
            f"select response_id from read_parquet({quote_literal(str(surveys))})").fetchall()}
    surveys.unlink()
    return orders.relative_to(data_dir).as_posix(), dropped_orders, dropped_customers, removed


def build(args: list[str], db_path: Path, work: Path) -> None:
    result = run_dbt(args, PROJECT_ROOT, db_path, work)
    failures = [(r.node.unique_id, r.message) for r in result.result or [] if str(r.status) not in ("success", "pass")]
    assert result.success, failures or result.exception


def built_tables(db_path: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_type = 'BASE TABLE' and table_schema in {BUILT_SCHEMAS} "
            # dim_warehouse_build names the build, so it differs between any two builds by design.
            "and table_name <> 'dim_warehouse_build' order by 1, 2"
        ).fetchall()


def rows_of(db_path: Path, schema: str, table: str) -> list[tuple]:
    """Every row, ordered by the exact columns first (doubles last: their last bits may differ).
    Without built_at, the time of the run that wrote the row (macro built_at)."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        types = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? and column_name <> 'built_at' "
            "order by ordinal_position", [schema, table]).fetchall()
        exact = [f'"{name}"' for name, kind in types if kind not in ("DOUBLE", "FLOAT")]
        inexact = [f'"{name}"' for name, kind in types if kind in ("DOUBLE", "FLOAT")]
        columns = ", ".join(exact + inexact)
        return con.execute(f"select {columns} from {schema}.{table} order by {columns}").fetchall()


def same(left: object, right: object) -> bool:
    """Equal, where a double may differ in its last bits: a parallel sum adds in any order."""
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12)
    return left == right


def differences(left: Path, right: Path, schema: str, table: str) -> int:
    """Rows that differ between the two builds of one table."""
    one, other = rows_of(left, schema, table), rows_of(right, schema, table)
    if len(one) != len(other):
        return abs(len(one) - len(other)) or 1
    return sum(1 for a, b in zip(one, other) if not all(same(x, y) for x, y in zip(a, b)))


def customer_orders(db_path: Path) -> dict[str, tuple]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return {c: (cohort, n) for c, cohort, n in con.execute(
            "select customer_id, cohort_month, order_count from marts.dim_customers").fetchall()}


@pytest.fixture(scope="module")
def incremental_and_full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, tuple, tuple]:
    work = tmp_path_factory.mktemp("incremental")
    data_dir = work / "raw"
    # Ends on 4 July. The last two days are a second delivery within July (fixture within_a_month).
    # The three days before them complete June, so a month rolls over; their late window reaches
    # back into May, so cancelled first orders move cohorts from May to June.
    generate(GeneratorConfig(customers=1_500, seed=11, end=date(2025, 7, 4)), data_dir)
    split_increment(data_dir, work / "increment2", days=2, late_days=5)
    summary = split_increment(data_dir, work / "increment", days=3, late_days=40, cancel_first_order_pct=60)
    assert summary.late_orders and summary.changed_orders and summary.new_rows["orders"]
    assert summary.changed_emails and summary.claiming_signups

    incremental_db = work / "incremental" / "retention.duckdb"
    incremental_db.parent.mkdir()
    load(incremental_db, data_dir)
    build(["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"],
          incremental_db, work / "first")
    before = customer_orders(incremental_db), survey_matches(incremental_db)

    shutil.copytree(work / "increment", data_dir, dirs_exist_ok=True)
    load(incremental_db, data_dir)
    with env(**WITHOUT_UNIT_TESTS):
        build(["build"], incremental_db, work / "second")
    after = customer_orders(incremental_db), survey_matches(incremental_db)
    run_sql = (work / "second" / "target" / "run" / "retention_warehouse" / "models" / "intermediate")
    for model in ("int_orders_enriched", "int_customer_months_spined", "int_survey_responses_matched",
                  "int_customer_churn_signals_computed"):
        compiled, = run_sql.glob(f"*/{model}.sql")  # models/intermediate/<domain>/
        assert "delete from" in compiled.read_text(), f"{model} did not run incrementally"

    full_db = work / "full" / "retention.duckdb"
    full_db.parent.mkdir()
    shutil.copy(incremental_db, full_db)
    build(["run", "--full-refresh"], full_db, work / "full")
    return incremental_db, full_db, before, after


def survey_matches(db_path: Path) -> dict[str, str | None]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return dict(con.execute("select response_id, customer_id from intermediate.int_survey_responses_matched").fetchall())


def test_the_increment_moves_survey_matches(incremental_and_full) -> None:
    """Changed emails unmatch earlier answers, new sign-ups claim unmatched ones, and late orders move
    answers between accounts that share an email, on old days."""
    _, _, (_, before), (_, after) = incremental_and_full
    unmatched = [r for r in before if before[r] is not None and after[r] is None]
    claimed = [r for r in before if before[r] is None and after[r] is not None]
    switched = [r for r in before if before[r] is not None and after[r] is not None and before[r] != after[r]]
    assert unmatched and claimed and switched
    assert all(after[r].startswith("CLAIM") for r in claimed)


def test_the_increment_moves_cohorts_and_removes_customers_orders(incremental_and_full) -> None:
    """The delivery exercises the cases that corrupt first-order flags in naive incremental models."""
    _, _, (before, _), (after, _) = incremental_and_full
    moved = [c for c in before if c in after and before[c][1] and after[c][1] and before[c][0] != after[c][0]]
    emptied = [c for c in before if before[c][1] and c in after and after[c][1] == 0]
    newcomers = [c for c in after if c not in before]
    assert moved, "no customer's cohort changed: the increment does not test cohort flags"
    assert emptied, "no customer lost their only counted order"
    assert newcomers, "no new customers arrived"


def test_every_built_table_equals_a_full_refresh(incremental_and_full) -> None:
    incremental_db, full_db, _, _ = incremental_and_full
    tables = built_tables(incremental_db)
    assert tables == built_tables(full_db)
    assert ("marts", "dim_customers") in tables and ("intermediate", "int_customer_months_spined") in tables
    differing = {f"{schema}.{table}": n for schema, table in tables
                 if (n := differences(incremental_db, full_db, schema, table))}
    assert differing == {}


FIT_MARTS = ("fct_clv_model_fit", "fct_churn_model_coefficients")


def fitted_as_of(db_path: Path) -> dict[str, set]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return {mart: {d for (d,) in con.execute(f"select distinct fitted_as_of_date from marts.{mart}").fetchall()}
                for mart in FIT_MARTS}


@pytest.fixture(scope="module")
def within_a_month(incremental_and_full) -> tuple[Path, Path, Path, tuple[str, set[str], set[str], set[str]]]:
    """The first delivery's build, then a second delivery of two days within the same month, then
    old answers and tickets changed."""
    incremental_db = incremental_and_full[0]
    work = incremental_db.parent.parent
    first = work / "month" / "first.duckdb"
    first.parent.mkdir()
    shutil.copy(incremental_db, first)
    second = work / "month" / "second.duckdb"
    shutil.copy(incremental_db, second)
    data_dir = work / "raw"
    dropped = replace_and_remove(data_dir)
    shutil.copytree(work / "increment2", data_dir, dirs_exist_ok=True)
    load(second, data_dir, remove_missing=True)
    with env(**WITHOUT_UNIT_TESTS):
        build(["build"], second, work / "month" / "incremental")
    run_sql = work / "month" / "incremental" / "target" / "run" / "retention_warehouse" / "models" / "staging"
    checks = list(run_sql.glob("*/base/base_*_checked.sql"))
    assert len(checks) == 5 and all("delete from" in c.read_text() for c in checks), "a contract check ran in full"
    # Then old answers rescored and old tickets gone, and no order changed: the churn training
    # snapshots keep their orders (orders_digest) but not their answers and complaints.
    assert rescored(data_dir / "survey_responses" / "survey_responses-00000.parquet")
    assert without_rows(data_dir / "support_tickets" / "support_tickets-00000.parquet", "ticket_id")
    load(second, data_dir)
    with env(**WITHOUT_UNIT_TESTS):
        build(["build"], second, work / "month" / "rescored")
    rebuilt = work / "month" / "rebuilt.duckdb"
    shutil.copy(second, rebuilt)
    build(["run", "--full-refresh", "--exclude", "int_clv_models_fitted", "int_churn_model_fitted"],
          rebuilt, work / "month" / "rebuilt")
    return first, second, rebuilt, dropped


def test_a_run_in_a_new_month_fits_again(incremental_and_full) -> None:
    incremental_db, full_db, _, _ = incremental_and_full
    with duckdb.connect(str(incremental_db), read_only=True) as con:
        as_of = con.execute("select as_of_date from intermediate.int_reporting_dates").fetchone()[0]
    assert as_of.month == 7
    assert fitted_as_of(incremental_db) == fitted_as_of(full_db) == {mart: {as_of} for mart in FIT_MARTS}


def test_replaced_and_removed_files_leave_no_rows_behind(within_a_month) -> None:
    """Late orders left out of the replaced file are gone; changed orders left out of it are back at
    their earlier version; orders of sign-ups left out of the customers file are quarantined; the
    removed file's answers are gone."""
    _, second, _, (replaced, dropped_orders, dropped_customers, removed_answers) = within_a_month
    with duckdb.connect(str(second), read_only=True) as con:
        staged = dict(con.execute("select order_id, source_file from staging.stg_shop__orders").fetchall())
        orphaned = con.execute("select count(*) from staging.base_shop__orders_checked where row_outcome = "
                               "'quarantined' and rejection_reason like 'unknown customer%' and customer_id in "
                               f"({', '.join(quote_literal(c) for c in dropped_customers)})").fetchone()[0]
        left = {i for (i,) in con.execute("select order_id from staging.base_shop__orders_checked "
                                          "where source_file = ?", [replaced]).fetchall()}
        answers = {i for (i,) in con.execute("select response_id from staging.base_survey__responses_checked").fetchall()}
    assert left and not dropped_orders & left
    assert any(order not in staged for order in dropped_orders), "no dropped order vanished"
    assert any(staged.get(order, replaced) != replaced for order in dropped_orders), \
        "no dropped order went back to another version"
    assert removed_answers and not removed_answers & answers
    assert orphaned, "no order lost its customer"


def test_a_run_within_the_month_keeps_the_fits_and_scores_with_them(within_a_month) -> None:
    first, second, rebuilt, _ = within_a_month
    with duckdb.connect(str(second), read_only=True) as con:
        as_of = con.execute("select as_of_date from intermediate.int_reporting_dates").fetchone()[0]
    kept = fitted_as_of(first)
    assert all(as_of not in dates for dates in kept.values()), "the second delivery did not move the as-of date"
    assert fitted_as_of(second) == kept
    for mart in FIT_MARTS:
        assert differences(first, second, "marts", mart) == 0, f"{mart} was fitted again within the month"
    assert differences(first, second, "marts", "dim_customers"), "the second delivery changed no customer"
    tables = built_tables(second)
    assert tables == built_tables(rebuilt)
    differing = {f"{schema}.{table}": n for schema, table in tables
                 if (n := differences(second, rebuilt, schema, table))}
    assert differing == {}


def failing_tests(db_path: Path, work: Path, select: list[str]) -> set[str]:
    result = run_dbt(["test", "--select", *select], PROJECT_ROOT, db_path, work)
    assert result.result, result.exception
    return {r.node.name for r in result.result if str(r.status) == "fail"}


def test_data_tests_on_incremental_models_read_the_rows_the_last_run_built(within_a_month) -> None:
    """On DuckDB a test of one table on an incremental model reads the rows of the newest built_at
    (macro rebuilt_rows_condition): a bad row the last run wrote fails it, a bad row an earlier run
    wrote (which the published warehouse had passed) does not; a relationships test reads all."""
    _, second, _, _ = within_a_month
    work = second.parent / "scoped"
    work.mkdir()
    db = work / "retention.duckdb"
    shutil.copy(second, db)
    table = "intermediate.int_orders_enriched"
    select = ["int_orders_enriched,test_name:not_null", "int_orders_enriched,test_name:relationships"]
    with duckdb.connect(str(db)) as con:
        newest, oldest = con.execute(f"select max(built_at), min(built_at) from {table}").fetchone()
        assert newest > oldest, "every order was written by the last run"
        con.execute(f"update {table} set currency_code = null, customer_id = 'NOBODY' "
                    f"where order_id = (select min(order_id) from {table} where built_at = ?)", [oldest])
    assert failing_tests(db, work / "old", select) == {
        "relationships_int_orders_enriched_customer_id__customer_id__ref_stg_shop__customers_"}
    with duckdb.connect(str(db)) as con:
        con.execute(f"update {table} set currency_code = null "
                    f"where order_id = (select min(order_id) from {table} where built_at = ?)", [newest])
    assert "not_null_int_orders_enriched_currency_code" in failing_tests(db, work / "new", select)
