"""The payment run record (marts.payment_runs), finalisation, and the rules on run order."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from pbr_pipeline.windows import shift_window


class PaymentRunError(Exception):
    """A payment run or finalisation that must not go ahead; the message says why."""


@dataclass(frozen=True)
class RunTotals:
    lines: int
    net_amount: Decimal


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def inputs_fingerprint(con: duckdb.DuckDBPyConnection, window: str) -> str:
    """A hash of the submissions whose records the run for `window` sees."""
    rows = con.execute(
        """SELECT submission_id, fingerprint FROM quality.submissions
           WHERE status = 'LOADED' AND "window" <= ? ORDER BY submission_id, fingerprint""",
        [window],
    ).fetchall()
    digest = hashlib.sha256()
    for submission_id, fingerprint in rows:
        digest.update(f"{submission_id}\0{fingerprint}\n".encode())
    return digest.hexdigest()


def run_status(con: duckdb.DuckDBPyConnection, window: str) -> str | None:
    row = con.execute("SELECT status FROM marts.payment_runs WHERE payment_window = ?", [window]).fetchone()
    return row[0] if row else None


def ensure_previous_window_run(con: duckdb.DuckDBPyConnection, window: str) -> None:
    """Payment runs compare with the previous window's run: refuse to skip a window."""
    earlier = con.execute(
        "SELECT max(payment_window) FROM marts.payment_runs WHERE payment_window < ?", [window]
    ).fetchone()[0]
    previous = shift_window(window, -1)
    if earlier is not None and earlier != previous:
        raise PaymentRunError(
            f"the payment run for {previous} has not been run: runs go in window order "
            f"(pbr run --from {shift_window(earlier, 1)} --to {window})"
        )


def later_runs(con: duckdb.DuckDBPyConnection, window: str) -> list[str]:
    rows = con.execute(
        "SELECT payment_window FROM marts.payment_runs WHERE payment_window > ? ORDER BY 1", [window]
    ).fetchall()
    return [row[0] for row in rows]


def run_totals(con: duckdb.DuckDBPyConnection, window: str) -> RunTotals:
    lines, net = con.execute(
        "SELECT count(*), coalesce(sum(amount), 0) FROM marts.payment_lines WHERE payment_window = ?", [window]
    ).fetchone()
    return RunTotals(lines, Decimal(net).quantize(Decimal("0.01")))


def record_run(con: duckdb.DuckDBPyConnection, window: str, fingerprint: str, totals: RunTotals) -> str:
    """Write the run's row; a final run keeps its status and who finalised it. Returns the status."""
    status = run_status(con, window)
    if status == "FINAL":
        con.execute(
            "UPDATE marts.payment_runs SET run_at = ? WHERE payment_window = ?", [utc_now(), window]
        )
        return status
    con.execute("DELETE FROM marts.payment_runs WHERE payment_window = ?", [window])
    con.execute(
        """INSERT INTO marts.payment_runs
           (payment_window, run_at, status, finalized_by, finalized_at, lines, net_amount, inputs_fingerprint)
           VALUES (?, ?, 'PROVISIONAL', NULL, NULL, ?, ?, ?)""",
        [window, utc_now(), totals.lines, totals.net_amount, fingerprint],
    )
    return "PROVISIONAL"


def check_final_run_reproduced(con: duckdb.DuckDBPyConnection, window: str, fingerprint: str, totals: RunTotals) -> None:
    """A final run must come out the same: same inputs, same number of lines, same net."""
    row = con.execute(
        "SELECT inputs_fingerprint, lines, net_amount FROM marts.payment_runs WHERE payment_window = ? AND status = 'FINAL'",
        [window],
    ).fetchone()
    if row is None:
        return
    if (row[0], row[1], Decimal(row[2])) != (fingerprint, totals.lines, totals.net_amount):
        raise PaymentRunError(
            f"the final run for {window} did not reproduce: recorded {row[1]} lines, net {row[2]}, "
            f"now {totals.lines} lines, net {totals.net_amount}"
        )


def finalize(con: duckdb.DuckDBPyConnection, window: str, by: str) -> dt.datetime:
    """Mark the window's run final (an operator's act): later submissions for windows <= it are refused."""
    if not by.strip():
        raise PaymentRunError("--by must name who finalises the run")
    status = run_status(con, window)
    if status is None:
        raise PaymentRunError(f"there is no payment run for {window} to finalise: run it first")
    if status == "FINAL":
        raise PaymentRunError(f"the payment run for {window} is already final")
    at = utc_now()
    con.execute(
        "UPDATE marts.payment_runs SET status = 'FINAL', finalized_by = ?, finalized_at = ? WHERE payment_window = ?",
        [by.strip(), at, window],
    )
    return at
