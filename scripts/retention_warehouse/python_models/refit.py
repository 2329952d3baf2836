"""When the CLV and churn models are fitted again, and the stored fit every other run scores with.

A fit is the slowest step of a daily run, and its parameters move little from one day to the next.
So the fitted models keep their table between runs: a run fits again only when it is the first, a
--full-refresh, or its as-of date has reached a new refit period (var model_refit_period: day, week
from Monday, or month) since the stored fit's as-of date; a run as of the stored fit's own date or
before it fits again too (its data may have changed; a fit never scores data older than it).
Otherwise the stored fit is kept, and every run still scores all its customers as of its own date
with it (docs/metrics.md, "When the models are fitted"). One rule for every engine: the dbt Python models call it on DuckDB,
`warehouse fit-models` on PostgreSQL and Spark.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd

from retention_warehouse.python_models.values import as_date

REFIT_PERIODS = ("day", "week", "month")
FITTED_AS_OF = "fitted_as_of_date"
"""The column of a fitted model's table that holds the as-of date of the run that fitted it."""


def period_start(day: date, period: str) -> date:
    """The first day of the refit period `day` falls in (a week starts on Monday)."""
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    raise ValueError(f"var model_refit_period must be one of {', '.join(REFIT_PERIODS)}, got {period!r}")


def stored_as_of(stored: pd.DataFrame | None) -> date | None:
    """The as-of date the stored fit was made at; None when there is no stored fit (or one without the date)."""
    if stored is None or stored.empty or FITTED_AS_OF not in stored.columns:
        return None
    dates = {as_date(value) for value in stored[FITTED_AS_OF].dropna()}
    return dates.pop() if len(dates) == 1 else None


def keeps_stored_fit(fitted_at: date | None, as_of: date, period: str) -> bool:
    """A stored fit made at `fitted_at` serves a later run as of `as_of` in the same refit period.

    A run at the fit's own as-of date fits again: its data may have changed (late orders, refunds)
    while the date did not, and the data tests take a fit at the run's date for this run's own.
    """
    start = period_start(as_of, period)
    return fitted_at is not None and fitted_at < as_of and period_start(fitted_at, period) == start


def on_schedule(stored: pd.DataFrame | None, as_of: date, period: str, fit: Callable[[], pd.DataFrame],
                same_settings: Callable[[pd.DataFrame], bool] = lambda stored: True) -> pd.DataFrame | None:
    """The new fit with its as-of date, or None when the stored fit is kept.

    `fit` computes the model's table; `same_settings` says whether the stored fit was made with the
    settings this run would use (a changed setting fits again, whatever the date).
    """
    # keeps_stored_fit comes first: it refuses an unknown period on every run, the first included.
    if keeps_stored_fit(stored_as_of(stored), as_of, period) and stored is not None and same_settings(stored):
        return None
    fitted = fit()
    fitted[FITTED_AS_OF] = as_of
    return fitted


def as_of_date(reporting_dates: pd.DataFrame) -> date:
    """The run's as-of date, from the one row of int_reporting_dates."""
    return as_date(reporting_dates["as_of_date"].iloc[0])


def stored_fit(session: object, this: object, is_incremental: bool) -> pd.DataFrame | None:
    """A dbt Python model's own table as the last run left it (DuckDB); None on a first build or a --full-refresh."""
    return session.sql(f"select * from {this}").df() if is_incremental else None  # type: ignore[attr-defined]


def model_table(session: object, this: object, fitted: pd.DataFrame | None) -> object:
    """What a fitted dbt Python model returns: the new fit, or its own rows as they are when the stored
    fit is kept (delete+insert by the model's key then writes them back unchanged)."""
    return session.sql(f"select * from {this}") if fitted is None else fitted  # type: ignore[attr-defined]
