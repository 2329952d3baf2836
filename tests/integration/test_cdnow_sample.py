"""The real CDNOW sample built with dbt: every order kept, every mart built without tickets or
campaigns, and cohort retention equal to a count from the source lines."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from retention_warehouse.cli import app
from retention_warehouse.config import DB_PATH_ENV
from retention_warehouse.demo import cdnow

# --------------------------------------------------------------------------- the built sample


def test_sample_builds_and_keeps_every_order(cdnow_sample) -> None:
    assert cdnow_sample.build.ok, cdnow_sample.build.failures
    audit_rows = dict(cdnow_sample.query("select measure, measure_value from raw.import_audit"))
    assert audit_rows["zero_dollar_orders"] == "8"
    customers, orders, revenue = cdnow_sample.query(
        "select count(*), sum(order_count), sum(net_revenue_usd) from marts.dim_customers"
    )[0]
    assert (customers, orders, revenue) == (2357, 6696, Decimal("244091.94"))


def test_sample_without_tickets_or_campaigns_still_builds_every_mart(cdnow_sample) -> None:
    """CDNOW has no support tickets and no campaigns: their raw tables are empty and the marts that use
    them build with no rows (lift) or without the signal (ignored complaints)."""
    assert cdnow_sample.query("select count(*) from raw.support_tickets")[0][0] == 0
    assert cdnow_sample.query("select count(*) from raw.campaign_assignments")[0][0] == 0
    assert cdnow_sample.query("select count(*) from marts.fct_campaign_lift")[0][0] == 0
    assert cdnow_sample.query("select max(ignored_complaints_last_90d) from marts.fct_churn_risk")[0][0] == 0
    assert cdnow_sample.query("select count(*) from marts.fct_retention_by_loyalty_tier")[0][0] > 0


def test_sample_cohort_retention_matches_the_source_lines(cdnow_sample, tmp_path: Path) -> None:
    """Pooled month-k retention counted straight from the source text, not from any table."""
    lines = cdnow.read_lines(cdnow.fetch_wheel(), sample=True)
    months: dict[str, set[int]] = defaultdict(set)
    for line in lines:
        months[line.customer_id].add(line.purchase_date.year * 12 + line.purchase_date.month)
    last_complete = 1998 * 12 + 6
    active: dict[int, int] = defaultdict(int)
    observed: dict[int, int] = defaultdict(int)
    for bought in months.values():
        first = min(bought)
        for k in range(0, last_complete - first + 1):
            observed[k] += 1
            active[k] += (first + k) in bought
    env = {DB_PATH_ENV: str(cdnow_sample.db_path)}
    result = CliRunner().invoke(app, ["report", "--format", "json", "--html", str(tmp_path / "cdnow.html")], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["customers"] == 2357
    for k in range(1, 7):
        assert report["pooled_retention"][str(k)] == round(active[k] / observed[k], 4)
    assert sum(report["cohort_sizes"].values()) == 2357
