"""The refit schedule of the CLV and churn fits (retention_warehouse.python_models.refit)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from retention_warehouse.python_models import churn_tables, clv_tables, refit


def stored_at(day: date | None, **columns: list) -> pd.DataFrame:
    return pd.DataFrame({"term": ["intercept", "feature_a"], **columns,
                         refit.FITTED_AS_OF: [day, day]})


@pytest.mark.parametrize(("day", "period", "start"), [
    (date(2025, 7, 17), "day", date(2025, 7, 17)),
    (date(2025, 7, 17), "week", date(2025, 7, 14)),   # a Thursday; the week starts on Monday 14th
    (date(2025, 7, 14), "week", date(2025, 7, 14)),
    (date(2025, 7, 17), "month", date(2025, 7, 1)),
])
def test_a_period_starts_on_its_first_day(day: date, period: str, start: date) -> None:
    assert refit.period_start(day, period) == start


def test_an_unknown_period_is_refused_by_name_even_on_a_first_build() -> None:
    with pytest.raises(ValueError, match="model_refit_period must be one of day, week, month, got 'quarter'"):
        refit.keeps_stored_fit(None, date(2025, 7, 1), "quarter")
    with pytest.raises(ValueError, match="got 'quarter'"):
        refit.on_schedule(None, date(2025, 7, 1), "quarter", lambda: pd.DataFrame({"x": [1]}))


@pytest.mark.parametrize(("fitted_at", "as_of", "period", "kept"), [
    (date(2025, 7, 1), date(2025, 7, 31), "month", True),
    (date(2025, 6, 30), date(2025, 7, 1), "month", False),   # a new month
    (date(2025, 7, 14), date(2025, 7, 20), "week", True),
    (date(2025, 7, 13), date(2025, 7, 14), "week", False),   # Sunday, then Monday
    (date(2025, 7, 14), date(2025, 7, 14), "day", False),    # the same date again: its data may have changed
    (date(2025, 7, 14), date(2025, 7, 14), "month", False),
    (date(2025, 7, 14), date(2025, 7, 15), "day", False),
    (date(2025, 7, 20), date(2025, 7, 10), "month", False),  # an as-of date before the fit's
    (None, date(2025, 7, 10), "month", False),               # nothing stored
])
def test_a_stored_fit_serves_its_own_period_only(fitted_at, as_of, period, kept) -> None:
    assert refit.keeps_stored_fit(fitted_at, as_of, period) is kept


def test_a_kept_fit_is_not_computed_and_a_new_one_records_its_date() -> None:
    calls: list[int] = []

    def fit() -> pd.DataFrame:
        calls.append(1)
        return pd.DataFrame({"term": ["intercept"], "coefficient": [0.5]})

    stored = stored_at(date(2025, 7, 2), coefficient=[0.1, 0.2])
    assert refit.on_schedule(stored, date(2025, 7, 9), "month", fit) is None
    assert calls == []
    fitted = refit.on_schedule(stored, date(2025, 8, 1), "month", fit)
    assert calls == [1]
    assert fitted is not None and list(fitted[refit.FITTED_AS_OF]) == [date(2025, 8, 1)]
    # First build or --full-refresh: no stored table.
    assert refit.on_schedule(None, date(2025, 7, 9), "month", fit) is not None


def test_a_changed_setting_fits_again_within_the_period() -> None:
    stored = stored_at(date(2025, 7, 2), time_unit_days=[7.0, 7.0])
    new = pd.DataFrame({"x": [1]})
    assert refit.on_schedule(stored, date(2025, 7, 9), "month", lambda: new,
                             lambda kept: clv_tables.same_settings(kept, 7.0)) is None
    assert refit.on_schedule(stored, date(2025, 7, 9), "month", lambda: new,
                             lambda kept: clv_tables.same_settings(kept, 1.0)) is not None


def test_a_stored_fit_without_one_as_of_date_is_fitted_again() -> None:
    """A table from before the schedule (no column), or mixed dates, is no stored fit."""
    assert refit.stored_as_of(pd.DataFrame({"term": ["intercept"]})) is None
    mixed = pd.DataFrame({refit.FITTED_AS_OF: [date(2025, 7, 1), date(2025, 7, 2)]})
    assert refit.stored_as_of(mixed) is None
    assert refit.stored_as_of(pd.DataFrame({refit.FITTED_AS_OF: [pd.Timestamp("2025-07-01")]})) == date(2025, 7, 1)


def test_stored_churn_terms_must_be_the_seeds_features() -> None:
    seed = pd.DataFrame({"feature": ["feature_a"], "reason_code": ["A"]})
    stored = stored_at(date(2025, 7, 2))
    assert churn_tables.stored_terms(seed, stored) is stored
    assert churn_tables.stored_terms(seed, None) is None
    changed = pd.DataFrame({"feature": ["feature_a", "feature_b"], "reason_code": ["A", "B"]})
    with pytest.raises(ValueError, match=r"seed churn_signals has changed since the stored fit \(terms \[\] removed, "
                                         r"\['feature_b'\] added\).*--full-refresh"):
        churn_tables.stored_terms(changed, stored)
