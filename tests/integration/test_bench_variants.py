"""The benchmark's variants give the marts' numbers: the engine floor (the build's compiled code
without dbt) all of them, the hand-written floor and pandas the marts they compute.

Both read the raw files of the small generated data set that `built_warehouse` loaded and built
with dbt; every row and column they compute must equal the mart's (doubles to 1e-9 relative), and
their CLV fits must equal fct_clv_model_fit (to the optimiser's tolerance), since they call the same
retention_warehouse.stats.clv code.
"""

from __future__ import annotations

import json
import math
import shutil
from datetime import date, datetime
from decimal import Decimal

import duckdb
import numpy as np
import pandas as pd
import pytest

from benchmarks.engine_floor import build_order, connect, load_manifest, run_engine_floor
from benchmarks.floor import CORE_MARTS, CORE_SELECTOR, FLOOR_MARTS, TIMED_MARTS, ClvFits, compute_floor
from benchmarks.pandas_marts import compute_pandas
from retention_warehouse.warehouse.targets import DuckDBWarehouse
from tests.support.mart_diff import assert_same_marts
from retention_warehouse.config import PROJECT_ROOT
from tests.support.warehouses import DB_NAME, run_dbt

KEYS = {
    "fct_cohort_retention": ["cohort_month", "months_since_first_order"],
    "fct_retention_periods": ["period_month"],
    "dim_customers": ["customer_id"],
    "fct_repeat_purchase": ["cohort_month"],
}


def plain(value: object) -> object:
    """A value as DuckDB returns it: None for missing, date, Decimal, int, float, bool, str."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.date()
    return value


def same(actual: object, wanted: object) -> bool:
    actual, wanted = plain(actual), plain(wanted)
    if actual is None or wanted is None:
        return actual is None and wanted is None
    if isinstance(wanted, float) or isinstance(actual, float):
        return math.isclose(float(actual), float(wanted), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(wanted, Decimal) or isinstance(actual, Decimal):
        return Decimal(str(actual)) == Decimal(str(wanted))
    return actual == wanted


def keyed(frame: pd.DataFrame, keys: list[str]) -> dict[tuple, dict]:
    return {tuple(plain(row[k]) for k in keys): row for row in frame.to_dict("records")}


def compare(variant: pd.DataFrame, mart: pd.DataFrame, name: str) -> None:
    keys = KEYS[name]
    got, wanted = keyed(variant, keys), keyed(mart, keys)
    assert got.keys() == wanted.keys(), f"{name}: keys differ: {sorted(got.keys() ^ wanted.keys(), key=str)[:5]}"
    for key, row in wanted.items():
        for column in variant.columns:
            assert same(got[key][column], row[column]), f"{name} {key} {column}: {got[key][column]!r} != {row[column]!r}"


def mart(built_warehouse, name: str, columns: list[str]) -> pd.DataFrame:
    with duckdb.connect(str(built_warehouse.db_path), read_only=True) as con:
        return con.execute(f"select {', '.join(columns)} from marts.{name}").df()


def check_fits(built_warehouse, fits: ClvFits) -> None:
    with duckdb.connect(str(built_warehouse.db_path), read_only=True) as con:
        rows = con.execute("select fit_purpose, model, parameter, value from marts.fct_clv_model_fit").fetchall()
        predicted = dict(con.execute(
            "select customer_id, predicted_clv_usd from marts.dim_customers where predicted_clv_usd is not null"
        ).fetchall())
        holdout = con.execute("select cumulative_predicted from marts.fct_clv_holdout order by period").fetchall()
    names = {"r": "r", "alpha": "alpha", "a": "a", "b": "b", "p": "p", "q": "q", "gamma": "v"}
    for purpose, model, parameter, value in rows:
        fit = fits.fits[purpose][0 if model == "bg_nbd" else 1]
        # The optimiser stops within its gradient tolerance: inputs equal to the last bits give
        # parameters equal to about 1e-7.
        assert math.isclose(getattr(fit, names[parameter]), value, rel_tol=1e-5), (purpose, parameter)
    assert set(fits.predicted_clv_usd.index) == set(predicted)
    for customer, value in fits.predicted_clv_usd.items():
        assert abs(Decimal(str(round(value, 2))) - predicted[customer]) <= Decimal("0.01"), customer
    assert np.allclose(fits.holdout_cumulative_predicted[1:], [v for (v,) in holdout], rtol=1e-5)


@pytest.fixture(scope="module")
def floor(built_warehouse):
    con = duckdb.connect()
    fits = compute_floor(con, built_warehouse.data_dir)
    marts = {name: con.execute(f"select * from floor_{name}").df() for name in FLOOR_MARTS}
    con.close()
    return marts, fits


@pytest.fixture(scope="module")
def pandas_variant(built_warehouse):
    result = compute_pandas(built_warehouse.data_dir)
    return result.marts, result.clv


@pytest.mark.parametrize("name", FLOOR_MARTS)
def test_floor_gives_the_marts_numbers(floor, built_warehouse, name: str) -> None:
    marts, _ = floor
    compare(marts[name], mart(built_warehouse, name, list(marts[name].columns)), name)


@pytest.mark.parametrize("name", FLOOR_MARTS)
def test_pandas_gives_the_marts_numbers(pandas_variant, built_warehouse, name: str) -> None:
    marts, _ = pandas_variant
    compare(marts[name], mart(built_warehouse, name, list(marts[name].columns)), name)


def test_floor_and_pandas_fit_the_same_clv_models(floor, pandas_variant, built_warehouse) -> None:
    check_fits(built_warehouse, floor[1])
    check_fits(built_warehouse, pandas_variant[1])


def test_the_data_exercises_what_the_marts_compute(floor) -> None:
    marts, _ = floor
    periods = marts["fct_retention_periods"]
    assert periods["reactivated_customers"].sum() > 0 and periods["churned_customers"].sum() > 0
    assert (marts["dim_customers"]["lifecycle_status"] == "never_purchased").any()
    assert isinstance(plain(marts["fct_cohort_retention"]["cohort_month"].iloc[0]), date)


class EngineFloor:
    """The engine floor's DuckDB file, queried as the engine comparisons query another engine."""

    target = "engine floor"

    def __init__(self, db_path) -> None:
        self.db_path = db_path

    def query(self, sql: str):
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            return DuckDBWarehouse(con).query(sql)


def test_the_engine_floor_builds_every_mart_as_the_build_does(built_warehouse, loaded_template, tmp_path) -> None:
    """From the same landed raw tables, the build's compiled SQL and Python models run without dbt
    give every mart row for row (but the build's id and time)."""
    loaded, _ = loaded_template
    db_path = tmp_path / DB_NAME  # the build's file name: the compiled code names the catalog after it
    shutil.copyfile(loaded / DB_NAME, db_path)
    manifest = load_manifest(built_warehouse.target_dir)
    with connect(db_path) as con:
        seconds = run_engine_floor(con, manifest)
    order = build_order(manifest)
    assert set(seconds) == set(order)
    for uid in order:  # every node after the nodes it reads
        parents = manifest["nodes"][uid]["depends_on"].get("nodes", [])
        assert all(order.index(parent) < order.index(uid) for parent in parents if parent in seconds), uid
    python_models = [uid for uid in order if manifest["nodes"][uid].get("language") == "python"]
    assert len(python_models) == 5 and any(uid.startswith("seed.") for uid in order)
    assert_same_marts(built_warehouse, EngineFloor(db_path))


def test_the_core_selector_builds_what_the_floor_and_pandas_compute(built_warehouse, tmp_path) -> None:
    """The core build (dbt build --selector bench_core) and the timed floor and pandas do the same work."""
    listed = run_dbt(["ls", "--selector", CORE_SELECTOR, "--resource-type", "model", "--output", "json",
                      "--output-keys", "name config"], PROJECT_ROOT, built_warehouse.db_path, tmp_path)
    assert listed.success, listed.exception
    nodes = [json.loads(line) for line in listed.result]
    assert {node["name"] for node in nodes if node["config"]["schema"] == "marts"} == set(CORE_MARTS)
    assert "int_customer_clv_predicted" in {node["name"] for node in nodes}, "the floor scores every customer's CLV"
    with duckdb.connect() as con:
        compute_floor(con, built_warehouse.data_dir, marts=TIMED_MARTS)
        floor_tables = {name for (name,) in con.execute(
            "select table_name from duckdb_tables() where table_name like 'floor\\_%' escape '\\'").fetchall()}
    assert floor_tables == {f"floor_{mart}" for mart in TIMED_MARTS}
    assert set(compute_pandas(built_warehouse.data_dir, marts=TIMED_MARTS).marts) == set(TIMED_MARTS)
