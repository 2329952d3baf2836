"""Loyalty tiers: dim_customers.loyalty_tier and fct_retention_by_loyalty_tier recomputed in plain Python."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal


def tiers_at(built_warehouse, at_date) -> dict[str, tuple[str, Decimal]]:
    """customer -> (tier, trailing 365-day net revenue) from int_orders_enriched rows and the seed."""
    bounds = built_warehouse.query(
        "select loyalty_tier, min_trailing_365d_net_revenue_usd from reference.loyalty_tiers"
        " order by min_trailing_365d_net_revenue_usd desc")
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for customer, order_date, net in built_warehouse.query(
            "select customer_id, order_date, net_revenue_usd from intermediate.int_orders_enriched where counts_as_order"):
        if at_date - timedelta(days=365) < order_date <= at_date:
            revenue[customer] += net
    return {c: (next(t for t, low in bounds if r >= low), r) for c, r in revenue.items()}


def test_dim_customers_loyalty_tier_matches_the_seed_bounds(built_warehouse) -> None:
    (as_of,) = built_warehouse.query("select distinct as_of_date from marts.dim_customers")[0]
    expected = tiers_at(built_warehouse, as_of)
    rows = built_warehouse.query("select customer_id, loyalty_tier, trailing_365d_net_revenue_usd from marts.dim_customers")
    assert {c: (t, r) for c, t, r in rows if t is not None} == expected
    assert all(r == 0 for _, t, r in rows if t is None)
    assert {t for t, _ in expected.values()} >= {"bronze", "silver", "gold"}


def test_retention_by_tier_counts_who_ordered_in_the_next_90_days(built_warehouse) -> None:
    (as_of,) = built_warehouse.query("select distinct as_of_date from marts.dim_customers")[0]
    snapshot = as_of - timedelta(days=90)
    tiers = tiers_at(built_warehouse, snapshot)
    ordered_after = {c for (c,) in built_warehouse.query(
        "select distinct customer_id from intermediate.int_orders_enriched"
        " where counts_as_order and order_date > ? and order_date <= ?", [snapshot, as_of])}
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for customer, (tier, _) in tiers.items():
        expected[tier][0] += 1
        expected[tier][1] += customer in ordered_after
    rows = built_warehouse.query(
        "select loyalty_tier, snapshot_date, outcome_end_date, customers, retained_customers, retention_rate"
        " from marts.fct_retention_by_loyalty_tier")
    assert {t: [n, r] for t, _, _, n, r, _ in rows} == dict(expected)
    assert all((s, e) == (snapshot, as_of) and rate == r / n for _, s, e, n, r, rate in rows)
