"""The model fits beside dbt: what `warehouse fit-models` writes is what the dbt Python models write.

On PostgreSQL and Spark the build runs in two parts with the fits between them. Here the "target" is
a copy of the DuckDB warehouse that dbt built, so the tables fit_models writes (three CLV, two churn)
can be compared with the ones dbt-duckdb's Python models made from the same inputs.
"""

from __future__ import annotations

import hashlib
import shutil
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest

from retention_warehouse.python_models import churn_tables, clv_tables, refit
from retention_warehouse.config import PROJECT_ROOT
from retention_warehouse.warehouse.build import PYTHON_MODELS_SELECTOR, build
from retention_warehouse.warehouse.fit_step import (
    CHURN_FITTED_MODEL,
    CHURN_SCORED_MODEL,
    FITTED_MODEL,
    HOLDOUT_MODEL,
    PREDICTED_MODEL,
    PYTHON_MODELS,
    fit_churn,
    fit_models,
)
from retention_warehouse.warehouse.project import project_vars
from retention_warehouse.warehouse.targets import DuckDBWarehouse
from tests.support.mart_diff import compare_mart
from tests.support.warehouses import run_dbt

KEYS = {FITTED_MODEL: ("fit_purpose", "model", "parameter"), PREDICTED_MODEL: ("customer_id",), HOLDOUT_MODEL: ("period",),
        CHURN_FITTED_MODEL: ("term",), CHURN_SCORED_MODEL: ("snapshot_purpose", "customer_id")}
SELECTED = PYTHON_MODELS_SELECTOR.split()


def test_every_python_model_is_fitted_outside_dbt(built_warehouse) -> None:
    """Each dbt Python model of the project has its step in fit_models, and no other model does."""
    python_models = {node["name"] for node in built_warehouse.manifest()["nodes"].values()
                     if node["resource_type"] == "model" and node["language"] == "python"}
    assert python_models == set(PYTHON_MODELS) == set(KEYS)


def fake_dbt(calls: list, fail_first: bool = False):
    def invoke(args: list[str]) -> SimpleNamespace:
        calls.append(args)
        return SimpleNamespace(success=not (fail_first and len(calls) == 1), exception=None, result=None)
    return invoke


def copy_connector(path: Path, calls: list):
    @contextmanager
    def connect(target: str):
        calls.append(["connect", target])
        with duckdb.connect(str(path)) as con:
            yield DuckDBWarehouse(con)
    return connect


def test_fit_runs_between_the_two_dbt_parts_and_writes_what_the_python_models_wrote(built_warehouse, tmp_path) -> None:
    target = tmp_path / "target.duckdb"
    shutil.copy(built_warehouse.db_path, target)
    with duckdb.connect(str(target)) as con:
        for table in KEYS:
            con.execute(f"drop table intermediate.{table}")
    calls: list = []
    result = build("postgres", fake_dbt(calls), copy_connector(target, calls))
    assert result.ok, [step.detail for step in result.steps]
    assert calls == [
        ["build", "--target", "postgres", "--exclude", *SELECTED],
        ["connect", "postgres"],
        ["build", "--target", "postgres", "--select", *SELECTED],
    ]
    with duckdb.connect(str(target), read_only=True) as fitted, \
            duckdb.connect(str(built_warehouse.db_path), read_only=True) as built:
        for table, key in KEYS.items():
            sql = f"select * from intermediate.{table}"
            differences = compare_mart(table, key, DuckDBWarehouse(built).query(sql),
                                       DuckDBWarehouse(fitted).query(sql), ("dbt python model", "fit-models"))
            assert not differences, "\n".join(map(str, differences[:10]))


def test_a_failing_first_part_stops_the_build_before_the_fit(tmp_path) -> None:
    calls: list = []
    result = build("spark", fake_dbt(calls, fail_first=True), copy_connector(tmp_path / "unused.duckdb", calls))
    assert not result.ok
    assert len(calls) == 1 and [step.name for step in result.steps] == [f"dbt build --exclude {PYTHON_MODELS_SELECTOR}"]


@pytest.fixture(scope="module")
def summaries(built_warehouse) -> pd.DataFrame:
    with duckdb.connect(str(built_warehouse.db_path), read_only=True) as con:
        return con.execute("select * from intermediate.int_customer_transactions_summarised").df()


def test_the_fit_is_the_same_whatever_order_the_engine_returns_rows_in(summaries: pd.DataFrame) -> None:
    """Engines return rows in their own order; the fit must not see it (same sums, same optimiser path)."""
    shuffled = summaries.sample(frac=1.0, random_state=11)
    assert not shuffled["customer_id"].equals(summaries["customer_id"])
    expected = clv_tables.fitted_parameters(summaries, 7.0)
    pd.testing.assert_frame_equal(clv_tables.fitted_parameters(shuffled, 7.0), expected, check_exact=True)
    pd.testing.assert_frame_equal(clv_tables.customer_predictions(shuffled, expected, 7.0, 0.01),
                                  clv_tables.customer_predictions(summaries, expected, 7.0, 0.01), check_exact=True)


def test_a_fit_the_data_cannot_support_stops_the_build_with_the_reason(built_warehouse, tmp_path) -> None:
    """One customer per fit purpose: dbt's Python model fails, naming the fit and why, instead of
    publishing four parameters fitted to one customer (before, the fit said converged, r ~ 1e6).
    --full-refresh: a plain run in the same month would keep the stored fit."""
    copy = tmp_path / "retention.duckdb"
    shutil.copy(built_warehouse.db_path, copy)
    summary = "intermediate.int_customer_transactions_summarised"
    with duckdb.connect(str(copy)) as con:
        con.execute(f"""create or replace table {summary} as
                        select * from {summary}
                        qualify row_number() over (partition by fit_purpose order by frequency desc, customer_id) = 1""")
    before = fitted_rows(copy)
    result = run_dbt(["run", "--select", FITTED_MODEL, "--full-refresh"], PROJECT_ROOT, copy, tmp_path)
    assert not result.success
    assert "CLV scoring fit: the BG/NBD fit did not converge: 1 customer to fit 4 BG/NBD parameters" in str(
        [node.message for node in result.result])
    assert fitted_rows(copy) == before, "the failed fit replaced the published parameters"


def fitted_rows(db_path: Path) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(f"select * from intermediate.{FITTED_MODEL} order by all").fetchall()


def test_the_churn_fit_is_the_same_whatever_order_the_engine_returns_rows_in(built_warehouse) -> None:
    with duckdb.connect(str(built_warehouse.db_path), read_only=True) as con:
        seed = con.execute("select * from reference.churn_signals").df()
        signals = con.execute("select * from intermediate.int_customer_churn_signals_computed").df()
    shuffled = signals.sample(frac=1.0, random_state=11)
    assert not shuffled["customer_id"].equals(signals["customer_id"])
    expected = churn_tables.fitted_terms(seed, signals)
    pd.testing.assert_frame_equal(churn_tables.fitted_terms(seed, shuffled), expected, check_exact=True)
    pd.testing.assert_frame_equal(churn_tables.scored_customers(seed, expected, shuffled),
                                  churn_tables.scored_customers(seed, expected, signals), check_exact=True)


def test_the_training_sample_share_and_its_sql() -> None:
    assert churn_tables.sample_share(400, 500) == 1.0
    assert churn_tables.sample_share(2_000, 500) == 0.25
    with pytest.raises(ValueError, match="churn_training_max_rows"):
        churn_tables.sample_share(10, 0)
    assert churn_tables.sample_predicate(1.0) is None
    assert churn_tables.training_filter(1.0) == churn_tables.TRAINING_ROWS
    # A quarter of the 16^8 hash values: those below 0x40000000.
    assert churn_tables.sample_predicate(0.25) == "substr(md5(customer_id), 1, 8) < '40000000'"
    with pytest.raises(ValueError):
        churn_tables.sample_predicate(0.0)


def test_the_sample_keeps_the_same_customers_at_every_snapshot_as_md5_says() -> None:
    """About share x the rows, whole customers, and exactly the customers whose md5 is in the share."""
    with duckdb.connect() as con:
        con.execute("""
            create table signals as
            select 'train' as snapshot_purpose, date '2024-01-01' + cast(30 * s as integer) as snapshot_date,
                   'c' || lpad(cast(c as varchar), 6, '0') as customer_id, true as is_customer_at_snapshot
            from range(20000) as t(c), range(3) as u(s)
        """)
        share = churn_tables.sample_share(60_000, 15_000)
        rows = con.execute(f"select snapshot_date, customer_id from signals "
                           f"where {churn_tables.training_filter(share)}").fetchall()
    by_snapshot: dict = {}
    for snapshot, customer in rows:
        by_snapshot.setdefault(snapshot, set()).add(customer)
    kept = {f"c{c:06d}" for c in range(20000)
            if int(hashlib.md5(f"c{c:06d}".encode()).hexdigest()[:8], 16) < 0.25 * 16**8}
    assert list(by_snapshot.values()) == [kept] * 3
    # 15,000 expected; a binomial sample of 20,000 customers at p = 0.25 is within 4 sd (4 x 61) of 5,000.
    assert abs(len(rows) - 15_000) < 3 * 4 * 61


def _dated(terms: pd.DataFrame) -> pd.DataFrame:
    """The terms as a table read back gives them: snapshot_date a timestamp, a missing sample bound None."""
    bound = terms["training_sample_md5_below"].astype(object)
    return terms.assign(snapshot_date=pd.to_datetime(terms["snapshot_date"]),
                        training_sample_md5_below=bound.where(bound.notna(), None))


def test_a_capped_churn_fit_trains_on_the_sample_on_every_path(built_warehouse, tmp_path) -> None:
    """Below the cap nothing changes; above it the dbt Python model's reader and fit-models' SQL agree."""
    target = tmp_path / "target.duckdb"
    shutil.copy(built_warehouse.db_path, target)
    with duckdb.connect(str(target)) as con:
        seed = con.execute("select * from reference.churn_signals").df()
        signals = con.table("intermediate.int_customer_churn_signals_computed")
        read, count = churn_tables.relation_reader(signals)
        available = count(churn_tables.TRAINING_ROWS)
        built = con.execute("select * from intermediate.int_churn_model_fitted").df().drop(columns=refit.FITTED_AS_OF)
        uncapped = churn_tables.fit_from_signals(seed, read, count, available)
        pd.testing.assert_frame_equal(_dated(uncapped), _dated(built), check_dtype=False)
        assert (uncapped["training_sample_share"] == 1.0).all()

        cap = available // 3
        capped = churn_tables.fit_from_signals(seed, read, count, cap)
        fit_churn(DuckDBWarehouse(con), {**project_vars(), "churn_training_max_rows": cap}, full_refresh=True)
        written = con.execute("select * from intermediate.int_churn_model_fitted").df().drop(columns=refit.FITTED_AS_OF)
    pd.testing.assert_frame_equal(_dated(written), _dated(capped), check_dtype=False)
    assert (capped["training_sample_share"] == cap / available).all()
    trained = int(capped["customers_trained"].iloc[0])
    assert 0 < trained < available and abs(trained - cap) < 0.5 * cap


def test_fit_models_keeps_a_fit_of_the_same_period_and_fits_again_in_a_new_one(built_warehouse, tmp_path) -> None:
    """The refit schedule off DuckDB (python_models/refit.py): a fit table of the as-of date's month
    is kept and not written; one from the month before, or a --full-refresh, fits again."""
    target = tmp_path / "target.duckdb"
    shutil.copy(built_warehouse.db_path, target)
    fits = (FITTED_MODEL, CHURN_FITTED_MODEL)
    with duckdb.connect(str(target)) as con:
        warehouse = DuckDBWarehouse(con)
        as_of = con.execute("select as_of_date from intermediate.int_reporting_dates").fetchone()[0]
        # A later run in the same month: the stored fits were made the day before (or the run is a day later).
        if as_of.day > 1:
            for table in fits:
                con.execute(f"update intermediate.{table} set {refit.FITTED_AS_OF} = ?", [as_of - timedelta(days=1)])
        else:
            as_of += timedelta(days=1)
            con.execute("update intermediate.int_reporting_dates set as_of_date = ?", [as_of])
        kept = fit_models(warehouse, project_vars())
        assert not set(fits) & set(kept) and {PREDICTED_MODEL, CHURN_SCORED_MODEL} <= set(kept)
        for table in fits:
            con.execute(f"update intermediate.{table} set {refit.FITTED_AS_OF} = "
                        f"cast({refit.FITTED_AS_OF} - interval 1 month as date)")
        assert set(fits) <= set(fit_models(warehouse, project_vars()))
        for table in fits:
            assert con.execute(f"select distinct {refit.FITTED_AS_OF} from intermediate.{table}").fetchall() == [(as_of,)]
        assert set(fits) <= set(fit_models(warehouse, project_vars(), full_refresh=True))


def test_a_fit_table_from_before_the_schedule_gains_its_date_and_is_fitted_again(built_warehouse, tmp_path) -> None:
    """A warehouse built before fitted_as_of_date: the next plain run adds the column and refits."""
    copy = tmp_path / "retention.duckdb"
    shutil.copy(built_warehouse.db_path, copy)
    fits = (FITTED_MODEL, CHURN_FITTED_MODEL)
    with duckdb.connect(str(copy)) as con:
        for table in fits:
            con.execute(f"alter table intermediate.{table} drop column {refit.FITTED_AS_OF}")
        as_of = con.execute("select as_of_date from intermediate.int_reporting_dates").fetchone()[0]
    result = run_dbt(["run", "--select", *fits], PROJECT_ROOT, copy, tmp_path)
    assert result.success, [node.message for node in result.result or []]
    with duckdb.connect(str(copy), read_only=True) as con:
        for table in fits:
            assert con.execute(f"select distinct {refit.FITTED_AS_OF} from intermediate.{table}").fetchall() == [(as_of,)]
