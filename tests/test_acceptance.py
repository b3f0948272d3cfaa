"""The worked scenarios of shared/spec/acceptance, compared as sets of rows (acceptance/README.md)."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

import pytest

from pbr_pipeline.windows import window_range
from tests.conftest import ACCEPTANCE, ACCEPTANCE_WINDOWS

WINDOWS = window_range(*ACCEPTANCE_WINDOWS)

# expected file -> (warehouse query for window P, whether the file is compared for every window)
QUERIES = {
    "submissions": ('SELECT * FROM quality.submissions WHERE "window" <= ?', True),
    "quarantine": (
        "SELECT q.* FROM quality.quarantine q JOIN quality.submissions s "
        'ON s.submission_id = q.submission_id AND s.fingerprint = q.fingerprint WHERE s."window" <= ?',
        True,
    ),
    "attainment": ("SELECT * FROM marts.outcome_attainment WHERE as_of_window = ?", True),
    "entitlements": ("SELECT * FROM marts.entitlements WHERE as_of_window = ?", True),
    "payment_lines": ("SELECT * FROM marts.payment_lines WHERE payment_window = ?", True),
    "provider_statements": ("SELECT * FROM marts.provider_statements WHERE payment_window = ?", True),
    "conversion_counts": ("SELECT * FROM marts.conversion_counts WHERE payment_window = ?", True),
    "journeys": ("SELECT * FROM marts.journeys WHERE ? IS NOT NULL", False),
    "payment_line_reasons": (
        "SELECT payment_window, line_key, status, change_reason FROM marts.payment_lines WHERE payment_window = ?",
        True,
    ),
    "monitor_indicators": ("SELECT * FROM marts.monitor_indicators WHERE as_of_window = ?", True),
    "payment_forecast": ("SELECT * FROM marts.payment_forecast WHERE as_of_window = ?", True),
}
IGNORED_COLUMNS = {"attainment": {"evidence"}}


def as_text(value) -> str:
    """A warehouse value written as the acceptance CSVs write it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        # money has two decimals; a finer number its own (monitor_indicators.value: 0.6667)
        return f"{value:.2f}" if value.as_tuple().exponent >= -2 else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def expected_rows(window: str, name: str) -> tuple[list[str], set[tuple]]:
    with open(ACCEPTANCE / "expected" / window / f"{name}.csv", newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return [], set()
        columns = [c for c in header if c not in IGNORED_COLUMNS.get(name, set())]
        positions = [header.index(c) for c in columns]
        return columns, {tuple(row[i] for i in positions) for row in reader}


def actual_rows(run, sql: str, window: str, columns: list[str]) -> set[tuple]:
    names, rows = run.columns_and_rows(sql, [window])
    positions = [names.index(c) for c in columns]
    return {tuple(as_text(row[i]) for i in positions) for row in rows}


CASES = [
    pytest.param(window, name, id=f"{window}-{name}")
    for name, (_, every) in QUERIES.items()
    for window in (WINDOWS if every else WINDOWS[-1:])
]


def test_every_expected_file_is_compared():
    files = {path.stem for path in (ACCEPTANCE / "expected").glob("*/*.csv")}
    assert files == set(QUERIES)
    assert {path.name for path in (ACCEPTANCE / "expected").iterdir()} == set(WINDOWS)


@pytest.mark.parametrize("window, name", CASES)
def test_acceptance_01_oxfordshire(acceptance_run, window, name):
    columns, expected = expected_rows(window, name)
    sql, _ = QUERIES[name]
    if not columns:  # an empty expected file: no rows at all for the window
        assert acceptance_run.query(f"SELECT count(*) FROM ({sql})", [window]) == [(0,)]
        return
    actual = actual_rows(acceptance_run, sql, window, columns)
    assert sorted(actual - expected) == [] and sorted(expected - actual) == [], (
        f"unexpected: {sorted(actual - expected)}\nmissing: {sorted(expected - actual)}"
    )
