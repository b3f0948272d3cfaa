"""Day numbers and window indexes: the integer forms the generator computes with.

Dates are held as whole days since 1970-01-01 and windows as months since year 0, so that a
national population (millions of records) can be shifted, compared and bucketed with numpy
instead of one `datetime.date` at a time. Text forms appear only when a file is written.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from data_contracts.rules import completed_years
from pbr_pipeline.windows import first_day, last_day, window_name

# The null marker of every integer column (day numbers included): far outside any real value,
# so an arithmetic slip shows up as an absurd date rather than a plausible wrong one.
MISSING = -999_999

EPOCH = dt.date(1970, 1, 1)
_EPOCH_MONTH_INDEX = 1970 * 12


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def date_of(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(day))


def window_first_day(index: int) -> int:
    return day_number(first_day(window_name(index)))


def window_last_day(index: int) -> int:
    return day_number(last_day(window_name(index)))


def windows_of(days: np.ndarray) -> np.ndarray:
    """The window index of each day number (MISSING days give meaningless values: mask first)."""
    months = np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]")
    return months.astype(np.int64) + _EPOCH_MONTH_INDEX


def format_days(days: np.ndarray) -> np.ndarray:
    """ISO text of each day number, '' where MISSING."""
    days = np.asarray(days, dtype=np.int64)
    missing = days == MISSING
    text = np.datetime_as_string(np.where(missing, 0, days).astype("datetime64[D]"), unit="D")
    return np.where(missing, "", text).astype(object)


def whole_years_between(born: dt.date, on: dt.date) -> int:
    """Age in completed years, by the rule ingest checks ages with."""
    return int(completed_years(_yyyymmdd(born), _yyyymmdd(on)))


def _yyyymmdd(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day
