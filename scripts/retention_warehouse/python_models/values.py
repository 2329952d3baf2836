"""Values as the tables' columns hold them, whatever a driver or engine returned."""

from __future__ import annotations

from datetime import date

import pandas as pd


def as_date(value: object) -> date:
    """A date from whatever a driver returns for a date column (date, datetime, Timestamp, numpy)."""
    return pd.Timestamp(value).date()
