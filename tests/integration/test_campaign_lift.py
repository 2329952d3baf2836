"""Campaign lift: the p-value macro against scipy, and fct_campaign_lift recomputed independently."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta

import duckdb
import jinja2
import numpy as np
import pytest
from scipy.stats import norm

from retention_warehouse.config import PROJECT_ROOT


def p_value_sql(column: str) -> str:
    """The macro normal_two_sided_p_value rendered as dbt renders it on DuckDB (type_double is its only call)."""
    macros = jinja2.Environment().from_string((PROJECT_ROOT / "macros/metrics/campaign_lift.sql").read_text(),
                                              globals={"type_double": lambda: "double precision"})
    return str(macros.module.normal_two_sided_p_value(column))


def test_p_value_macro_matches_scipy_from_the_centre_to_far_tails() -> None:
    zs = np.r_[np.linspace(-9.0, 9.0, 181), 0.001, 1.959963984540054, 2.1239769762143657, 12.0]
    with duckdb.connect() as con:
        con.execute("create table z_values (z double)")
        con.executemany("insert into z_values values (?)", [[float(z)] for z in zs])
        got = np.array([p for (p,) in con.execute(f"select {p_value_sql('z')} from z_values").fetchall()])
        assert con.execute(f"select {p_value_sql('z')} from (select cast(null as double) as z)").fetchall() == [(None,)]
    wanted = 2 * norm.sf(np.abs(zs))
    assert np.all(np.abs(got / wanted - 1) < 1.2e-7), np.max(np.abs(got / wanted - 1))
    assert got[zs == 0.0][0] == 1.0  # the fit gives 1 + 3e-8 there: capped
    assert math.isclose(got[np.isclose(zs, 1.959963984540054)][0], 0.05, rel_tol=1e-7)


@pytest.fixture(scope="module")
def independent_lift(built_warehouse) -> dict[str, dict[str, float]]:
    """fct_campaign_lift from staging rows and the order_statuses seed, in plain Python and scipy."""
    (as_of,) = built_warehouse.query("select distinct as_of_date from marts.dim_customers")[0]
    counted = {s for s, c in built_warehouse.query("select order_status, counts_as_order from reference.order_statuses")
               if c}
    orders: dict[str, list] = defaultdict(list)
    for customer, ordered_at, status in built_warehouse.query(
            "select customer_id, ordered_at, order_status from staging.stg_shop__orders"):
        if status in counted:
            orders[customer].append(ordered_at)
    first: dict[tuple[str, str], tuple] = {}
    for assignment_id, campaign, customer, arm, assigned_at in built_warehouse.query(
            "select assignment_id, campaign_id, customer_id, campaign_arm, assigned_at"
            " from staging.stg_crm__campaign_assignments"):
        key = (campaign, customer)
        if key not in first or (assigned_at, assignment_id) < first[key][:2]:
            first[key] = (assigned_at, assignment_id, arm)
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"treatment": [0, 0], "control": [0, 0]})
    for (campaign, customer), (assigned_at, _, arm) in first.items():
        end = assigned_at + timedelta(days=90)
        if end.date() > as_of:
            continue
        counts[campaign][arm][0] += 1
        counts[campaign][arm][1] += any(assigned_at < t <= end for t in orders[customer])
    result = {}
    for campaign, arms in counts.items():
        (n_t, x_t), (n_c, x_c) = arms["treatment"], arms["control"]
        p_t, p_c = x_t / n_t, x_c / n_c
        se = math.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
        pooled = (x_t + x_c) / (n_t + n_c)
        z = (p_t - p_c) / math.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
        result[campaign] = {
            "treatment_customers": n_t, "control_customers": n_c, "treatment_retained_customers": x_t,
            "control_retained_customers": x_c, "absolute_lift": p_t - p_c,
            "lift_ci_lower": p_t - p_c - norm.ppf(0.975) * se, "lift_ci_upper": p_t - p_c + norm.ppf(0.975) * se,
            "z_statistic": z, "p_value": 2 * norm.sf(abs(z)),
        }
    return result


def test_lift_mart_matches_an_independent_computation(built_warehouse, independent_lift) -> None:
    columns = list(next(iter(independent_lift.values())))
    rows = built_warehouse.query(f"select campaign_id, {', '.join(columns)} from marts.fct_campaign_lift")
    mart = {row[0]: dict(zip(columns, row[1:])) for row in rows}
    assert mart.keys() == independent_lift.keys() == {"winback_60d", "reminder_120d"}
    for campaign, wanted in independent_lift.items():
        for column, value in wanted.items():
            tolerance = 1.2e-7 if column == "p_value" else 1e-12
            assert math.isclose(mart[campaign][column], value, rel_tol=tolerance, abs_tol=1e-12), (campaign, column)


def test_assignments_still_being_observed_are_left_out(built_warehouse) -> None:
    left_out, last_assigned, as_of = built_warehouse.query(
        "select sum(customers_not_fully_observed), max(last_assigned_at), max(as_of_date)"
        " from marts.fct_campaign_lift")[0]
    assert left_out > 0 and (as_of - last_assigned.date()).days < 90
