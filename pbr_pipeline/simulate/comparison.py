"""What a simulation would have paid beside what was paid (spec/outputs.md, "Simulation").

Both sides are sums of marts.payment_lines over the compared windows, per area, provider, kind
and outcome_code: the real runs' from the analysts' copy (a window never run adds nothing), the
simulation's from its own warehouse. Everything else here is arithmetic on those sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb

from pbr_pipeline.payments.exports import csv_text
from pbr_pipeline.payments.statements import pounds

COMPARISON_COLUMNS = [
    "area",
    "provider",
    "kind",
    "outcome_code",
    "actual_amount",
    "simulated_amount",
    "difference",
]
# The largest differences the summary names (the "three largest").
NAMED_DIFFERENCES = 3
ZERO = Decimal("0.00")

Key = tuple[str, str, str, str | None]  # area, provider, kind, outcome_code


@dataclass(frozen=True)
class ComparisonRow:
    area: str
    provider: str
    kind: str
    outcome_code: str | None
    actual_amount: Decimal
    simulated_amount: Decimal

    @property
    def difference(self) -> Decimal:
        return self.simulated_amount - self.actual_amount

    @property
    def line(self) -> str:
        """What the row is about, as people say it: `OXF OXF-LIFELINE OUTCOME D4_SUSTAINED`."""
        return " ".join(part for part in (self.area, self.provider, self.kind, self.outcome_code) if part)

    def values(self) -> tuple:
        return (
            self.area,
            self.provider,
            self.kind,
            self.outcome_code,
            self.actual_amount,
            self.simulated_amount,
            self.difference,
        )


def paid(con: duckdb.DuckDBPyConnection, windows: list[str]) -> dict[Key, Decimal]:
    """The sum of the payment lines of the windows, per area, provider, kind and outcome."""
    rows = con.execute(
        """SELECT area, provider, kind, outcome_code, sum(amount) FROM marts.payment_lines
           WHERE list_contains(?, payment_window) GROUP BY ALL""",
        [windows],
    ).fetchall()
    return {(area, provider, kind, outcome): amount for area, provider, kind, outcome, amount in rows}


def windows_paid(con: duckdb.DuckDBPyConnection, windows: list[str]) -> list[str]:
    """The windows of the list that have a payment run."""
    rows = con.execute(
        "SELECT payment_window FROM marts.payment_runs WHERE list_contains(?, payment_window) ORDER BY 1", [windows]
    ).fetchall()
    return [row[0] for row in rows]


def compare(actual: dict[Key, Decimal], simulated: dict[Key, Decimal]) -> list[ComparisonRow]:
    """One row per key of either side, 0 where a side has no line; ordered as the statements
    are (area, provider, kind, outcome_code with the kinds that have none first)."""
    keys = sorted(set(actual) | set(simulated), key=lambda key: (*key[:3], key[3] or ""))
    return [ComparisonRow(*key, actual.get(key, ZERO), simulated.get(key, ZERO)) for key in keys]


def signed_pounds(amount: Decimal) -> str:
    """A difference as the page and its charts write it: `+£1,250.00`, `-£80.00`, `£0.00`."""
    return f"+{pounds(amount)}" if amount > 0 else pounds(amount)


def comparison_csv(rows: list[ComparisonRow]) -> bytes:
    return csv_text(COMPARISON_COLUMNS, [row.values() for row in rows])


def total(rows: list[ComparisonRow], side: str) -> Decimal:
    """The sum of one column (`actual_amount`, `simulated_amount` or `difference`)."""
    return sum((getattr(row, side) for row in rows), ZERO)


def largest_differences(rows: list[ComparisonRow], count: int = NAMED_DIFFERENCES) -> list[ComparisonRow]:
    """The rows that move most, either way; among equal moves, the first in the file's order."""
    moved = [row for row in rows if row.difference]
    return sorted(moved, key=lambda row: -abs(row.difference))[:count]
