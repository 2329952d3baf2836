"""marts.fct_retention_curve is the pooled cohort retention curve the report and the dashboard computed
from marts.fct_cohort_retention before the mart existed, number for number, on `built_warehouse`.

The old definitions are kept here as they were written (reporting/headline.py `headline`, its query
without the filter to the months it prints; reporting/dashboard.py `revenue_retention_curves`), so this
test still compares with them now that those modules read the mart instead.
"""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from retention_warehouse.reporting.headline import headline

REPORT_POOLED_RETENTION = """
    select months_since_first_order, sum(active_customers), sum(cohort_customers), count(*)
    from marts.fct_cohort_retention
    group by months_since_first_order
    order by months_since_first_order
"""
"""reporting/headline.py `headline`: pooled retention in month k = Σ active / Σ cohort customers over the
cohorts observed k months after their cohort month (divided in Python), and how many they are."""

DASHBOARD_REVENUE_RETENTION = """
    with first_months as (
        select cohort_month, net_revenue_usd as first_month_revenue_usd
        from marts.fct_cohort_retention
        where months_since_first_order = 0 and net_revenue_usd > 0
    )
    select
        months.months_since_first_order,
        sum(months.net_revenue_usd) / sum(first_months.first_month_revenue_usd),
        sum(months.gross_revenue_retention_rate * first_months.first_month_revenue_usd)
            / sum(first_months.first_month_revenue_usd)
    from marts.fct_cohort_retention as months
    inner join first_months on months.cohort_month = first_months.cohort_month
    group by months.months_since_first_order
    order by months.months_since_first_order
"""
"""reporting/dashboard.py `revenue_retention_curves`: over the cohorts with net revenue in month 0, net
revenue retention = Σ net revenue in month k / Σ month-0 revenue; gross = the cohorts' gross revenue
retention rates weighted by their month-0 revenue."""

REVENUE_SUMS = """
    with first_months as (
        select cohort_month, net_revenue_usd as first_month_revenue_usd
        from marts.fct_cohort_retention
        where months_since_first_order = 0 and net_revenue_usd > 0
    )
    select
        months.months_since_first_order,
        count(*),
        sum(first_months.first_month_revenue_usd),
        sum(months.net_revenue_usd)
    from marts.fct_cohort_retention as months
    inner join first_months on months.cohort_month = first_months.cohort_month
    group by months.months_since_first_order
"""
"""The sums behind the dashboard's curves, in decimals."""

CURVE_COLUMNS = ("months_since_first_order", "cohorts_observed", "cohort_customers", "active_customers",
                 "retention_rate", "revenue_cohorts_observed", "first_month_net_revenue_usd", "net_revenue_usd",
                 "retained_revenue_capped_usd", "net_revenue_retention_rate", "gross_revenue_retention_rate")


@pytest.fixture(scope="module")
def curve(built_warehouse) -> dict[int, dict]:
    rows = built_warehouse.query(f"select {', '.join(CURVE_COLUMNS)} from marts.fct_retention_curve")
    return {row[0]: dict(zip(CURVE_COLUMNS, row)) for row in rows}


def test_one_row_per_month_since_first_order_observed(curve: dict[int, dict], built_warehouse) -> None:
    months = {k for (k,) in built_warehouse.query(
        "select distinct months_since_first_order from marts.fct_cohort_retention")}
    assert len(months) > 1
    assert curve.keys() == months


def test_retention_rate_is_the_reports_pooled_retention(curve: dict[int, dict], built_warehouse) -> None:
    for k, active, cohort, cohorts in built_warehouse.query(REPORT_POOLED_RETENTION):
        row = curve[k]
        assert (row["active_customers"], row["cohort_customers"], row["cohorts_observed"]) == (active, cohort, cohorts), k
        # Exactly equal: both divide the same two integers once in IEEE double (Python's int / int is
        # correctly rounded, and so is the engine's division of the integers cast to double).
        assert row["retention_rate"] == int(active) / int(cohort), k
    assert curve[0]["retention_rate"] == 1.0


def test_the_report_prints_the_marts_curve(curve: dict[int, dict], built_warehouse) -> None:
    pooled = headline(built_warehouse.query).pooled_retention
    assert pooled
    assert [(k, curve[k]["retention_rate"], curve[k]["cohorts_observed"]) for k, _, _ in pooled] == pooled


def test_revenue_retention_is_the_dashboards_curves(curve: dict[int, dict], built_warehouse) -> None:
    dashboard = {k: (net, gross) for k, net, gross in built_warehouse.query(DASHBOARD_REVENUE_RETENTION)}
    assert dashboard
    assert dashboard.keys() == {k for k, row in curve.items() if row["revenue_cohorts_observed"] > 0}
    for k, (net, gross) in dashboard.items():
        row = curve[k]
        # Exactly equal: the same two decimal sums, each converted to double once and divided once.
        assert row["net_revenue_retention_rate"] == net, k
        # Not bit for bit: the dashboard multiplies each cohort's rate (a double, already rounded) back by
        # its month-0 revenue and sums the products, where the mart divides the exact decimal sum of the
        # capped revenue once; the two roundings differ by a few units in the last place.
        assert math.isclose(row["gross_revenue_retention_rate"], gross, rel_tol=1e-12, abs_tol=1e-15), (k, gross)
    for k, row in curve.items():
        if row["revenue_cohorts_observed"] == 0:
            assert row["net_revenue_retention_rate"] is None and row["gross_revenue_retention_rate"] is None, k
            assert row["first_month_net_revenue_usd"] == row["net_revenue_usd"] == Decimal(0), k


def test_revenue_sums_are_the_revenue_cohorts_sums(curve: dict[int, dict], built_warehouse) -> None:
    for k, cohorts, first_month, net in built_warehouse.query(REVENUE_SUMS):
        row = curve[k]
        assert (row["revenue_cohorts_observed"], row["first_month_net_revenue_usd"], row["net_revenue_usd"]) == (
            cohorts, first_month, net), k
