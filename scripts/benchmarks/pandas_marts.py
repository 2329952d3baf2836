"""The benchmark's pandas variant: the floor's marts computed with vectorised pandas and numpy.

What an analyst would otherwise write: read the raw files into DataFrames, apply the contract's
row checks and the latest-version rule, and compute the marts with group-bys and merges, no
row-wise `apply`. Money is kept in integer cents, so net revenue rounds half away from zero to the
cent exactly as the SQL does with decimals. The CLV fits call the same retention_warehouse.stats.clv code as the dbt
Python models (`benchmarks.floor.fit_clv`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from benchmarks.floor import ENTITY_COLUMNS, FLOOR_MARTS, ClvFits, entity_files, fit_clv
from retention_warehouse.config import SEEDS_DIR
from retention_warehouse.warehouse.project import project_vars

EARLIEST = pd.Timestamp("1990-01-01", tz="UTC")
MAX_AMOUNT_CENTS = 100_000_000
RATE_SCALE = 1_000_000
"""Currency rates are held as integers in millionths (the seed's decimal(18, 6))."""
EMAIL_PATTERN = r"[^@\s]+@[^@\s]+\.[^@\s]+"


@dataclass
class PandasMarts:
    marts: dict[str, pd.DataFrame]
    clv: ClvFits


# --------------------------------------------------------------------------- reading


def _read_parquet(files: list[Path], columns: list[str]) -> pd.DataFrame:
    frames = []
    for path in files:
        table = pq.read_table(path)
        present = [c for c in columns if c in table.column_names]
        frame = table.select(present).to_pandas(date_as_object=False)
        for column in set(columns) - set(present):
            frame[column] = None
        frame["filename"] = str(path)
        frame["file_row"] = np.arange(len(frame))
        frame["parsed_ok"] = True
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _read_csv(path: Path, kinds: dict[str, str]) -> pd.DataFrame:
    """A CSV upload as typed columns; parsed_ok is false where a present value does not convert."""
    text = pd.read_csv(path, dtype=str, keep_default_na=False)
    text.columns = [c.strip().lower() for c in text.columns]
    out = pd.DataFrame(index=text.index)
    ok = pd.Series(True, index=text.index)
    for column, kind in kinds.items():
        raw = text[column].str.strip() if column in text else pd.Series("", index=text.index)
        present = raw != ""
        value = raw.where(present)
        if kind in ("id", "text"):
            out[column] = value
        elif kind == "lower":
            out[column] = value.str.lower()
        elif kind == "upper":
            out[column] = value.str.upper()
        elif kind in ("timestamp", "date"):
            parsed = pd.to_datetime(value, errors="coerce", utc=True, format="ISO8601")
            out[column] = parsed if kind == "timestamp" else parsed.dt.tz_localize(None).dt.normalize()
            ok &= ~(present & parsed.isna())
        else:  # money: a number with at most two decimals
            number = pd.to_numeric(value, errors="coerce")
            exact = value.str.fullmatch(r"-?\d+(\.\d{1,2})?0*").fillna(False)
            out[column] = number
            ok &= ~(present & (number.isna() | ~exact))
    out["filename"] = str(path)
    out["file_row"] = np.arange(len(out))
    out["parsed_ok"] = ok
    return out


def read_entity(data_dir: Path, entity: str) -> pd.DataFrame:
    kinds = ENTITY_COLUMNS[entity]
    files = entity_files(data_dir, entity)
    frames = [_read_parquet([p for p in files if p.suffix == ".parquet"], list(kinds))]
    frames += [_read_csv(p, kinds) for p in files if p.suffix == ".csv"]
    frame = pd.concat([f for f in frames if len(f)], ignore_index=True)
    for column, kind in kinds.items():
        if kind == "timestamp":
            frame[column] = pd.to_datetime(frame[column], utc=True)
        elif kind == "date":
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    return frame


# --------------------------------------------------------------------------- checks and versions


def _in_range(ts: pd.Series, now: pd.Timestamp) -> pd.Series:
    return (ts <= now) & (ts >= EARLIEST)


def _first_in_file_then_latest(frame: pd.DataFrame, key: str, version: pd.Series) -> pd.DataFrame:
    """The loader keeps the first valid row of a key in a file; staging keeps the latest version."""
    frame = frame.sort_values(["filename", "file_row"], kind="stable").drop_duplicates(["filename", key])
    frame = frame.assign(_version=version.loc[frame.index])
    frame = frame.sort_values([key, "_version", "filename", "file_row"], kind="stable")
    return frame.drop_duplicates(key, keep="last").drop(columns="_version")


def valid_customers(raw: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    ok = (raw["parsed_ok"] & raw["customer_id"].notna() & (raw["customer_id"].str.len() <= 64)
          & raw["signup_at"].notna() & _in_range(raw["signup_at"], now)
          & (raw["updated_at"].isna() | _in_range(raw["updated_at"], now))
          & (raw["email"].isna() | raw["email"].str.fullmatch(EMAIL_PATTERN).fillna(False).astype(bool)))
    good = raw[ok]
    return _first_in_file_then_latest(good, "customer_id", good["updated_at"].fillna(good["signup_at"]))


def _cents(amount: pd.Series) -> pd.Series:
    return np.round(amount.astype(float).fillna(0.0) * 100).astype(np.int64)


def counted_orders(raw: pd.DataFrame, customers: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Counted orders, latest version, with net revenue in US cents (rounded half away from zero)."""
    statuses = pd.read_csv(SEEDS_DIR / "order_statuses.csv")
    rates = pd.read_csv(SEEDS_DIR / "currency_rates.csv", dtype={"usd_per_unit": str})
    gross, discount, refunded = (_cents(raw[c]) for c in ("gross_amount", "discount_amount", "refunded_amount"))
    amounts_present = raw["gross_amount"].notna()
    in_bounds = ((gross >= 0) & (gross <= MAX_AMOUNT_CENTS) & (discount >= 0) & (discount <= MAX_AMOUNT_CENTS)
                 & (refunded >= 0) & (refunded <= MAX_AMOUNT_CENTS))
    order_date = raw["ordered_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    ok = (raw["parsed_ok"] & raw["order_id"].notna() & (raw["order_id"].str.len() <= 64)
          & raw["customer_id"].notna() & (raw["customer_id"].str.len() <= 64)
          & raw["ordered_at"].notna() & _in_range(raw["ordered_at"], now)
          & (raw["updated_at"].isna() | _in_range(raw["updated_at"], now))
          & raw["status"].isin(statuses["order_status"]) & raw["currency"].isin(rates["currency_code"])
          & amounts_present & in_bounds & (discount <= gross) & (refunded <= gross - discount)
          & (raw["actual_delivery_date"].isna() | (raw["actual_delivery_date"] >= order_date - pd.Timedelta(days=1)))
          & raw["customer_id"].isin(customers["customer_id"]))
    good = raw[ok].assign(_net_cents=(gross - discount - refunded)[ok], order_date=order_date[ok])
    latest = _first_in_file_then_latest(good, "order_id", good["updated_at"].fillna(good["ordered_at"]))
    counts = dict(zip(statuses["order_status"], statuses["counts_as_order"]))
    latest = latest[latest["status"].map(counts).astype(bool)]
    rate_micro = latest["currency"].map(
        {c: round(Decimal(r) * RATE_SCALE) for c, r in zip(rates["currency_code"], rates["usd_per_unit"])}
    ).astype(np.int64)
    scaled = latest["_net_cents"].to_numpy(np.int64) * rate_micro.to_numpy()
    net_cents = (scaled + RATE_SCALE // 2) // RATE_SCALE  # amounts are never negative: half up = half away
    return pd.DataFrame({
        "order_id": latest["order_id"].to_numpy(),
        "customer_id": latest["customer_id"].to_numpy(),
        "order_date": latest["order_date"].to_numpy(),
        "net_cents": net_cents,
    })


# --------------------------------------------------------------------------- marts


def month_index(dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Months since year 0 (year * 12 + month - 1): whole-month arithmetic on plain integers."""
    values = pd.DatetimeIndex(dates)
    return (values.year * 12 + values.month - 1).to_numpy(np.int64)


def month_start(index: np.ndarray | pd.Series) -> pd.Series:
    index = np.asarray(index, dtype=np.int64)
    return pd.Series(pd.to_datetime({"year": index // 12, "month": index % 12 + 1, "day": 1}))


def cents_to_decimal(cents: pd.Series) -> pd.Series:
    return cents.map(lambda c: Decimal(int(c)).scaleb(-2))


def cohort_retention(customer_months: pd.DataFrame, cohorts: pd.Series, last_month: int) -> pd.DataFrame:
    first = customer_months[customer_months["month"] == customer_months["customer_id"].map(cohorts)]
    rows = customer_months.assign(
        cohort=customer_months["customer_id"].map(cohorts),
        first_cents=customer_months["customer_id"].map(first.set_index("customer_id")["cents"]),
    )
    rows["k"] = rows["month"] - rows["cohort"]
    rows["capped"] = np.minimum(rows["cents"], rows["first_cents"])
    active = rows.groupby(["cohort", "k"]).agg(active=("cents", "size"), cents=("cents", "sum"),
                                               capped=("capped", "sum"))
    sizes = cohorts.value_counts().sort_index()
    base = active.xs(0, level="k")["cents"]
    spans = last_month - sizes.index.to_numpy() + 1
    grid = pd.DataFrame({"cohort": np.repeat(sizes.index.to_numpy(), spans),
                         "k": np.concatenate([np.arange(n) for n in spans])})
    grid = grid.join(active, on=["cohort", "k"]).fillna({"active": 0, "cents": 0, "capped": 0})
    cohort_customers = grid["cohort"].map(sizes).to_numpy()
    first_cents = grid["cohort"].map(base).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        nrr = np.where(first_cents != 0, grid["cents"] / first_cents, np.nan)
        grr = np.where(first_cents != 0, grid["capped"] / first_cents, np.nan)
    return pd.DataFrame({
        "cohort_month": month_start(grid["cohort"]).dt.date,
        "months_since_first_order": grid["k"].astype(int),
        "cohort_customers": cohort_customers.astype(int),
        "active_customers": grid["active"].astype(int),
        "retention_rate": grid["active"].to_numpy() / cohort_customers,
        "net_revenue_usd": cents_to_decimal(grid["cents"].astype(np.int64)),
        "net_revenue_retention_rate": nrr,
        "gross_revenue_retention_rate": grr,
    })


def retention_periods(customer_months: pd.DataFrame, cohorts: pd.Series, first_month: int, last_month: int,
                      window_days: int) -> pd.DataFrame:
    """Customer states at month ends from each month's last order: it covers the month ends within the window."""
    covered = []
    for offset in range(window_days // 28 + 2):
        month = customer_months["month"].to_numpy() + offset
        end = month_start(month + 1) - pd.Timedelta(days=1)
        keep = ((end.to_numpy() < (customer_months["last_date"] + pd.Timedelta(days=window_days)).to_numpy())
                & (month <= last_month))
        covered.append(pd.DataFrame({"customer_id": customer_months["customer_id"].to_numpy()[keep],
                                     "month": month[keep]}))
    at_end = pd.concat(covered).drop_duplicates().sort_values(["customer_id", "month"])
    same_customer = at_end["customer_id"].eq(at_end["customer_id"].shift())
    at_end["stayed"] = same_customer & at_end["month"].shift().eq(at_end["month"] - 1)
    at_end["new"] = at_end["customer_id"].map(cohorts).eq(at_end["month"])
    ends = at_end.groupby("month").agg(customers_at_end=("month", "size"), stayed=("stayed", "sum"),
                                       new_customers=("new", "sum"))
    activity = customer_months.groupby("month").agg(active=("cents", "size"), cents=("cents", "sum"))
    months = pd.DataFrame(index=pd.RangeIndex(first_month, last_month + 1, name="month"))
    table = months.join(ends).join(activity).fillna(0).astype(np.int64)
    start = table["customers_at_end"].shift(fill_value=0)
    churned = start - table["stayed"]
    reactivated = table["customers_at_end"] - table["stayed"] - table["new_customers"]
    with np.errstate(divide="ignore", invalid="ignore"):
        crr = np.where(start > 0, (table["customers_at_end"] - table["new_customers"]) / start * 100, np.nan)
        churn = np.where(start > 0, churned / start * 100, np.nan)
    return pd.DataFrame({
        "period_month": month_start(table.index.to_numpy()).dt.date,
        "customers_at_start": start.to_numpy(), "new_customers": table["new_customers"].to_numpy(),
        "reactivated_customers": reactivated.to_numpy(), "churned_customers": churned.to_numpy(),
        "customers_at_end": table["customers_at_end"].to_numpy(), "active_customers": table["active"].to_numpy(),
        "net_revenue_usd": cents_to_decimal(table["cents"]).to_numpy(), "crr_pct": crr, "churn_rate_pct": churn,
    })


def customer_orders(orders: pd.DataFrame, as_of: pd.Timestamp, window_days: int) -> pd.DataFrame:
    upto = orders[orders["order_date"] <= as_of].sort_values(["customer_id", "order_date", "order_id"])
    previous = upto["order_date"].shift().where(upto["customer_id"].eq(upto["customer_id"].shift()))
    upto = upto.assign(
        second=upto["order_date"].where(previous.notna()),
        reactivation=upto["order_date"].where((upto["order_date"] - previous).dt.days >= window_days),
    )
    return upto.groupby("customer_id").agg(
        first_order_date=("order_date", "min"), last_order_date=("order_date", "max"),
        second_order_date=("second", "min"), order_count=("order_date", "size"), cents=("net_cents", "sum"),
        last_reactivation_date=("reactivation", "max"),
    )


def dim_customers(customers: pd.DataFrame, per_customer: pd.DataFrame, as_of: pd.Timestamp,
                  settings: dict) -> pd.DataFrame:
    frame = customers[["customer_id"]].join(per_customer, on="customer_id")
    since_first = (as_of - frame["first_order_date"]).dt.days
    since_last = (as_of - frame["last_order_date"]).dt.days
    since_reactivation = (as_of - frame["last_reactivation_date"]).dt.days
    status = np.select(
        [frame["first_order_date"].isna(), since_last >= int(settings["active_window_days"]),
         since_first < int(settings["new_customer_days"]), since_reactivation < int(settings["new_customer_days"]),
         since_last < int(settings["at_risk_after_days"])],
        ["never_purchased", "churned", "new", "reactivated", "active"], default="at_risk")
    count = frame["order_count"].fillna(0).astype(int)
    return pd.DataFrame({
        "customer_id": frame["customer_id"].to_numpy(),
        "first_order_date": frame["first_order_date"].dt.date.to_numpy(),
        "last_order_date": frame["last_order_date"].dt.date.to_numpy(),
        "order_count": count.to_numpy(),
        "net_revenue_usd": cents_to_decimal(frame["cents"].fillna(0).astype(np.int64)).to_numpy(),
        "cohort_month": frame["first_order_date"].dt.to_period("M").dt.start_time.dt.date.to_numpy(),
        "lifecycle_status": status,
        "is_repeat_customer": (count > 1).to_numpy(),
    })


def repeat_purchase(per_customer: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    days_to_second = (per_customer["second_order_date"] - per_customer["first_order_date"]).dt.days
    observed = (as_of - per_customer["first_order_date"]).dt.days
    frame = pd.DataFrame({
        "cohort": per_customer["first_order_date"].dt.to_period("M").dt.start_time,
        "repeat": per_customer["order_count"] > 1, "days": days_to_second,
        **{f"obs_{n}": observed >= n for n in (30, 90, 365)},
        **{f"rep_{n}": (observed >= n) & (days_to_second <= n) for n in (30, 90, 365)},
    })
    grouped = frame.groupby("cohort")
    out = grouped.agg(cohort_customers=("repeat", "size"), repeat_customers=("repeat", "sum"),
                      median_days_to_second_order=("days", "median"),
                      **{f"obs_{n}": (f"obs_{n}", "sum") for n in (30, 90, 365)},
                      **{f"rep_{n}": (f"rep_{n}", "sum") for n in (30, 90, 365)})
    result = pd.DataFrame({
        "cohort_month": out.index.date,
        "cohort_customers": out["cohort_customers"].to_numpy(),
        "repeat_customers": out["repeat_customers"].to_numpy(),
        "repeat_purchase_rate": (out["repeat_customers"] / out["cohort_customers"]).to_numpy(),
        "median_days_to_second_order": out["median_days_to_second_order"].to_numpy(),
    })
    for n in (30, 90, 365):
        result[f"customers_observed_{n}d"] = out[f"obs_{n}"].to_numpy()
        result[f"repeat_within_{n}d_rate"] = (out[f"rep_{n}"] / out[f"obs_{n}"].where(out[f"obs_{n}"] > 0)).to_numpy()
    return result


def clv_summaries(orders: pd.DataFrame, as_of: pd.Timestamp, settings: dict) -> pd.DataFrame:
    unit = float(settings["clv_time_unit_days"])
    days = orders.groupby(["customer_id", "order_date"], as_index=False)["net_cents"].sum()
    days["first"] = days["customer_id"].map(days.groupby("customer_id")["order_date"].min())
    holdout_end = pd.Timestamp(settings["clv_holdout_end_date"]) if settings.get("clv_holdout_end_date") else as_of
    calibration_end = (pd.Timestamp(settings["clv_calibration_end_date"]) if settings.get("clv_calibration_end_date")
                       else holdout_end - pd.Timedelta(days=int(settings["clv_holdout_days"])))
    parts = []
    for purpose, calibration, holdout in (("scoring", as_of, as_of), ("backtest", calibration_end, holdout_end)):
        rows = days[(days["first"] <= calibration) & (days["order_date"] <= holdout)]
        in_calibration = rows["order_date"] <= calibration
        repeat = (rows["order_date"] > rows["first"]) & in_calibration
        frame = pd.DataFrame({
            "customer_id": rows["customer_id"], "first": rows["first"],
            "last": rows["order_date"].where(in_calibration), "repeat": repeat,
            "repeat_cents": rows["net_cents"].where(repeat), "holdout": ~in_calibration,
        })
        grouped = frame.groupby("customer_id").agg(
            first=("first", "min"), last=("last", "max"), frequency=("repeat", "sum"),
            repeat_cents=("repeat_cents", "mean"), holdout_purchases=("holdout", "sum"))
        parts.append(pd.DataFrame({
            "fit_purpose": purpose, "customer_id": grouped.index.to_numpy(),
            "calibration_end_date": calibration.date(), "holdout_end_date": holdout.date(),
            "frequency": grouped["frequency"].to_numpy(),
            "recency": (grouped["last"] - grouped["first"]).dt.days.to_numpy() / unit,
            "customer_age": (calibration - grouped["first"]).dt.days.to_numpy() / unit,
            "average_repeat_value_usd": (grouped["repeat_cents"].fillna(0) / 100).to_numpy(),
            "holdout_purchases": grouped["holdout_purchases"].to_numpy(),
        }))
    return pd.concat(parts, ignore_index=True)


def compute_pandas(data_dir: Path, now: pd.Timestamp | None = None,
                   marts: tuple[str, ...] = FLOOR_MARTS) -> PandasMarts:
    """The floor marts `marts` from the raw files under `data_dir`, in pandas; then the same CLV fits."""
    settings = project_vars()
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    window = int(settings["active_window_days"])
    customers = valid_customers(read_entity(data_dir, "customers"), now)
    orders = counted_orders(read_entity(data_dir, "orders"), customers, now)
    as_of = pd.Timestamp(settings["as_of_date"]) if settings.get("as_of_date") else orders["order_date"].max()
    last_month = int(month_index(pd.DatetimeIndex([as_of + pd.Timedelta(days=1)]))[0]) - 1
    orders["month"] = month_index(orders["order_date"])
    complete = orders[orders["month"] <= last_month]
    customer_months = complete.groupby(["customer_id", "month"], as_index=False).agg(
        cents=("net_cents", "sum"), last_date=("order_date", "max"))
    cohorts = customer_months.groupby("customer_id")["month"].min()
    per_customer = customer_orders(orders, as_of, window)
    computed = {
        "fct_cohort_retention": lambda: cohort_retention(customer_months, cohorts, last_month),
        "fct_retention_periods": lambda: retention_periods(customer_months, cohorts, int(orders["month"].min()),
                                                           last_month, window),
        "dim_customers": lambda: dim_customers(customers, per_customer, as_of, settings),
        "fct_repeat_purchase": lambda: repeat_purchase(per_customer, as_of),
    }
    marts_computed = {name: compute() for name, compute in computed.items() if name in marts}
    summaries = clv_summaries(orders, as_of, settings)
    fits = fit_clv(summaries, float(settings["clv_time_unit_days"]), float(settings["clv_monthly_discount_rate"]))
    return PandasMarts(marts_computed, fits)

