"""The floor of the benchmark: the marts computed by hand-written DuckDB SQL in one connection.

`compute_floor` reads the raw files of a data directory (typed Parquet as `warehouse generate`
writes it, CSV uploads parsed and checked as the loader does), applies the contract's row checks
and the latest-version rule, and builds the retention and repeat-purchase marts as temp tables
`floor_<mart>` plus the CLV fit inputs, then fits BG/NBD and Gamma-Gamma with the same
retention_warehouse.stats.clv code the dbt Python models call. No views, no data tests, no audit: the least work
that gives the marts' numbers, to hold the warehouse build against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from retention_warehouse.config import SEEDS_DIR
from retention_warehouse.stats import clv
from retention_warehouse.warehouse.project import project_vars
from retention_warehouse.sql import quote_literal

FLOOR_SQL = Path(__file__).with_name("floor.sql")
FLOOR_MARTS = ("fct_cohort_retention", "fct_retention_periods", "dim_customers", "fct_repeat_purchase")
"""The marts the floor and pandas can compute (the floor as temp tables floor_<name>); both always fit CLV."""
CORE_SELECTOR = "bench_core"
"""The dbt selector (selectors.yml) of the benchmark's core: what the floor and pandas compute when timed."""
CORE_MARTS = ("fct_cohort_retention", "fct_retention_periods", "fct_repeat_purchase", "fct_clv_model_fit",
              "fct_clv_holdout")
"""The published marts of the core. With them the core's CLV work: both fits, the backtest's holdout
and every scoring customer's predicted CLV (int_customer_clv_predicted). dim_customers is left out:
the floor's has nine of its columns, and the dbt one needs most of the project upstream."""
TIMED_MARTS = tuple(mart for mart in FLOOR_MARTS if mart in CORE_MARTS)
"""The floor marts the timed floor and pandas runs compute (fct_clv_* come from their CLV fits)."""

ENTITY_COLUMNS = {
    "customers": {"customer_id": "id", "email": "text", "signup_at": "timestamp", "updated_at": "timestamp"},
    "orders": {
        "order_id": "id", "customer_id": "id", "ordered_at": "timestamp", "status": "lower",
        "gross_amount": "money", "discount_amount": "money", "refunded_amount": "money", "currency": "upper",
        "actual_delivery_date": "date", "updated_at": "timestamp",
    },
}
"""The columns the marts need, with how a CSV text value becomes typed (Parquet files are typed)."""


def _csv_typed(column: str, kind: str) -> tuple[str, str | None]:
    """(typed expression, condition true when a present value did not parse) for one CSV column."""
    text = f"nullif(trim({column}), '')"
    if kind in ("id", "text"):
        return text, None
    if kind == "lower":
        return f"lower({text})", None
    if kind == "upper":
        return f"upper({text})", None
    target = {"timestamp": "timestamptz", "date": "date", "money": "decimal(18, 2)"}[kind]
    typed = f"try_cast({text} as {target})"
    bad = f"({text} is not null and {typed} is null)"
    if kind == "money":
        exact = f"try_cast({text} as decimal(38, 10))"
        bad = f"({text} is not null and ({exact} is null or {exact} <> {typed}))"
    return typed, bad


def source_sql(con: duckdb.DuckDBPyConnection, entity: str, files: list[Path]) -> str:
    """One relation over an entity's files: typed columns, filename, file_row and parsed_ok."""
    columns = ENTITY_COLUMNS[entity]
    parts = []
    parquet = [p for p in files if p.suffix == ".parquet"]
    if parquet:
        # Amounts as the loader stores them (Parquet holds doubles): rounding to the cent needs decimals.
        names = ", ".join(f"cast({c} as decimal(18, 2)) as {c}" if kind == "money" else c
                          for c, kind in columns.items())
        listed = "[" + ", ".join(quote_literal(str(p)) for p in parquet) + "]"
        parts.append(
            f"select {names}, filename, file_row_number as file_row, true as parsed_ok "
            f"from read_parquet({listed}, filename = true, file_row_number = true, union_by_name = true)"
        )
    for index, path in enumerate(p for p in files if p.suffix == ".csv"):
        table = f"csv_{entity}_{index}"
        con.execute(f"create or replace temp table {table} as select * from read_csv(?, header = true, "
                    "all_varchar = true, sample_size = -1)", [str(path)])
        present = {name.lower() for (name,) in con.execute(f"select column_name from (describe {table})").fetchall()}
        typed, bad = [], []
        for column, kind in columns.items():
            expression, failed = _csv_typed(column, kind) if column in present else ("null", None)
            typed.append(f"{expression} as {column}")
            if failed:
                bad.append(failed)
        parsed = " and ".join(f"not {b}" for b in bad) or "true"
        parts.append(f"select {', '.join(typed)}, {quote_literal(str(path))} as filename, rowid as file_row, "
                     f"{parsed} as parsed_ok from {table}")
    if not parts:
        raise ValueError(f"no {entity} files")
    return " union all by name ".join(parts)


def entity_files(data_dir: Path, entity: str) -> list[Path]:
    """Files in load order (the loader's order: by name), so later files win ties as they do there."""
    folder = data_dir / entity
    return sorted(p for p in folder.iterdir() if p.suffix in (".parquet", ".csv")) if folder.is_dir() else []


def render_sql(con: duckdb.DuckDBPyConnection, data_dir: Path, marts: tuple[str, ...] = FLOOR_MARTS) -> list[str]:
    """floor.sql with its placeholders filled in, split into statements; a floor mart not in `marts` is left out."""
    settings = project_vars()
    as_of = settings.get("as_of_date")
    as_of_sql = f"cast({quote_literal(str(as_of))} as date)" if as_of else "max(order_date)"
    holdout_end = settings.get("clv_holdout_end_date")
    holdout_sql = f"cast({quote_literal(str(holdout_end))} as date)" if holdout_end else "as_of_date"
    calibration_end = settings.get("clv_calibration_end_date")
    calibration_sql = (f"cast({quote_literal(str(calibration_end))} as date)" if calibration_end
                       else f"cast({holdout_sql} - {int(settings['clv_holdout_days'])} as date)")
    values = {
        "order_statuses_csv": quote_literal(str(SEEDS_DIR / "order_statuses.csv")),
        "currency_rates_csv": quote_literal(str(SEEDS_DIR / "currency_rates.csv")),
        "customers_source": source_sql(con, "customers", entity_files(data_dir, "customers")),
        "orders_source": source_sql(con, "orders", entity_files(data_dir, "orders")),
        "as_of_date": as_of_sql,
        "holdout_end_date": holdout_sql,
        "calibration_end_date": calibration_sql,
        "active_window_days": int(settings["active_window_days"]),
        "new_customer_days": int(settings["new_customer_days"]),
        "at_risk_after_days": int(settings["at_risk_after_days"]),
        "clv_time_unit_days": float(settings["clv_time_unit_days"]),
    }
    text = FLOOR_SQL.read_text().format(**values)
    skipped = tuple(f"create or replace temp table floor_{mart} as" for mart in FLOOR_MARTS if mart not in marts)
    return [chunk.strip() for chunk in text.split("\n;\n")
            if any(line.strip() and not line.strip().startswith("--") for line in chunk.splitlines())
            and not any(start in chunk for start in skipped)]


@dataclass(frozen=True)
class ClvFits:
    """The scoring and backtest fits, as the dbt Python models compute them."""

    fits: dict[str, tuple[clv.BgNbdFit, clv.GammaGammaFit]]
    predicted_clv_usd: pd.Series
    holdout_cumulative_predicted: np.ndarray


def fit_clv(summaries: pd.DataFrame, time_unit_days: float, monthly_discount_rate: float) -> ClvFits:
    """Both fits, the scoring customers' 12-month CLV and the backtest's predicted holdout purchases.

    The same retention_warehouse.stats.clv calls as models/intermediate/*.py: every benchmark variant spends the same
    time here, so the comparison measures how each computes the marts and the fit inputs.
    """
    fits = {}
    for purpose in ("scoring", "backtest"):
        part = summaries[summaries["fit_purpose"] == purpose].sort_values("customer_id")
        x = part["frequency"].to_numpy(dtype=float)
        fits[purpose] = (
            clv.fit_bgnbd(x, part["recency"].to_numpy(dtype=float), part["customer_age"].to_numpy(dtype=float)),
            clv.fit_gamma_gamma(x, part["average_repeat_value_usd"].to_numpy(dtype=float)),
        )
    scoring = summaries[summaries["fit_purpose"] == "scoring"].sort_values("customer_id")
    x, t_x, T, m = (scoring[c].to_numpy(dtype=float)
                    for c in ("frequency", "recency", "customer_age", "average_repeat_value_usd"))
    bgnbd, spend = fits["scoring"]
    predicted = pd.Series(
        clv.predicted_clv(bgnbd, spend, x, t_x, T, m, months=12, monthly_discount_rate=monthly_discount_rate,
                          time_unit_days=time_unit_days),
        index=scoring["customer_id"].to_numpy(),
    )
    backtest = summaries[summaries["fit_purpose"] == "backtest"].sort_values("customer_id")
    holdout_days = (pd.Timestamp(backtest["holdout_end_date"].iloc[0])
                    - pd.Timestamp(backtest["calibration_end_date"].iloc[0])).days
    cumulative = clv.holdout_cumulative_purchases(
        fits["backtest"][0], holdout_days, time_unit_days, backtest["frequency"].to_numpy(dtype=float),
        backtest["recency"].to_numpy(dtype=float), backtest["customer_age"].to_numpy(dtype=float))
    return ClvFits(fits, predicted, cumulative)


def compute_floor(con: duckdb.DuckDBPyConnection, data_dir: Path,
                  on_step: Callable[[str], None] | None = None, marts: tuple[str, ...] = FLOOR_MARTS) -> ClvFits:
    """Build the floor_<mart> temp tables of `marts` in `con` from the files under `data_dir`; fit CLV."""
    for statement in render_sql(con, data_dir, marts):
        con.execute(statement)
        if on_step is not None:
            on_step(statement.split(" as", 1)[0][-60:])
    settings = project_vars()
    summaries = con.execute("select * from clv_summaries").df()
    return fit_clv(summaries, float(settings["clv_time_unit_days"]), float(settings["clv_monthly_discount_rate"]))
