"""An independent implementation of the retention marts in plain Python.

It reads only the rows the raw contract accepted (every version of each key that passed the
checks: the non-quarantined rows of the `base_*_checked` models, typed) and the seed CSVs, and
shares no code with the dbt models that follow: deduplication, counting, currency conversion, the customer states and every
ratio are written again here from the definitions in docs/metrics.md, so that the two can be
compared to the customer and to the cent.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

from retention_warehouse.config import SEEDS_DIR

ACTIVE_WINDOW_DAYS = 90
NEW_CUSTOMER_DAYS = 30
AT_RISK_AFTER_DAYS = 60
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Order:
    customer_id: str
    order_date: date
    net_revenue_usd: Decimal
    ordered_at: datetime | None = None  # UTC, naive


def accepted(entity: str) -> str:
    """The raw rows of an entity that passed the contract, every version, with the raw metadata names."""
    model = {"orders": "base_shop__orders_checked", "customers": "base_shop__customers_checked",
             "survey_responses": "base_survey__responses_checked"}[entity]
    return (f"(select *, loaded_at as _loaded_at, source_file as _source_file, source_row as _source_row "
            f"from staging.{model} where row_outcome <> 'quarantined')")


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
        rows = con.execute(f"""
            select order_id, customer_id, ordered_at, status, gross_amount, discount_amount, refunded_amount,
                currency, coalesce(updated_at, ordered_at), _loaded_at, _source_file, _source_row
            from {accepted("orders")}
        """).fetchall()
    orders = []
    for _, customer_id, ordered_at, status, gross, discount, refunded, currency, *_rest in latest_versions(rows, 8):
        if not counts[status]:
            continue
        net_local = gross - (discount or 0) - (refunded or 0)
        usd = (net_local * rates[currency]).quantize(CENT, rounding=ROUND_HALF_UP)
        orders.append(Order(customer_id, ordered_at.astimezone(timezone.utc).date(), usd, utc(ordered_at)))
    return orders


def utc(moment: datetime) -> datetime:
    """A timezone-aware timestamp as a naive UTC one, as staging stores every *_at."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def latest_versions(rows: list[tuple], version_from: int) -> list[tuple]:
    """The latest version per key (column 0): the largest row[version_from:] tuple wins."""
    latest: dict[str, tuple] = {}
    for row in rows:
        if row[0] not in latest or row[version_from:] > latest[row[0]][version_from:]:
            latest[row[0]] = row
    return list(latest.values())


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


# --------------------------------------------------------------------------- surveys and NPS
# Written again from the definitions in models/docs/nps.md: matching (id, email, email without a
# plus tag, several accounts per email), the dedupe rule, the bands, NPS, its margin of error and
# the trailing 90 days.

NPS_DEDUPE_WINDOW = timedelta(days=2)
TRAILING_DAYS = 90


@dataclass(frozen=True)
class Account:
    customer_id: str
    email: str | None
    signed_up_at: datetime
    country_code: str | None


@dataclass(frozen=True)
class Response:
    response_id: str
    reported_customer_id: str | None
    email: str | None
    survey_id: str
    responded_at: datetime
    score: int


@dataclass
class NpsMarts:
    responses: dict[str, dict]           # kept responses on or before the as-of date, by response_id
    duplicates: dict[str, str]           # duplicate response_id -> superseding response_id
    nps: dict[tuple[date, str, str], dict]  # (period_month, segment_type, segment_value) for all and country


def email_key(email: str) -> str:
    """The email without a plus tag in its local part, unless the local part starts with '+'."""
    local, at, domain = email.partition("@")
    if at and "+" in local and not local.startswith("+"):
        local = local.split("+", 1)[0]
    return f"{local}{at}{domain}"


def normalised(text: str | None) -> str | None:
    return text.strip().lower() if text is not None else None


def accounts(db_path: Path) -> dict[str, Account]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        rows = con.execute(f"""
            select customer_id, email, signup_at, country, coalesce(updated_at, signup_at), _loaded_at,
                _source_file, _source_row
            from {accepted("customers")}
        """).fetchall()
    return {r[0]: Account(r[0], normalised(r[1]), utc(r[2]), r[3].strip().upper() if r[3] else None)
            for r in latest_versions(rows, 4)}


def survey_responses(db_path: Path) -> list[Response]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        rows = con.execute(f"""
            select response_id, customer_id, email, survey_id, responded_at, score, _loaded_at, _source_file, _source_row
            from {accepted("survey_responses")}
        """).fetchall()
    return [Response(r[0], r[1], normalised(r[2]), r[3] or "unknown", utc(r[4]), r[5]) for r in latest_versions(rows, 6)]


def match(response: Response, customers: dict[str, Account], by_key: dict[str, list[Account]],
          order_times: dict[str, list[datetime]]) -> tuple[str | None, str]:
    """(customer_id, match_method) of one response."""
    if response.reported_customer_id in customers:
        return response.reported_customer_id, "customer_id"
    if response.email is None:
        return None, "unmatched"
    candidates = by_key.get(email_key(response.email), [])
    if not candidates:
        return None, "unmatched"

    def preference(account: Account) -> tuple:
        before = [t for t in order_times.get(account.customer_id, []) if t <= response.responded_at]
        last = max(before) if before else None
        return (account.email != response.email, last is None, -(last.timestamp() if last else 0),
                -account.signed_up_at.timestamp(), account.customer_id)

    best = min(candidates, key=preference)
    return best.customer_id, "email" if best.email == response.email else "email_plus_address"


def nps_category(score: int) -> str:
    for band in seed("nps_categories"):
        if int(band["min_score"]) <= score <= int(band["max_score"]):
            return band["nps_category"]
    raise ValueError(f"score {score} is in no band of seeds/nps_categories.csv")


def nps_figures(categories: list[str]) -> dict:
    n = len(categories)
    promoters, passives, detractors = (categories.count(c) for c in ("promoter", "passive", "detractor"))
    if n == 0:
        score = margin = None
    else:
        p, d = promoters / n, detractors / n
        score = (promoters - detractors) * 100 / n
        margin = 1.96 * 100 * math.sqrt((p + d - (p - d) ** 2) / n)
    return {"responses": n, "promoters": promoters, "passives": passives, "detractors": detractors,
            "nps": score, "nps_margin_of_error": margin}


def compute_nps(db_path: Path) -> NpsMarts:
    orders = counted_orders(db_path)
    as_of = max(o.order_date for o in orders)
    last_complete = add_months(month_of(as_of + timedelta(days=1)), -1)
    customers = accounts(db_path)
    by_key: dict[str, list[Account]] = defaultdict(list)
    for account in customers.values():
        if account.email is not None:
            by_key[email_key(account.email)].append(account)
    order_times: dict[str, list[datetime]] = defaultdict(list)
    for o in orders:
        order_times[o.customer_id].append(o.ordered_at)

    matched = {r.response_id: (r, *match(r, customers, by_key, order_times)) for r in survey_responses(db_path)}

    duplicates: dict[str, str] = {}
    threads: dict[tuple[str, str], list[Response]] = defaultdict(list)
    for r, customer_id, _ in matched.values():
        if customer_id is not None:
            threads[(customer_id, r.survey_id)].append(r)
    for thread in threads.values():
        thread.sort(key=lambda r: (r.responded_at, r.response_id))
        for earlier, later in zip(thread, thread[1:]):
            if later.responded_at - earlier.responded_at <= NPS_DEDUPE_WINDOW:
                duplicates[earlier.response_id] = later.response_id

    kept: dict[str, dict] = {}
    for response_id, (r, customer_id, method) in matched.items():
        if response_id in duplicates or r.responded_at.date() > as_of:
            continue
        country = customers[customer_id].country_code if customer_id else None
        kept[response_id] = {
            "customer_id": customer_id, "match_method": method, "is_matched": customer_id is not None,
            "score": r.score, "nps_category": nps_category(r.score), "responded_at": r.responded_at,
            "segments": {"all": "all", "country": (country or "not_set") if customer_id else "unknown"},
        }

    nps: dict[tuple[date, str, str], dict] = {}
    first_month = min(month_of(k["responded_at"].date()) for k in kept.values())
    month = first_month
    while month <= last_complete:
        end = month_end(month)
        window_start = end - timedelta(days=TRAILING_DAYS - 1)
        groups: dict[tuple[str, str], tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
        for k in kept.values():
            day = k["responded_at"].date()
            if window_start <= day <= end:
                for segment_type, value in k["segments"].items():
                    in_month, trailing = groups[(segment_type, value)]
                    trailing.append(k["nps_category"])
                    if month_of(day) == month:
                        in_month.append(k["nps_category"])
        for (segment_type, value), (in_month, trailing) in groups.items():
            row = nps_figures(in_month)
            row.update({f"trailing_90d_{name}": v for name, v in nps_figures(trailing).items()})
            nps[(month, segment_type, value)] = row
        month = add_months(month, 1)

    for k in kept.values():
        del k["segments"]
    return NpsMarts(kept, duplicates, nps)
