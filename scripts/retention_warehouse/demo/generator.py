"""Deterministic demo data: customers, orders, survey responses, support tickets and retention-campaign
assignments that behave like a shop's.

The purchase process follows the shape retention models assume (each customer buys at their
own Poisson rate and may drop out after any purchase), with what the retention literature
says drives churn built in: late deliveries, detractor answers and ignored complaints (a
complaint ticket with no first response within COMPLAINT_RESPONSE_DAYS) raise the chance that a
customer leaves. Tickets follow late deliveries, returns and failed payments. Randomised win-back
campaigns assign customers who lapse to a treatment or a control arm; a campaign with a true effect
brings some treated customers back and lowers their dropout afterwards. Seasonality peaks in
December; some lapsed customers come back; guest accounts share an email; some orders arrive late
or change status in a later file; and a small manual-upload CSV per entity carries deliberately bad
rows for the contract checks to quarantine.

Tickets and campaigns draw from random streams of their own (seeded by seed, chunk and stream number)
and act without changing a draw of the original stream: a customer who quits after an ignored
complaint stays in the simulation as a ghost whose later purchases (with their answers) are never
written, and a won-back customer's extra order is drawn from the campaign stream. So every row that
existed before tickets and campaigns is written exactly as before, apart from those ghost rows and the
ids after them in the answers.

Generation streams chunk by chunk (a fixed number of customers each, so the output for a
seed never depends on memory), writing one part file per chunk.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from retention_warehouse.ingest.contract import (
    CAMPAIGN_ASSIGNMENTS,
    CUSTOMERS,
    ENTITIES,
    ORDERS,
    SUPPORT_TICKETS,
    SURVEY_RESPONSES,
    Entity,
    seed_values,
)

FileFormat = Literal["parquet", "csv"]

CHUNK_CUSTOMERS = 100_000
"""Customers simulated per chunk; fixed so that output depends only on the seed and size."""

ORDERS_PER_CUSTOMER = 8
"""About how many order rows a customer yields on average over the default 3-year horizon."""

COUNTRY_WEIGHTS = {"US": 0.38, "GB": 0.14, "DE": 0.12, "FR": 0.08, "ES": 0.05, "NL": 0.05, "CA": 0.10, "AU": 0.08}
CHANNEL_WEIGHTS = {"organic": 0.34, "paid_search": 0.24, "social": 0.18, "referral": 0.12, "email": 0.12}
CHANNEL_RATE = {"organic": 1.0, "paid_search": 0.8, "social": 0.65, "referral": 1.35, "email": 1.2}
CHANNEL_DROPOUT = {"organic": 1.0, "paid_search": 1.25, "social": 1.4, "referral": 0.75, "email": 0.9}
FIRST_NAMES = ("ada", "ben", "chloe", "dev", "emma", "felix", "grace", "hugo", "iris", "jon",
               "kira", "leo", "maya", "noah", "olga", "pablo", "quinn", "rosa", "sam", "tara")
LAST_NAMES = ("adams", "baker", "costa", "dubois", "evans", "fischer", "garcia", "hansen", "ivanova",
              "jones", "kim", "lopez", "muller", "nguyen", "okafor", "patel", "rossi", "smith")
COMMENTS = {
    "detractor": ("Delivery was late again.", "Item arrived damaged.", "Support never answered.", ""),
    "passive": ("Fine, nothing special.", "Shipping could be faster.", ""),
    "promoter": ("Love it, fast delivery!", "Great quality.", "Will buy again.", ""),
}

TICKET_STREAM, CAMPAIGN_STREAM = 1, 2
"""Random streams of their own (np.random.default_rng([seed, chunk, stream])), apart from the original."""

COMPLAINT_RESPONSE_DAYS = 2
"""A complaint without a first response within this many days is ignored (dbt var complaint_response_days)."""

IGNORED_COMPLAINT_DROPOUT = 0.25
"""Chance that a customer quits after a purchase whose complaint was ignored (on top of their dropout)."""

WINBACK_DISCOUNT = 0.15
"""The discount of a won-back order (the campaign's offer)."""

OTHER_TICKET_CATEGORIES = {"damaged_item": 0.45, "product_question": 0.4, "account": 0.15}
"""Categories of tickets that do not follow a late delivery, a return or a failed payment."""


@dataclass(frozen=True)
class CampaignSpec:
    """An always-on randomised campaign: a customer who has not ordered for `lapse_days` days after a
    purchase is assigned (once per campaign) to treatment with probability `treatment_share`."""

    campaign_id: str
    lapse_days: int
    start: date
    treatment_share: float
    winback_probability: float
    """The true effect: this share of treated customers who would not have ordered in the next 60 days
    places a (discounted) order within them."""


CAMPAIGNS = (
    CampaignSpec("winback_60d", 60, date(2024, 7, 1), 0.5, 0.25),
    CampaignSpec("reminder_120d", 120, date(2024, 1, 1), 0.5, 0.0),  # no effect at all
)


@dataclass(frozen=True)
class GeneratorConfig:
    customers: int = 5_000
    seed: int = 42
    start: date = date(2023, 1, 1)
    end: date = date(2025, 12, 31)
    file_format: FileFormat = "parquet"
    bad_row_rate: float = 0.002
    """Share of rows, per entity, written again with a deliberate defect (at least 5 each)."""

    def __post_init__(self) -> None:
        if self.customers < 100:
            raise ValueError("customers must be at least 100")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if not 0 <= self.bad_row_rate <= 0.1:
            raise ValueError("bad_row_rate must be between 0 and 0.1")

    @property
    def horizon_days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass
class GenerateSummary:
    files: list[Path]
    rows: dict[str, int]
    bad_rows: dict[str, int]


def customers_for_orders(orders: int) -> int:
    """How many customers make about `orders` order rows."""
    return max(100, orders // ORDERS_PER_CUSTOMER)


def _choice(rng: np.random.Generator, weights: dict[str, float], size: int) -> np.ndarray:
    keys = np.array(list(weights))
    probs = np.array(list(weights.values()))
    return keys[rng.choice(len(keys), size=size, p=probs / probs.sum())]


def _season(day_of_year: np.ndarray) -> np.ndarray:
    """Relative purchase intensity through the year, peaking mid-December."""
    return 1.0 + 0.35 * np.cos(2 * np.pi * (day_of_year - 349) / 365.25)


@dataclass
class Chunk:
    customers: dict[str, np.ndarray]
    orders: dict[str, np.ndarray]
    late_orders: dict[str, np.ndarray]
    responses: dict[str, np.ndarray]
    tickets: dict[str, np.ndarray]
    assignments: dict[str, np.ndarray]


class Simulator:
    """Simulates one chunk of customers at a time; ids continue across chunks."""

    def __init__(self, config: GeneratorConfig) -> None:
        self.config = config
        self.next_order = 1
        self.next_response = 1
        self.next_ticket = 1
        self.next_assignment = 1
        self.start_s = int(datetime(config.start.year, config.start.month, config.start.day,
                                    tzinfo=timezone.utc).timestamp())
        rates = dict(zip(seed_values("currency_rates", "currency_code"),
                         map(float, seed_values("currency_rates", "usd_per_unit"))))
        currency_of = dict(zip(seed_values("country_regions", "country_code"),
                               seed_values("country_regions", "currency_code")))
        self.offset_of = dict(zip(seed_values("country_regions", "country_code"),
                                  map(int, seed_values("country_regions", "utc_offset_hours"))))
        self.currency_of = currency_of
        self.usd_rate = {country: rates[currency] for country, currency in currency_of.items()}

    def chunk(self, index: int, first_customer: int, size: int) -> Chunk:
        cfg = self.config
        rng = np.random.default_rng([cfg.seed, index])
        ticket_rng = np.random.default_rng([cfg.seed, index, TICKET_STREAM])
        campaign_rng = np.random.default_rng([cfg.seed, index, CAMPAIGN_STREAM])
        horizon = cfg.horizon_days
        n = size
        cust_idx = np.arange(first_customer, first_customer + n)
        customer_id = np.char.add("C", np.char.zfill(cust_idx.astype(str), 8))
        country = _choice(rng, COUNTRY_WEIGHTS, n)
        channel = _choice(rng, CHANNEL_WEIGHTS, n)
        # Growth: more sign-ups later in the horizon.
        signup_day = horizon * rng.random(n) ** 0.75
        first = np.array(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), n)]
        last = np.array(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), n)]
        name = np.char.add(np.char.add(np.char.capitalize(first), " "), np.char.capitalize(last))
        email = np.char.add(np.char.add(np.char.add(np.char.add(first, "."), last), cust_idx.astype(str)),
                            "@example.com")
        # Guest-like duplicates: a few accounts reuse another account's email and name.
        guest = rng.random(n) < 0.03
        owner = rng.integers(0, n, n)
        email = np.where(guest, email[owner], email)
        name = np.where(guest, name[owner], name)

        channel_rate = np.vectorize(CHANNEL_RATE.get)(channel)
        channel_drop = np.vectorize(CHANNEL_DROPOUT.get)(channel)
        rate = rng.gamma(shape=1.3, scale=1 / 28.0, size=n) * channel_rate  # orders per day
        dropout = np.clip(rng.beta(1.2, 17.0, size=n) * channel_drop, 0, 0.9)
        usd_rate = np.vectorize(self.usd_rate.get)(country)
        mean_spend = rng.gamma(shape=4.0, scale=19.0, size=n) / usd_rate  # in local currency
        satisfaction = rng.normal(0, 1, n)
        buys = rng.random(n) > 0.12

        t = signup_day + rng.exponential(4.0, n)
        alive = buys & (t < horizon)
        reactivated = np.zeros(n, dtype=bool)
        quit = np.zeros(n, dtype=bool)
        campaigns = _CampaignState(n, [(spec.start - cfg.start).days for spec in CAMPAIGNS])
        pieces: list[dict[str, np.ndarray]] = []
        while alive.any():
            who = np.flatnonzero(alive)
            m = len(who)
            day = t[who]
            recent = horizon - day
            status = np.where(rng.random(m) < 0.05, "cancelled", "delivered").astype(object)
            u = rng.random(m)
            status[u < 0.03] = "payment_failed"
            status[(u >= 0.03) & (u < 0.075) & (status == "delivered")] = "returned"
            status[(recent < 6) & (status == "delivered")] = "shipped"
            status[(recent < 2) & (status == "shipped")] = "placed"
            gross = np.round(rng.gamma(6.0, mean_spend[who] / 6.0) + 5 / usd_rate[who], 2)
            discounted = rng.random(m) < 0.25
            discount = np.where(discounted, np.round(gross * rng.uniform(0.05, 0.2, m), 2), 0.0)
            refunded = np.where(status == "returned", gross - discount, 0.0)
            partial = (status == "delivered") & (rng.random(m) < 0.03)
            refunded = np.where(partial, np.round((gross - discount) * rng.uniform(0.1, 0.5, m), 2), refunded)
            order_day = np.floor(day).astype(int)
            promised = order_day + rng.integers(3, 8, m)
            late = rng.random(m) < 0.07 + 0.05 * (country[who] == "AU")
            delay = np.where(late, rng.integers(1, 12, m), -rng.integers(0, 2, m))
            delivered = np.isin(status, ("delivered", "returned"))
            actual = np.where(delivered, np.maximum(promised + delay, order_day + 1), -1)
            answered = delivered & (rng.random(m) < 0.18)
            answer_day = actual + rng.integers(1, 10, m)
            answered &= answer_day < horizon
            score = np.clip(np.round(8.2 + 1.5 * satisfaction[who] + rng.normal(0, 1.2, m)
                                     - 3.0 * late - 2.0 * (status == "returned")), 0, 10).astype(int)
            detractor = answered & (score <= 6)
            tickets = _draw_tickets(ticket_rng, status, late, order_day, promised, actual, horizon)
            ghost = quit[who]
            pieces.append({
                "customer": who, "day": day, "status": status.astype(str), "gross": gross,
                "discount": discount, "refunded": refunded, "promised": promised, "actual": actual,
                "late": late, "answered": answered, "answer_day": answer_day, "score": score,
                "answer_seconds": rng.integers(0, 86_400, m), "ghost": ghost, **tickets,
            })
            # Dropout after this purchase: late deliveries and detractor answers push customers away.
            p = np.clip(dropout[who] + 0.15 * late + 0.22 * detractor, 0, 0.95)
            leaves = rng.random(m) < p
            comes_back = leaves & ~reactivated[who] & (rng.random(m) < 0.2)
            gap = rng.exponential(1.0 / rate[who]) / _season((day % 365.25) + cfg.start.timetuple().tm_yday)
            gap = np.where(comes_back, 120 + rng.exponential(150.0, m), gap + 0.01)
            reactivated[who] |= comes_back
            t[who] = day + gap
            alive[who] = (~leaves | comes_back) & (t[who] < horizon)
            # So does an ignored complaint (from the ticket stream): the customer quits and becomes a ghost.
            quit[who] |= ~ghost & tickets["ticket_ignored"] & (ticket_rng.random(m) < IGNORED_COMPLAINT_DROPOUT)
            # Campaigns assign real customers who lapse after this purchase (next real one, or none, later).
            real = ~ghost
            next_day = np.where(alive[who] & ~quit[who], t[who], np.inf)
            campaigns.assign(campaign_rng, who[real], day[real], next_day[real], horizon)

        orders = {k: np.concatenate([p[k] for p in pieces]) if pieces else np.array([]) for k in
                  ("customer", "day", "status", "gross", "discount", "refunded", "promised", "actual",
                   "late", "answered", "answer_day", "score", "answer_seconds", "ghost", *TICKET_FIELDS)}
        winback = campaigns.winback_orders(campaign_rng, mean_spend, usd_rate, horizon)
        chunk = self._rows(rng, orders, customer_id, email, name, signup_day, country, channel)
        # Written after the original rows (and their draws): won-back orders, then tickets and assignments.
        extra = self._order_rows(winback, customer_id, country)
        chunk.orders = {k: np.concatenate([v, extra[k]]) for k, v in chunk.orders.items()}
        chunk.tickets = self._tickets(orders, customer_id, country)
        chunk.assignments = self._assignments(campaigns, customer_id, country)
        return chunk

    def _tickets(self, o: dict[str, np.ndarray], customer_id: np.ndarray, country: np.ndarray) -> dict[str, np.ndarray]:
        """One row per ticket of a real (not ghost) purchase; a time not reached by the horizon's end is -1."""
        has = o["has_ticket"].astype(bool) & ~o["ghost"].astype(bool)
        cust = o["customer"].astype(int)[has]
        count = int(has.sum())
        ids = _ids("T", self.next_ticket, count)
        self.next_ticket += count

        def seconds(days: np.ndarray) -> np.ndarray:
            return np.where(days >= 0, self.start_s + np.round(days * 86_400), -1).astype(np.int64)

        opened = seconds(o["ticket_opened"][has])
        responded = seconds(o["ticket_first_response"][has])
        resolved = seconds(o["ticket_resolved"][has])
        return {
            "ticket_id": ids, "customer_id": customer_id[cust], "opened_at": opened,
            "first_response_at": responded, "resolved_at": resolved, "category": o["ticket_category"][has],
            "updated_at": np.maximum(opened, np.maximum(responded, resolved)), "_country": country[cust],
        }

    def _assignments(self, campaigns: _CampaignState, customer_id: np.ndarray,
                     country: np.ndarray) -> dict[str, np.ndarray]:
        cust, campaign, day, arm = campaigns.rows()
        count = len(cust)
        ids = _ids("A", self.next_assignment, count)
        self.next_assignment += count
        return {
            "assignment_id": ids, "customer_id": customer_id[cust],
            "campaign_id": np.array([CAMPAIGNS[c].campaign_id for c in campaign], dtype=str),
            "arm": arm, "assigned_at": self.start_s + np.round(day * 86_400).astype(np.int64),
            "_country": country[cust],
        }

    def _rows(self, rng: np.random.Generator, o: dict[str, np.ndarray], customer_id: np.ndarray,
              email: np.ndarray, name: np.ndarray, signup_day: np.ndarray, country: np.ndarray,
              channel: np.ndarray) -> Chunk:
        start_s = self.start_s
        n_orders = len(o["day"])
        cust = o["customer"].astype(int)
        customers = {
            "customer_id": customer_id, "email": email, "name": name,
            "signup_at": start_s + np.round(signup_day * 86_400).astype(np.int64),
            "country": country, "acquisition_channel": channel,
        }
        customers["updated_at"] = customers["signup_at"]
        orders = self._order_rows(o, customer_id, country)
        orders["_ghost"] = o["ghost"].astype(bool)
        # Late-arriving updates: some delivered orders were first extracted while still 'shipped';
        # the delivered version arrives in a later file. A few orders arrive only in that file.
        was_shipped = (o["status"] == "delivered") & (rng.random(n_orders) < 0.05)
        only_late = rng.random(n_orders) < 0.01
        late_orders = {k: v[was_shipped | only_late] for k, v in orders.items()}
        late_orders["updated_at"] = np.maximum(
            late_orders["ordered_at"], start_s + late_orders["actual_delivery_date"] * 86_400 + 3_600)
        first_version = {k: v.copy() for k, v in orders.items()}
        first_version["status"] = np.where(was_shipped, "shipped", first_version["status"])
        first_version["actual_delivery_date"] = np.where(was_shipped, -1, first_version["actual_delivery_date"])
        first_version = {k: v[~only_late] for k, v in first_version.items()}

        a = o["answered"]
        n_resp = int(a.sum())
        resp_cust = cust[a]
        responded_s = start_s + o["answer_day"][a].astype(np.int64) * 86_400 + o["answer_seconds"][a]
        score = o["score"][a]
        has_id = rng.random(n_resp) < 0.8
        resp_email = email[resp_cust].astype(object)
        variant = rng.random(n_resp)
        resp_email[variant < 0.1] = np.char.upper(email[resp_cust][variant < 0.1].astype(str))
        padded = (variant >= 0.1) & (variant < 0.15)
        resp_email[padded] = np.char.add("  ", email[resp_cust][padded].astype(str))
        plus = (variant >= 0.15) & (variant < 0.2)
        resp_email[plus] = np.char.replace(email[resp_cust][plus].astype(str), "@", "+nps@")
        category = np.where(score <= 6, "detractor", np.where(score <= 8, "passive", "promoter"))
        comment = np.array([COMMENTS[c][i % len(COMMENTS[c])] for c, i in
                            zip(category, rng.integers(0, 4, n_resp))], dtype=object)
        responses = {
            "customer_id": np.where(has_id, customer_id[resp_cust], None),
            "email": resp_email,
            "survey_id": np.full(n_resp, "post_delivery_nps"),
            "responded_at": responded_s,
            "score": score,
            "comment": comment,
            "survey_channel": _choice(rng, {"email": 0.6, "web": 0.25, "app": 0.15}, n_resp),
            "_country": country[resp_cust],
            "_ghost": o["ghost"][a].astype(bool),
        }
        # Some respondents answer the same survey twice within a day or two.
        twice = rng.random(n_resp) < 0.02
        responses = {k: np.concatenate([v, v[twice]]) for k, v in responses.items()}
        extra = int(twice.sum())
        responses["responded_at"][n_resp:] += rng.integers(600, 2 * 86_400, extra)
        responses["score"][n_resp:] = np.clip(responses["score"][n_resp:] + rng.integers(-1, 2, extra), 0, 10)
        total = n_resp + extra
        responses["response_id"] = _ids("R", self.next_response, total)
        self.next_response += total
        horizon_end = start_s + self.config.horizon_days * 86_400 - 1
        responses["responded_at"] = np.minimum(responses["responded_at"], horizon_end)
        # Answers the shop cannot place (drawn last, so every value above stays as it was): of the
        # answers without a customer id, 15% give an email no account has and 5% give none; 1% of
        # the answers with an id send one the shop does not know (their email still matches).
        u = rng.random(total)
        no_id = np.array([c is None for c in responses["customer_id"]], dtype=bool)
        stranger = no_id & (u < 0.15)
        responses["email"][stranger] = np.char.add(
            np.char.add("visitor.", np.char.lower(responses["response_id"][stranger])), "@example.org")
        responses["email"][no_id & (u >= 0.15) & (u < 0.20)] = None
        unknown_id = ~no_id & (u < 0.01)
        responses["customer_id"][unknown_id] = np.char.add(
            "LEGACY-", responses["customer_id"][unknown_id].astype(str))
        return Chunk(customers, _real(first_version), _real(late_orders), _real(responses), {}, {})

    def _order_rows(self, o: dict[str, np.ndarray], customer_id: np.ndarray,
                    country: np.ndarray) -> dict[str, np.ndarray]:
        """Simulated purchases as order rows, with ids continuing from the last chunk's."""
        n_orders = len(o["day"])
        order_ids = _ids("O", self.next_order, n_orders)
        self.next_order += n_orders
        ordered_s = self.start_s + np.round(o["day"] * 86_400).astype(np.int64)
        order_country = country[o["customer"].astype(int)]
        return {
            "order_id": order_ids, "customer_id": customer_id[o["customer"].astype(int)], "ordered_at": ordered_s,
            "status": o["status"], "gross_amount": o["gross"], "discount_amount": o["discount"],
            "refunded_amount": o["refunded"], "currency": np.vectorize(self.currency_of.get)(order_country)
            if n_orders else np.array([], dtype=str),
            "promised_delivery_date": o["promised"].astype(np.int64), "actual_delivery_date": o["actual"],
            "updated_at": ordered_s, "_country": order_country,
        }


def _ids(prefix: str, first: int, count: int) -> np.ndarray:
    """`count` ids from `first` on, as prefix + 10 digits (none when count is 0)."""
    if count == 0:
        return np.array([], dtype=str)
    return np.char.add(prefix, np.char.zfill(np.arange(first, first + count).astype(str), 10))


def _real(rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The rows that are not a ghost's (a customer who quit after an ignored complaint), without the flag."""
    keep = ~rows.pop("_ghost")
    return {k: v[keep] for k, v in rows.items()}


TICKET_FIELDS = ("has_ticket", "ticket_category", "ticket_opened", "ticket_first_response", "ticket_resolved",
                 "ticket_ignored")


def _draw_tickets(rng: np.random.Generator, status: np.ndarray, late: np.ndarray, order_day: np.ndarray,
                  promised: np.ndarray, actual: np.ndarray, horizon: int) -> dict[str, np.ndarray]:
    """At most one ticket per purchase, in days since the start (-1 = no such time by the horizon end).

    Tickets follow late deliveries (45%), returns (50%) and failed payments (25%); 3% of other purchases
    bring a ticket about damage, a product or the account. 75% get a first response within two days,
    12% a later one, 13% none; 92% of the answered ones are resolved within 5 days of the answer.
    """
    m = len(status)
    delivered = np.isin(status, ("delivered", "returned"))
    returned = status == "returned"
    failed = status == "payment_failed"
    late_delivery = late & delivered & ~returned
    chance = np.select([late_delivery, returned, failed], [0.45, 0.5, 0.25], 0.03)
    has = rng.random(m) < chance
    other = _choice(rng, OTHER_TICKET_CATEGORIES, m)
    category = np.select([late_delivery, returned, failed], ["delivery_delay", "return_refund", "billing"], other)
    after_delivery = np.where(actual >= 0, actual, order_day)
    opened = np.select(
        [late_delivery, returned, failed],
        [promised + rng.uniform(0.5, 3.0, m), actual + rng.uniform(1.0, 10.0, m), order_day + rng.uniform(0.0, 2.0, m)],
        after_delivery + rng.uniform(0.2, 15.0, m),
    )
    answer = rng.random(m)
    wait = np.where(answer < 0.75, rng.uniform(0.02, 1.9, m), rng.uniform(2.5, 12.0, m))
    first_response = np.where(answer < 0.87, opened + wait, np.inf)
    resolved = np.where(rng.random(m) < 0.92, first_response + rng.uniform(0.0, 5.0, m), np.inf)
    has &= opened < horizon
    complaint = np.isin(category, [c for c, is_complaint in zip(*_ticket_categories()) if is_complaint])
    ignored = has & complaint & (first_response - opened > COMPLAINT_RESPONSE_DAYS)
    return {
        "has_ticket": has, "ticket_category": category.astype(str), "ticket_opened": opened,
        "ticket_first_response": np.where(first_response < horizon, first_response, -1.0),
        "ticket_resolved": np.where(resolved < horizon, resolved, -1.0), "ticket_ignored": ignored,
    }


def _ticket_categories() -> tuple[tuple[str, ...], tuple[bool, ...]]:
    """The seed's categories and whether each is a complaint."""
    return (seed_values("ticket_categories", "ticket_category"),
            tuple(v == "true" for v in seed_values("ticket_categories", "is_complaint")))


class _CampaignState:
    """Who was assigned to which campaign, in the order the simulation assigns them."""

    def __init__(self, n: int, start_days: list[int]) -> None:
        self.assigned = np.zeros((n, len(CAMPAIGNS)), dtype=bool)
        self.start_days = start_days
        self.parts: list[tuple[np.ndarray, int, np.ndarray, np.ndarray]] = []
        self.winners: list[tuple[np.ndarray, np.ndarray]] = []

    def assign(self, rng: np.random.Generator, who: np.ndarray, day: np.ndarray, next_day: np.ndarray,
               horizon: int) -> None:
        """Assign customers whose next purchase (inf: none) comes more than a campaign's lapse after their
        purchase on `day`; a won-back treated customer orders before that next purchase would have come."""
        m = len(who)
        for c, spec in enumerate(CAMPAIGNS):
            due = day + spec.lapse_days + rng.uniform(0.0, 1.0, m)
            treated_draw, win_draw, win_day = rng.random(m), rng.random(m), due + rng.uniform(1.0, 60.0, m)
            eligible = (next_day > due) & (due >= self.start_days[c]) & (due < horizon) & ~self.assigned[who, c]
            treated = eligible & (treated_draw < spec.treatment_share)
            won = treated & (win_draw < spec.winback_probability) & (win_day < np.minimum(next_day, horizon))
            next_day = np.where(won, win_day, next_day)
            self.assigned[who[eligible], c] = True
            self.parts.append((who[eligible], c, due[eligible], np.where(treated, "treatment", "control")[eligible]))
            self.winners.append((who[won], win_day[won]))

    def winback_orders(self, rng: np.random.Generator, mean_spend: np.ndarray, usd_rate: np.ndarray,
                       horizon: int) -> dict[str, np.ndarray]:
        """The won-back customers' orders, as simulated purchases (spend as the customer's, the offer off)."""
        cust = np.concatenate([w[0] for w in self.winners]).astype(int) if self.winners else np.array([], int)
        day = np.concatenate([w[1] for w in self.winners]) if self.winners else np.array([])
        k = len(cust)
        recent = horizon - day
        status = np.where(recent < 2, "placed", np.where(recent < 6, "shipped", "delivered"))
        gross = np.round(rng.gamma(6.0, mean_spend[cust] / 6.0) + 5 / usd_rate[cust], 2)
        order_day = np.floor(day).astype(int)
        promised = order_day + rng.integers(3, 8, k)
        actual = np.where(status == "delivered", np.maximum(promised - rng.integers(0, 2, k), order_day + 1), -1)
        return {"customer": cust, "day": day, "status": status, "gross": gross,
                "discount": np.round(gross * WINBACK_DISCOUNT, 2), "refunded": np.zeros(k),
                "promised": promised, "actual": actual}

    def rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if not self.parts:
            return np.array([], dtype=int), np.array([], dtype=int), np.array([]), np.array([], dtype=str)
        return (np.concatenate([p[0] for p in self.parts]).astype(int),
                np.concatenate([np.full(len(p[0]), p[1]) for p in self.parts]).astype(int),
                np.concatenate([p[2] for p in self.parts]),
                np.concatenate([p[3] for p in self.parts]).astype(str))


# --------------------------------------------------------------------------- writing

TIMESTAMP_COLUMNS = {"signup_at", "updated_at", "ordered_at", "responded_at", "opened_at", "first_response_at",
                     "resolved_at", "assigned_at"}
"""Seconds since the epoch; a negative value is a blank (a time that has not come yet)."""
DATE_COLUMNS = {"promised_delivery_date", "actual_delivery_date"}
MONEY_COLUMNS = {"gross_amount", "discount_amount", "refunded_amount"}


class Writer:
    """Streams one entity's rows into part files of the chosen format."""

    def __init__(self, out_dir: Path, entity: Entity, config: GeneratorConfig, simulator: Simulator) -> None:
        self.folder = out_dir / entity.name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.entity = entity
        self.config = config
        self.simulator = simulator
        self.files: list[Path] = []
        self.rows = 0

    def _epoch_day(self) -> int:
        return (self.config.start - date(1970, 1, 1)).days

    def table(self, rows: dict[str, np.ndarray]) -> pa.Table:
        csv_mode = self.config.file_format == "csv"
        offsets = None
        if csv_mode:  # every entity carries its customer's country, as `country` or `_country`
            countries = rows.get("_country", rows.get("country"))
            offsets = np.vectorize(self.simulator.offset_of.get)(countries) if len(countries) else np.array([])
        arrays = {}
        for column in self.entity.columns:
            values = rows[column.name]
            if column.name in TIMESTAMP_COLUMNS:
                seconds = values.astype(np.int64)
                blank = seconds < 0
                if csv_mode:
                    arrays[column.name] = pa.array(_format_local(seconds, offsets.astype(np.int64)), mask=blank)
                else:
                    arrays[column.name] = pa.array(seconds * 1_000_000, pa.timestamp("us", tz="UTC"), mask=blank)
            elif column.name in DATE_COLUMNS:
                days = values.astype(np.int64)
                mask = days < 0
                arrays[column.name] = pa.array((days + self._epoch_day()).astype(np.int32), pa.date32(), mask=mask)
            elif column.name in MONEY_COLUMNS:
                arrays[column.name] = pa.array(np.round(values.astype(float), 2), pa.float64())
            elif column.name == "score":
                arrays[column.name] = pa.array(values.astype(np.int64), pa.int64())
            else:
                arrays[column.name] = pa.array([None if v is None else str(v) for v in values], pa.string())
        return pa.table(arrays)

    def write_part(self, part: str, rows: dict[str, np.ndarray]) -> None:
        if not len(next(iter(rows.values()))):
            return
        table = self.table(rows)
        path = self.folder / f"{self.entity.name}-{part}.{self.config.file_format}"
        if self.config.file_format == "parquet":
            pq.write_table(table, path, compression="zstd")
        else:
            pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
        self.files.append(path)
        self.rows += table.num_rows


def _format_local(seconds: np.ndarray, offset_hours: np.ndarray) -> np.ndarray:
    """ISO 8601 text in the row's local time with its UTC offset, e.g. 2024-03-01T09:30:00+01:00."""
    local = (seconds + offset_hours * 3600).astype("datetime64[s]")
    text = np.datetime_as_string(local, unit="s")
    sign = np.where(offset_hours < 0, "-", "+")
    suffix = np.char.add(np.char.add(sign, np.char.zfill(np.abs(offset_hours).astype(str), 2)), ":00")
    return np.char.add(text.astype(str), suffix)


def iter_chunks(total: int) -> Iterator[tuple[int, int, int]]:
    for index, first in enumerate(range(0, total, CHUNK_CUSTOMERS)):
        yield index, first, min(CHUNK_CUSTOMERS, total - first)


def generate(config: GeneratorConfig, out_dir: Path,
             on_progress: Callable[[int], None] | None = None) -> GenerateSummary:
    """Write the data set under `out_dir` (entity folders are replaced)."""
    for entity in ENTITIES:
        folder = out_dir / entity.name
        if folder.exists():
            for old in folder.iterdir():
                if old.is_file():
                    old.unlink()
    simulator = Simulator(config)
    writers = {e.name: Writer(out_dir, e, config, simulator) for e in ENTITIES}
    late_parts: list[dict[str, np.ndarray]] = []
    samples: dict[str, dict[str, list]] = {}
    for index, first, size in iter_chunks(config.customers):
        chunk = simulator.chunk(index, first, size)
        part = f"{index:05d}"
        writers["customers"].write_part(part, chunk.customers)
        writers["orders"].write_part(part, chunk.orders)
        writers["survey_responses"].write_part(part, chunk.responses)
        writers["support_tickets"].write_part(part, chunk.tickets)
        writers["campaign_assignments"].write_part(part, chunk.assignments)
        late_parts.append(chunk.late_orders)
        if index == 0:
            samples = {"customers": _sample(chunk.customers), "orders": _sample(chunk.orders),
                       "survey_responses": _sample(chunk.responses), "support_tickets": _sample(chunk.tickets),
                       "campaign_assignments": _sample(chunk.assignments)}
        if on_progress is not None:
            on_progress(size)
    late = {k: np.concatenate([p[k] for p in late_parts]) for k in late_parts[0]}
    writers["orders"].write_part("late-arriving", late)
    bad = write_bad_rows(config, out_dir, samples, writers)
    return GenerateSummary(
        files=[f for w in writers.values() for f in w.files],
        rows={name: w.rows for name, w in writers.items()},
        bad_rows=bad,
    )


def _sample(rows: dict[str, np.ndarray], size: int = 50) -> dict[str, list]:
    return {k: list(v[:size]) for k, v in rows.items()}


# --------------------------------------------------------------------------- bad rows

BAD_ORDER_DEFECTS = (
    ("gross_amount", "twelve"), ("gross_amount", "-15.00"), ("gross_amount", "5000000.00"),
    ("gross_amount", "10.005"), ("status", "lost_in_transit"), ("currency", "XYZ"),
    ("ordered_at", "2099-01-01T00:00:00Z"), ("ordered_at", "yesterday"), ("customer_id", "C99999999"),
    ("order_id", ""), ("discount_amount", "99999.00"), ("__duplicate__", ""),
)
BAD_CUSTOMER_DEFECTS = (
    ("signup_at", "not a date"), ("customer_id", ""), ("email", "no-at-sign"),
    ("signup_at", "2099-06-01T00:00:00Z"), ("__duplicate__", ""),
)
BAD_RESPONSE_DEFECTS = (
    ("score", "11"), ("score", "ten"), ("score", "-1"), ("score", "7.5"),
    ("responded_at", "2099-01-01T00:00:00Z"), ("response_id", ""), ("__duplicate__", ""),
)
BAD_TICKET_DEFECTS = (
    ("category", "lost_parcel"), ("opened_at", "2099-01-01T00:00:00Z"), ("opened_at", "soon"),
    ("customer_id", "C99999999"), ("first_response_at", "2000-01-01T00:00:00Z"), ("ticket_id", ""),
    ("__duplicate__", ""),
)
BAD_ASSIGNMENT_DEFECTS = (
    ("arm", "placebo"), ("assigned_at", "not a time"), ("assigned_at", "2099-01-01T00:00:00Z"),
    ("customer_id", "C99999999"), ("campaign_id", ""), ("assignment_id", ""), ("__duplicate__", ""),
)


def write_bad_rows(config: GeneratorConfig, out_dir: Path, samples: dict[str, dict[str, list]],
                   writers: dict[str, Writer]) -> dict[str, int]:
    """Per entity, a manual-upload CSV of valid-looking rows each with one deliberate defect.

    Ids are new (prefixed 'X'), so a defect never hides a generated row. '__duplicate__'
    writes a valid row twice: the checks keep the first and quarantine the second.
    """
    counts = {}
    for entity, defects in ((CUSTOMERS, BAD_CUSTOMER_DEFECTS), (ORDERS, BAD_ORDER_DEFECTS),
                            (SURVEY_RESPONSES, BAD_RESPONSE_DEFECTS), (SUPPORT_TICKETS, BAD_TICKET_DEFECTS),
                            (CAMPAIGN_ASSIGNMENTS, BAD_ASSIGNMENT_DEFECTS)):
        writer = writers[entity.name]
        wanted = max(len(defects), min(1_000, round(config.bad_row_rate * writer.rows)))
        sample = samples[entity.name]
        sample_size = len(sample[entity.primary_key])
        if sample_size == 0:
            counts[entity.name] = 0
            continue
        path = writer.folder / f"{entity.name}-manual-upload.csv"
        rows_written = 0
        with path.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow([c.name for c in entity.columns])
            for i in range(wanted):
                column, bad_value = defects[i % len(defects)]
                base = {c.name: _text(c.name, sample[c.name][i % sample_size], config.start)
                        for c in entity.columns}
                base[entity.primary_key] = f"X{entity.primary_key[0].upper()}{i:08d}"
                if column == "__duplicate__":
                    out.writerow([base[c.name] for c in entity.columns])
                    rows_written += 1
                else:
                    base[column] = bad_value
                out.writerow([base[c.name] for c in entity.columns])
                rows_written += 1
        writer.files.append(path)
        writer.rows += rows_written
        counts[entity.name] = wanted
    return counts


def _text(column: str, value: object, start: date) -> str:
    """One generated value as contract text (dates are day offsets from `start`)."""
    if value is None:
        return ""
    if column in TIMESTAMP_COLUMNS:
        if int(value) < 0:
            return ""
        return datetime.fromtimestamp(int(value), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if column in DATE_COLUMNS:
        return "" if int(value) < 0 else (start + timedelta(days=int(value))).isoformat()
    if column in MONEY_COLUMNS:
        return f"{float(value):.2f}"
    return str(value)
