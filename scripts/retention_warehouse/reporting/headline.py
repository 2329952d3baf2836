"""Headline numbers read back from the built marts, for a terminal or a note.

Everything here is a read of `marts`, on any target: no metric is computed here. Pooled cohort retention
for month k (the sum of active customers over the sum of cohort customers across all cohorts observed
k months after their first order) is marts.fct_retention_curve's, as the dashboard and MetricFlow show it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

POOLED_MONTHS = range(1, 7)


@dataclass(frozen=True)
class Headline:
    customers: int
    orders: int
    net_revenue_usd: Decimal
    first_order_date: date
    last_order_date: date
    cohort_sizes: list[tuple[date, int]]
    pooled_retention: list[tuple[int, float, int]]
    """(months since first order, pooled retention rate, cohorts observed)."""
    mean_crr_pct: float | None
    mean_churn_rate_pct: float | None

    def as_json(self) -> dict[str, object]:
        """The numbers as `warehouse report --format json` prints them."""
        return {
            "customers": self.customers, "orders": self.orders, "net_revenue_usd": str(self.net_revenue_usd),
            "first_order_date": self.first_order_date.isoformat(), "last_order_date": self.last_order_date.isoformat(),
            "cohort_sizes": {c.isoformat(): n for c, n in self.cohort_sizes},
            "pooled_retention": {str(k): round(rate, 4) for k, rate, _ in self.pooled_retention},
            "mean_crr_pct": self.mean_crr_pct, "mean_churn_rate_pct": self.mean_churn_rate_pct,
        }


def headline(query: Callable[[str], list[tuple]]) -> Headline:
    """The headline numbers, read with `query` (SQL in, rows out) from any target's marts."""
    customers, orders, revenue, first, last = query(
        """
        select count(*), sum(order_count), sum(net_revenue_usd), min(first_order_date), max(last_order_date)
        from marts.dim_customers
        where order_count > 0
        """
    )[0]
    cohorts = query(
        """
        select cohort_month, cohort_customers
        from marts.fct_cohort_retention
        where months_since_first_order = 0
        order by cohort_month
        """
    )
    pooled = query(
        f"""
        select months_since_first_order, retention_rate, cohorts_observed
        from marts.fct_retention_curve
        where months_since_first_order between {min(POOLED_MONTHS)} and {max(POOLED_MONTHS)}
        order by months_since_first_order
        """
    )
    mean_crr, mean_churn = query("select avg(crr_pct), avg(churn_rate_pct) from marts.fct_retention_periods")[0]
    return Headline(
        customers=customers, orders=int(orders or 0), net_revenue_usd=Decimal(revenue or 0),
        first_order_date=first, last_order_date=last, cohort_sizes=[(c, int(n)) for c, n in cohorts],
        pooled_retention=[(int(k), float(rate), int(n)) for k, rate, n in pooled],
        mean_crr_pct=None if mean_crr is None else float(mean_crr),
        mean_churn_rate_pct=None if mean_churn is None else float(mean_churn),
    )
