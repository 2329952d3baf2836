"""An independent implementation of the retention marts in plain Python.

It reads only what the loader wrote (`raw.*`) and the seed CSVs, and shares no code with the
dbt models: deduplication, counting, currency conversion, the customer states and every
ratio are written again here from the definitions in the README, so that the two can be
compared to the customer and to the cent.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

from scripts.config import SEEDS_DIR

ACTIVE_WINDOW_DAYS = 90
NEW_CUSTOMER_DAYS = 30
AT_RISK_AFTER_DAYS = 60
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Order:
    customer_id: str
    order_date: date
    net_revenue_usd: Decimal


def month_of(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def is_customer(last_order: date | None, at: date) -> bool:
    return last_order is not None and last_order <= at and (at - last_order).days < ACTIVE_WINDOW_DAYS


def seed(name: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / f"{name}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def counted_orders(db_path: Path) -> list[Order]:
    """Latest version of every order that counts, with net revenue in USD rounded half up to the cent."""
    rates = {r["currency_code"]: Decimal(r["usd_per_unit"]) for r in seed("currency_rates")}
    counts = {r["order_status"]: r["counts_as_order"] == "true" for r in seed("order_statuses")}
    with duckdb.connect(str(db_path), read_only=True) as con:
        rows = con.execute("""
            select order_id, customer_id, ordered_at, status, gross_amount, discount_amount, refunded_amount,
                currency, coalesce(updated_at, ordered_at), _loaded_at, _source_file, _source_row
            from raw.orders
        """).fetchall()
    latest: dict[str, tuple] = {}
    for row in rows:
        version = (row[8], row[9], row[10], row[11])
        if row[0] not in latest or version > latest[row[0]][0]:
            latest[row[0]] = (version, row)
    orders = []
    for _, (_, customer_id, ordered_at, status, gross, discount, refunded, currency, *_rest) in latest.values():
        if not counts[status]:
            continue
        net_local = gross - (discount or 0) - (refunded or 0)
        usd = (net_local * rates[currency]).quantize(CENT, rounding=ROUND_HALF_UP)
        orders.append(Order(customer_id, ordered_at.astimezone(timezone.utc).date(), usd))
    return orders


@dataclass
class Marts:
    cohort_retention: dict[tuple[date, int], dict]
    retention_periods: dict[date, dict]
    customers: dict[str, dict]


def compute(db_path: Path) -> Marts:
    orders = counted_orders(db_path)
    as_of = max(o.order_date for o in orders)
    last_complete = add_months(month_of(as_of + timedelta(days=1)), -1)
    first_month = min(month_of(o.order_date) for o in orders)

    by_customer: dict[str, list[Order]] = defaultdict(list)
    for o in orders:
        by_customer[o.customer_id].append(o)
    cohort = {c: month_of(min(o.order_date for o in os)) for c, os in by_customer.items()}
    revenue: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
    active: set[tuple[str, date]] = set()
    for o in orders:
        revenue[(o.customer_id, month_of(o.order_date))] += o.net_revenue_usd
        active.add((o.customer_id, month_of(o.order_date)))

    months = []
    m = first_month
    while m <= last_complete:
        months.append(m)
        m = add_months(m, 1)

    cohort_retention: dict[tuple[date, int], dict] = {}
    members: dict[date, list[str]] = defaultdict(list)
    for c, cm in cohort.items():
        if cm <= last_complete:
            members[cm].append(c)
    for cm, customers in members.items():
        first = {c: revenue[(c, cm)] for c in customers}
        base = sum(first.values())
        k = 0
        while add_months(cm, k) <= last_complete:
            month = add_months(cm, k)
            month_revenue = {c: revenue[(c, month)] for c in customers}
            total = sum(month_revenue.values())
            capped = sum(min(month_revenue[c], first[c]) for c in customers)
            n_active = sum(1 for c in customers if (c, month) in active)
            cohort_retention[(cm, k)] = {
                "cohort_customers": len(customers),
                "active_customers": n_active,
                "retention_rate": n_active / len(customers),
                "net_revenue_usd": total,
                "net_revenue_retention_rate": float(total) / float(base) if base else None,
                "gross_revenue_retention_rate": float(capped) / float(base) if base else None,
            }
            k += 1

    order_dates = {c: sorted(o.order_date for o in os) for c, os in by_customer.items()}

    def last_order_until(customer: str, day: date) -> date | None:
        earlier = [d for d in order_dates[customer] if d <= day]
        return earlier[-1] if earlier else None

    retention_periods: dict[date, dict] = {}
    for month in months:
        start_day = month - timedelta(days=1)
        end_day = month_end(month)
        s = e = n = r = churned = 0
        for c, cm in cohort.items():
            if cm > month:
                continue
            at_start = is_customer(last_order_until(c, start_day), start_day)
            at_end = is_customer(last_order_until(c, end_day), end_day)
            s += at_start
            e += at_end
            n += cm == month
            r += cm < month and not at_start and at_end
            churned += at_start and not at_end
        retention_periods[month] = {
            "customers_at_start": s, "new_customers": n, "reactivated_customers": r,
            "churned_customers": churned, "customers_at_end": e,
            "crr_pct": (e - n) / s * 100 if s else None,
            "churn_rate_pct": churned / s * 100 if s else None,
        }

    customers: dict[str, dict] = {}
    for c, dates in order_dates.items():
        reactivations = [b for a, b in zip(dates, dates[1:]) if not is_customer(a, b)]
        last = dates[-1]
        if not is_customer(last, as_of):
            status = "churned"
        elif (as_of - dates[0]).days < NEW_CUSTOMER_DAYS:
            status = "new"
        elif reactivations and (as_of - reactivations[-1]).days < NEW_CUSTOMER_DAYS:
            status = "reactivated"
        elif (as_of - last).days < AT_RISK_AFTER_DAYS:
            status = "active"
        else:
            status = "at_risk"
        customers[c] = {
            "first_order_date": dates[0], "last_order_date": last, "order_count": len(dates),
            "net_revenue_usd": sum(o.net_revenue_usd for o in by_customer[c]),
            "cohort_month": cohort[c], "lifecycle_status": status,
        }
    return Marts(cohort_retention, retention_periods, customers)
