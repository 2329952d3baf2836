"""The bad-input catalogue: every class of bad file and bad row, with its documented outcome.

File-level classes (unreadable, empty, a missing required column, another delimiter, ...) fail in
ingestion, in Python, before a row lands. Row-level classes land and are quarantined by the contract
check models in dbt, on every engine. `write_catalogue` writes every row-level class, and the rows the
checks must stage (time zones, versions across files, mapped statuses, absent optional columns, a
deterministic sample of timestamps and amounts), into one data directory, each in a file of its own, so
one build per engine judges them all.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.support.raw_files import CUSTOMER_HEADER, ORDER_HEADER, RESPONSE_HEADER, good_customers, write

GOOD_ORDER = "O1,C1,2024-02-01T10:00:00Z,delivered,100.00,10.00,0,USD,2024-02-05,2024-02-04"
TICKET_HEADER = "ticket_id,customer_id,opened_at,first_response_at,resolved_at,category"
ASSIGNMENT_HEADER = "assignment_id,customer_id,campaign_id,arm,assigned_at"


@dataclass(frozen=True)
class BadInput:
    """One class of bad input: the file to write and its documented outcome."""

    name: str
    entity: str
    file_name: str
    content: bytes
    row: int | None = None
    """Quarantined at this data row (1 = first row after the header) ..."""
    column: str | None = None
    reason: str | None = None
    """... with a reason starting so; or, when row is None, the whole file fails with this problem."""

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.file_name}"


def csv_bytes(header: str, *rows: str) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _parquet_with_wrong_schema() -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"order_id": ["O1"], "customer_id": ["C1"]}), sink)
    return sink.getvalue().to_pybytes()


FILE_CLASSES = [
    BadInput("missing required column", "orders", "o.csv",
             csv_bytes(ORDER_HEADER.replace(",currency", ""), "O1,C1,2024-02-01T10:00:00Z,placed,1.00,0,0,,"),
             reason="missing required column(s) currency"),
    BadInput("empty file", "orders", "o.csv", b"", reason="file is empty"),
    BadInput("wrong delimiter", "orders", "o.csv",
             csv_bytes(ORDER_HEADER.replace(",", ";"), GOOD_ORDER.replace(",", ";")),
             reason="the header is delimited by semicolons, not commas"),
    BadInput("broken quoting", "orders", "o.csv", csv_bytes(ORDER_HEADER, GOOD_ORDER.replace("delivered", '"delivered')),
             reason="cannot be read as CSV"),
    BadInput("invalid UTF-8", "orders", "o.csv", csv_bytes(ORDER_HEADER, GOOD_ORDER)[:-1] + b"\xff\xfe\n",
             reason="cannot be read as CSV"),
    BadInput("truncated file", "orders", "o.csv", csv_bytes(ORDER_HEADER, GOOD_ORDER)[:-30],
             reason="cannot be read as CSV"),
    BadInput("unsupported file type", "orders", "o.xlsx", b"PK\x03\x04", reason="unsupported file type"),
    BadInput("Parquet with a wrong schema", "orders", "o.parquet", _parquet_with_wrong_schema(),
             reason="missing required column(s) ordered_at, status"),
]


def _order(name: str, row: str, column: str, reason: str, file_name: str) -> BadInput:
    return BadInput(name, "orders", file_name, csv_bytes(ORDER_HEADER, row), 1, column, reason)


ROW_CLASSES = [
    _order("wrong type", GOOD_ORDER.replace("O1,", "WT1,").replace("100.00", "abc"), "gross_amount", "not a number",
           "wrong-type.csv"),
    _order("missing required value", GOOD_ORDER.replace("O1,", ",", 1), "order_id", "missing required value",
           "missing-value.csv"),
    BadInput("duplicate key within a file", "orders", "duplicate.csv",
             csv_bytes(ORDER_HEADER, GOOD_ORDER.replace("O1,", "D1,"), GOOD_ORDER.replace("O1,", "D1,")),
             2, "order_id", "duplicate order_id 'D1' in the same file (first at row 1)"),
    _order("order of an unknown customer", GOOD_ORDER.replace("O1,C1,", "UC1,C404,"), "customer_id",
           "unknown customer: 'C404'", "unknown-customer.csv"),
    _order("negative amount", GOOD_ORDER.replace("O1,", "NA1,").replace("100.00", "-100.00"), "gross_amount",
           "negative amount", "negative.csv"),
    _order("absurd amount", GOOD_ORDER.replace("O1,", "AA1,").replace("100.00", "2000000.00"), "gross_amount",
           "absurd amount (over 1,000,000)", "absurd.csv"),
    _order("more than two decimals", GOOD_ORDER.replace("O1,", "MD1,").replace("100.00", "100.001"), "gross_amount",
           "more than 2 decimal places", "decimals.csv"),
    _order("unknown status", GOOD_ORDER.replace("O1,", "US1,").replace("delivered", "teleported"), "status",
           "unknown value 'teleported'", "status.csv"),
    _order("unknown currency", GOOD_ORDER.replace("O1,", "UY1,").replace("USD", "XBT"), "currency",
           "unknown value 'XBT'", "currency.csv"),
    _order("timestamp in the future", GOOD_ORDER.replace("O1,", "TF1,").replace("2024-02-01T10", "2099-02-01T10"),
           "ordered_at", "timestamp in the future", "future.csv"),
    _order("unparsable timestamp", GOOD_ORDER.replace("O1,", "UT1,").replace("2024-02-01T10:00:00Z", "yesterday"),
           "ordered_at", "not a timestamp", "unparsable.csv"),
    _order("impossible date", GOOD_ORDER.replace("O1,", "ID1,").replace("2024-02-01T10:00:00Z", "2024-02-30T10:00:00Z"),
           "ordered_at", "not a timestamp", "impossible-date.csv"),
    _order("timestamp before 1990", GOOD_ORDER.replace("O1,", "TB1,").replace("2024-02-01T10", "1989-02-01T10"),
           "ordered_at", "timestamp before 1990-01-01", "before-1990.csv"),
    _order("refund larger than paid", GOOD_ORDER.replace("O1,", "RL1,").replace(",10.00,0,", ",10.00,95.00,"),
           "refunded_amount", "refund larger than the amount paid", "refund.csv"),
    _order("discount larger than gross", GOOD_ORDER.replace("O1,", "DL1,").replace(",10.00,0,", ",120.00,0,"),
           "discount_amount", "discount larger than gross amount", "discount.csv"),
    _order("delivered before ordered", GOOD_ORDER.replace("O1,", "DB1,").replace(",2024-02-04", ",2024-01-04"),
           "actual_delivery_date", "delivered before the order was placed", "delivered-early.csv"),
    _order("not a date", GOOD_ORDER.replace("O1,", "ND1,").replace(",2024-02-05,", ",soon,"),
           "promised_delivery_date", "not a date", "not-a-date.csv"),
    BadInput("NPS score out of range", "survey_responses", "range.csv",
             csv_bytes(RESPONSE_HEADER, "SR1,C1,,2024-02-01T10:00:00Z,11,,web"), 1, "score", "score outside 0-10"),
    BadInput("NPS score not a whole number", "survey_responses", "whole.csv",
             csv_bytes(RESPONSE_HEADER, "SW1,C1,,2024-02-01T10:00:00Z,7.5,,web"), 1, "score", "not a whole number"),
    BadInput("NPS score not a number", "survey_responses", "ten.csv",
             csv_bytes(RESPONSE_HEADER, "SN1,C1,,2024-02-01T10:00:00Z,ten,,web"), 1, "score", "not a number: 'ten'"),
    BadInput("email without @", "customers", "email.csv",
             csv_bytes(CUSTOMER_HEADER, "C7,not-an-email,Nia,2024-01-01T10:00:00Z,US,organic"),
             1, "email", "not an email address"),
    BadInput("identifier too long", "customers", "long-id.csv",
             csv_bytes(CUSTOMER_HEADER, "C" + "x" * 70 + ",,Long,2024-01-01T10:00:00Z,US,organic"),
             1, "customer_id", "identifier longer than 64 characters"),
    BadInput("ticket answered before it was opened", "support_tickets", "answered.csv",
             csv_bytes(TICKET_HEADER, "T2,C1,2024-02-01T10:00:00Z,2024-02-01T09:00:00Z,,billing"),
             1, "first_response_at", "first response before the ticket was opened"),
    BadInput("ticket resolved before it was opened", "support_tickets", "resolved.csv",
             csv_bytes(TICKET_HEADER, "T4,C2,2024-02-01T10:00:00Z,2024-02-02T10:00:00Z,2024-01-30T10:00:00Z,billing"),
             1, "resolved_at", "resolved before the ticket was opened"),
    BadInput("ticket of an unknown customer", "support_tickets", "unknown.csv",
             csv_bytes(TICKET_HEADER, "T3,C9,2024-02-01T10:00:00Z,,,billing"), 1, "customer_id",
             "unknown customer: 'C9'"),
    BadInput("unknown ticket category", "support_tickets", "category.csv",
             csv_bytes(TICKET_HEADER, "T5,C2,2024-02-01T10:00:00Z,,,lost_parcel"), 1, "category",
             "unknown value 'lost_parcel'"),
    BadInput("unknown campaign arm", "campaign_assignments", "arm.csv",
             csv_bytes(ASSIGNMENT_HEADER, "A2,C2,winback,placebo,2024-03-01T10:00:00Z"), 1, "arm", "unknown value"),
    BadInput("assignment without a campaign", "campaign_assignments", "campaign.csv",
             csv_bytes(ASSIGNMENT_HEADER, "A3,C3,,control,2024-03-01T10:00:00Z"), 1, "campaign_id",
             "missing required value"),
    BadInput("assignment in the future", "campaign_assignments", "future.csv",
             csv_bytes(ASSIGNMENT_HEADER, "A4,C3,winback,Control,2099-03-01T10:00:00Z"), 1, "assigned_at",
             "timestamp in the future"),
]
"""Each a file of its own with keys of its own, so no class changes the verdict on another."""

CATALOGUE = FILE_CLASSES + ROW_CLASSES

INSTANT = datetime(2024, 2, 1, 10, tzinfo=timezone.utc)
MIXED_TIME_ZONES = {  # order id -> how its ordered_at is written; every one is INSTANT
    "TZ1": "2024-02-01T10:00:00Z", "TZ2": "2024-02-01T11:00:00+01:00", "TZ3": "2024-02-01T05:00:00-05:00",
    "TZ4": "2024-02-01 10:00:00", "TZ5": "2024-02-01T19:30:00+0930",
}
STATUS_MAPPINGS = {"MS1": ("completed", "delivered"), "MS2": ("Refunded", "returned")}
"""Order id -> (status as the shop's system writes it, the contract's status through seed order_status_mappings)."""
HOSTILE_FILE_NAME = "o'; drop table raw.customers; --\".csv"
SAMPLE_ROWS = 200
"""Rows of the deterministic sample of timestamps (any offset) and amounts (any cents)."""


TYPED_ORDERS = {  # order id -> (gross, actual delivery, where the checks put it: None staged, else (column, reason))
    "TP1": (100.0, 20_124, None),
    "TP2": (-100.0, 20_124, ("gross_amount", "negative amount: '-100.0'")),
    "TP3": (100.001, 20_124, ("gross_amount", "more than 2 decimal places: '100.001'")),
    "TP4": (100.0, 19_700, ("actual_delivery_date", "delivered before the order was placed")),
    "TP5": (None, 20_124, ("gross_amount", "missing required value")),
}
"""A Parquet file whose amounts (double) and dates (date) have the contract's types: DuckDB's ingestion
lands them typed (the fast path), the other engines as text; the verdicts must be the same."""
TYPED_FILE = "orders/typed.parquet"


def _typed_orders() -> bytes:
    keys = list(TYPED_ORDERS)
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({
        "order_id": keys, "customer_id": ["C1"] * len(keys), "ordered_at": ["2024-02-01T10:00:00Z"] * len(keys),
        "status": ["delivered"] * len(keys),
        "gross_amount": pa.array([TYPED_ORDERS[k][0] for k in keys], pa.float64()),
        "discount_amount": pa.array([10.0] * len(keys), pa.float64()), "currency": ["USD"] * len(keys),
        "actual_delivery_date": pa.array([TYPED_ORDERS[k][1] for k in keys], pa.date32()),
    }), sink)
    return sink.getvalue().to_pybytes()


@dataclass(frozen=True)
class Catalogue:
    """The catalogue's data directory and what the checks must make of it."""

    data_dir: Path
    quarantined: dict[tuple[str, int], tuple[str, str]]
    """(file, row) -> (column, reason prefix) of every row the checks must quarantine, and no other."""
    sample: dict[str, tuple[float, Decimal]]
    """Order id -> (epoch seconds, gross amount) the checks must stage for the sample's rows."""
    rows_read: dict[str, int]
    """Per entity, the rows the directory holds (what lands in raw)."""


def _sample_rows(seed: int = 7) -> tuple[list[str], dict[str, tuple[float, Decimal]]]:
    """Timestamps written with random whole-quarter-hour offsets and random amounts, and the values they mean."""
    rng = random.Random(seed)
    rows, expected = [ORDER_HEADER], {}
    for i in range(SAMPLE_ROWS):
        moment = datetime(2001, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(25 * 365 * 86_400))
        minutes = rng.randrange(-12 * 60, 14 * 60 + 1, 15)
        local = moment.astimezone(timezone(timedelta(minutes=minutes)))
        amount = Decimal(rng.randrange(0, 99_999_999)) / 100
        rows.append(f"P{i},C1,{local.isoformat()},placed,{amount:.2f},0,0,USD,,")
        expected[f"P{i}"] = (local.timestamp(), amount)
    return rows, expected


def write_catalogue(data_dir: Path) -> Catalogue:
    """Every row-level class and every row the checks must stage, into `data_dir`, one file each."""
    good_customers(data_dir)
    quarantined: dict[tuple[str, int], tuple[str, str]] = {}
    for case in ROW_CLASSES:
        (data_dir / case.entity).mkdir(parents=True, exist_ok=True)
        (data_dir / case.path).write_bytes(case.content)
        quarantined[(case.path, case.row)] = (case.column, case.reason)
    write(data_dir / "orders" / "time-zones.csv",
          [ORDER_HEADER, *(GOOD_ORDER.replace("O1,", f"{key},").replace("2024-02-01T10:00:00Z", written)
                           for key, written in MIXED_TIME_ZONES.items())])
    write(data_dir / "orders" / "mapped-statuses.csv",
          [ORDER_HEADER, *(GOOD_ORDER.replace("O1,", f"{key},").replace("delivered", status)
                           for key, (status, _) in STATUS_MAPPINGS.items())])
    # A later file with a newer version of an order: a version, not an error; the latest wins.
    write(data_dir / "orders" / "versions-a.csv",
          [ORDER_HEADER + ",updated_at", GOOD_ORDER.replace("O1,", "V1,").replace("delivered", "shipped")
           + ",2024-02-02T00:00:00Z"])
    write(data_dir / "orders" / "versions-b.csv", [ORDER_HEADER + ",updated_at",
                                                   GOOD_ORDER.replace("O1,", "V1,") + ",2024-02-05T00:00:00Z"])
    # Optional columns absent from a file: an orders export without delivery dates, customers without names.
    write(data_dir / "orders" / "no-delivery-dates.csv", [
        "order_id,customer_id,ordered_at,status,gross_amount,discount_amount,refunded_amount,currency",
        "ND2,C2,2024-02-01T10:00:00Z,placed,10.00,,,usd"])
    write(data_dir / "customers" / "no-names.csv", ["customer_id,email,signup_at", "C8,cy@example.com,2024-01-05"])
    write(data_dir / "orders" / HOSTILE_FILE_NAME, [ORDER_HEADER, GOOD_ORDER.replace("O1,", "HF1,")])
    sample_rows, sample = _sample_rows()
    write(data_dir / "orders" / "sample.csv", sample_rows)
    (data_dir / TYPED_FILE).write_bytes(_typed_orders())
    for row, (_, _, verdict) in enumerate(TYPED_ORDERS.values(), start=1):
        if verdict is not None:
            quarantined[(TYPED_FILE, row)] = verdict
    rows_read: dict[str, int] = {}
    for path in data_dir.glob("*/*"):
        rows = (pq.read_metadata(path).num_rows if path.suffix == ".parquet"
                else len(path.read_bytes().decode().splitlines()) - 1)
        rows_read[path.parent.name] = rows_read.get(path.parent.name, 0) + rows
    return Catalogue(data_dir, quarantined, sample, rows_read)
