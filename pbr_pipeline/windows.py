"""Monthly windows (`YYYY-MM`): parsing, arithmetic and ranges."""

from __future__ import annotations

import calendar
import datetime as dt
import re

WINDOW_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
FIRST_WINDOW = "2012-04"  # the pilots' contracts began in April 2012


def check_not_before_first(window: str) -> None:
    """A window before the first has no partition, no contract and no run."""
    if window < FIRST_WINDOW:
        raise ValueError(f"{window} is before the first window {FIRST_WINDOW}")


def parse_window(text: str) -> tuple[int, int]:
    match = WINDOW_PATTERN.fullmatch(text or "")
    if not match:
        raise ValueError(f"not a window YYYY-MM: {text!r}")
    return int(match.group(1)), int(match.group(2))


def window_index(window: str) -> int:
    """Months since January of year 0: windows as integers, for arithmetic."""
    year, month = parse_window(window)
    return year * 12 + month - 1


def window_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def shift_window(window: str, months: int) -> str:
    return window_name(window_index(window) + months)


def window_range(first: str, last: str) -> list[str]:
    """Every window from first to last inclusive, oldest first."""
    if parse_window(first) > parse_window(last):
        raise ValueError(f"window range runs backwards: {first} > {last}")
    windows = [first]
    while windows[-1] != last:
        windows.append(shift_window(windows[-1], 1))
    return windows


def first_day(window: str) -> dt.date:
    year, month = parse_window(window)
    return dt.date(year, month, 1)


def last_day(window: str) -> dt.date:
    year, month = parse_window(window)
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def window_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
