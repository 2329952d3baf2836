"""MetricFlow returns the marts' own numbers: `mf query` (the CLI, read-only profile) against the
built warehouse, compared row by row with the mart columns the metrics restate."""

from __future__ import annotations

import csv
import math
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest

from retention_warehouse.config import DB_PATH_ENV, PROJECT_ROOT

MF = Path(sys.executable).parent / "mf"
QUERIES = {
    # The issue's own command, exactly.
    "crr": ["--metrics", "crr_pct", "--group-by", "metric_time__month"],
    "monthly": ["--metrics", "churn_rate_pct,customers,active_customers,new_customers,net_revenue_usd,"
                "repeat_purchase_rate,purchasing_customers,average_predicted_clv_usd", "--group-by", "metric_time__month"],
    "quarterly": ["--metrics", "crr_pct,churn_rate_pct", "--group-by", "metric_time__quarter"],
    "curve": ["--metrics", "retention_rate", "--group-by", "cohort_period__months_since_first_order"],
}


def mf_project(built_warehouse, root: Path) -> Path:
    """A dbt project folder for mf: this project's files, and the build's semantic manifest in target/."""
    project = root / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "models", "macros", "seeds", "data-tests", "analyses"):
        if (PROJECT_ROOT / name).exists():
            (project / name).symlink_to(PROJECT_ROOT / name)
    (project / "target").mkdir()
    shutil.copy(built_warehouse.target_dir / "semantic_manifest.json", project / "target")
    return project


@pytest.fixture(scope="module")
def mf_results(built_warehouse, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, str]]]:
    """Each query's rows as mf wrote them to CSV (the four mf processes run side by side)."""
    root = tmp_path_factory.mktemp("metricflow")
    project = mf_project(built_warehouse, root)
    environment = {**os.environ, DB_PATH_ENV: str(built_warehouse.db_path), "DBT_PROFILES_DIR": str(PROJECT_ROOT),
                   "DBT_PROJECT_DIR": str(project), "DBT_TARGET": "duckdb_read_only",
                   "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    running = {name: subprocess.Popen([str(MF), "query", *args, "--csv", str(root / f"{name}.csv"), "--quiet"],
                                      cwd=project, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True)
               for name, args in QUERIES.items()}
    results = {}
    for name, process in running.items():
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, f"mf query {' '.join(QUERIES[name])} failed:\n{output}"
        with (root / f"{name}.csv").open() as handle:
            results[name] = list(csv.DictReader(handle))
    return results


def month(text: str) -> date:
    return datetime.fromisoformat(text).date()


def number(text: str) -> float | None:
    return float(text) if text != "" else None


def close(a: float | None, b: float | None, abs_tol: float = 1e-9) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=abs_tol)


def test_mf_crr_by_month_equals_fct_retention_periods(mf_results, built_warehouse) -> None:
    marts = dict(built_warehouse.query("select period_month, crr_pct from marts.fct_retention_periods"))
    metric = {month(r["metric_time__month"]): number(r["crr_pct"]) for r in mf_results["crr"]}
    assert metric.keys() == marts.keys()
    mismatched = {m: (metric[m], marts[m]) for m in marts if not close(metric[m], marts[m])}
    assert not mismatched, mismatched
    assert sum(v is not None for v in metric.values()) > 12


def test_mf_monthly_metrics_equal_the_marts(mf_results, built_warehouse) -> None:
    rows = {month(r["metric_time__month"]): r for r in mf_results["monthly"] if r["metric_time__month"]}
    never_purchased = [r for r in mf_results["monthly"] if not r["metric_time__month"]]
    assert all(r["purchasing_customers"] == "0" for r in never_purchased), "only customers without a first order"
    periods = built_warehouse.query(
        "select period_month, churn_rate_pct, customers_at_end, active_customers, new_customers, net_revenue_usd"
        " from marts.fct_retention_periods")
    for period, churn, customers, active, new, revenue in periods:
        row = rows[period]
        assert close(number(row["churn_rate_pct"]), churn), period
        assert (int(row["customers"]), int(row["active_customers"]), int(row["new_customers"])) == (
            customers, active, new), period
        assert close(number(row["net_revenue_usd"]), float(revenue), abs_tol=0.005), period
    cohorts = built_warehouse.query("""
        select r.cohort_month, r.cohort_customers, r.repeat_purchase_rate, v.average_predicted_clv_usd
        from marts.fct_repeat_purchase as r
        inner join marts.fct_customer_lifetime_value as v
            on v.segment_type = 'cohort' and v.segment_value = cast(r.cohort_month as varchar)
    """)
    assert cohorts
    for cohort, customers, repeat_rate, average_clv in cohorts:
        row = rows[cohort]
        assert int(row["purchasing_customers"]) == customers, cohort
        assert close(number(row["repeat_purchase_rate"]), repeat_rate), cohort
        # The mart rounds the mean; mf averages customers' values already rounded to the cent.
        assert abs(number(row["average_predicted_clv_usd"]) - float(average_clv)) <= 0.01, cohort


def test_mf_quarterly_crr_takes_the_first_start_and_the_last_end(mf_results, built_warehouse) -> None:
    months = built_warehouse.query(
        "select period_month, customers_at_start, customers_at_end, new_customers, churned_customers"
        " from marts.fct_retention_periods order by period_month")
    quarters: dict[date, list[tuple]] = defaultdict(list)
    for row in months:
        quarters[date(row[0].year, 3 * ((row[0].month - 1) // 3) + 1, 1)].append(row)
    metric = {month(r["metric_time__quarter"]): r for r in mf_results["quarterly"]}
    assert metric.keys() == quarters.keys()
    for quarter, rows in quarters.items():
        start, end = rows[0][1], rows[-1][2]
        new, churned = sum(r[3] for r in rows), sum(r[4] for r in rows)
        assert close(number(metric[quarter]["crr_pct"]), (end - new) / start * 100 if start else None), quarter
        assert close(number(metric[quarter]["churn_rate_pct"]), churned / start * 100 if start else None), quarter


def test_mf_retention_curve_is_the_pooled_cohort_retention(mf_results, built_warehouse) -> None:
    """By month since first order, MetricFlow's retention_rate is the mart fct_retention_curve's and the
    pooled sums over fct_cohort_retention (tests/integration/test_retention_curve.py: the mart is those sums)."""
    pooled = dict(built_warehouse.query(
        "select months_since_first_order, sum(active_customers) / sum(cohort_customers)"
        " from marts.fct_cohort_retention group by 1"))
    mart = dict(built_warehouse.query("select months_since_first_order, retention_rate from marts.fct_retention_curve"))
    metric = {int(r["cohort_period__months_since_first_order"]): number(r["retention_rate"])
              for r in mf_results["curve"]}
    assert metric.keys() == pooled.keys() == mart.keys()
    assert all(close(metric[k], pooled[k]) for k in pooled), {k: (metric[k], pooled[k]) for k in pooled}
    assert all(close(metric[k], mart[k]) for k in mart), {k: (metric[k], mart[k]) for k in mart}
    assert metric[0] == 1.0
