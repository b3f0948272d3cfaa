"""The payment run record (marts.payment_runs), finalisation, and the rules on run order."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from pbr_pipeline.codes import IN_FORCE_STATUSES, ROWS_LOADED_STATUSES
from pbr_pipeline.payments.exports import write_window_exports
from pbr_pipeline.settings import DEVELOPMENT_KEY_ID
from pbr_pipeline.windows import FIRST_WINDOW, shift_window


class PaymentRunError(Exception):
    """A payment run or finalisation that must not go ahead; the message says why."""


class RunFailed(Exception):
    """A run of the job did not succeed (`runner.py`); the message is one line naming the step
    and the cause."""


class RunInterrupted(RunFailed):
    """A run stopped by Ctrl-C; the warehouse is back as the run found it."""


@dataclass(frozen=True)
class RunTotals:
    lines: int
    net_amount: Decimal


@dataclass(frozen=True)
class RunRecord:
    """The run a statement belongs to, as marts.payment_runs records it (or will)."""

    window: str
    status: str  # PROVISIONAL or FINAL
    run_at: dt.datetime
    finalized_by: str | None
    finalized_at: dt.datetime | None
    inputs_fingerprint: str

    def status_text(self) -> str:
        if self.status == "FINAL":
            return f"FINAL, finalised by {self.finalized_by} on {timestamp(self.finalized_at)}"
        return "PROVISIONAL (may change until the window is finalised)"


def timestamp(value: dt.datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def inputs_fingerprint(con: duckdb.DuckDBPyConnection, window: str) -> str:
    """A hash of the submissions whose records the run for `window` sees."""
    rows = con.execute(
        """SELECT submission_id, fingerprint FROM quality.submissions
           WHERE list_contains(?, status) AND "window" <= ? ORDER BY submission_id, fingerprint""",
        [list(IN_FORCE_STATUSES), window],
    ).fetchall()
    digest = hashlib.sha256()
    for submission_id, fingerprint in rows:
        digest.update(f"{submission_id}\0{fingerprint}\n".encode())
    return digest.hexdigest()


def run_status(con: duckdb.DuckDBPyConnection, window: str) -> str | None:
    row = con.execute("SELECT status FROM marts.payment_runs WHERE payment_window = ?", [window]).fetchone()
    return row[0] if row else None


def windows_run(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("SELECT payment_window FROM marts.payment_runs ORDER BY 1").fetchall()
    return [row[0] for row in rows]


def check_run_order(runs: list[str], window: str, rerun_through: str | None = None) -> None:
    """Payment runs compare with the previous window's run, so windows are run in order: the
    first run is the first window, each later one follows a run of the window before it, and
    re-running a window that later runs build on is allowed only when the same request re-runs
    them too, oldest first (`rerun_through` is the last window it runs)."""
    if window < FIRST_WINDOW:
        raise PaymentRunError(f"{window} is before the first window {FIRST_WINDOW}")
    if not runs and window != FIRST_WINDOW:
        raise PaymentRunError(
            f"no payment run yet: the first must be for {FIRST_WINDOW} (pbr run --from {FIRST_WINDOW} --to {window})"
        )
    previous = shift_window(window, -1)
    if window != FIRST_WINDOW and previous not in runs:
        done = [w for w in runs if w < window]
        start = shift_window(done[-1], 1) if done else FIRST_WINDOW
        raise PaymentRunError(
            f"the payment run for {previous} has not been run: runs go in window order "
            f"(pbr run --from {start} --to {window})"
        )
    later = [w for w in runs if w > window]
    if later and (rerun_through is None or rerun_through < later[-1]):
        which = f"the run for {later[0]} builds" if len(later) == 1 else f"the runs for {later[0]}..{later[-1]} build"
        redo = "both" if len(later) == 1 else "them with it"
        raise PaymentRunError(
            f"{which} on the run for {window}: re-run {redo}, in order (pbr run --from {window} --to {later[-1]})"
        )


def run_totals(con: duckdb.DuckDBPyConnection, window: str) -> RunTotals:
    """The run's line count and net amount: the sums of its statement rows (marts.provider_statements)."""
    lines, net = con.execute(
        """SELECT coalesce(sum(line_count), 0), coalesce(sum(amount), 0)
           FROM marts.provider_statements WHERE payment_window = ?""",
        [window],
    ).fetchone()
    return RunTotals(lines, Decimal(net).quantize(Decimal("0.01")))


def run_record(
    con: duckdb.DuckDBPyConnection, window: str, fingerprint: str, files: dict[str, bytes], export_dir: Path
) -> RunRecord:
    """The record of this run, before it is written, so that the statements can print it. A
    final run is the one finalised. A run that sees the same submissions as the recorded one and
    makes the same statement files as its folder holds is the same run again: it keeps its run
    date, so its statements come out byte for byte the same (docs/decisions.md). Any other run
    is dated now."""
    row = con.execute(
        """SELECT status, run_at, finalized_by, finalized_at, inputs_fingerprint FROM marts.payment_runs
           WHERE payment_window = ?""",
        [window],
    ).fetchone()
    if row and row[0] == "FINAL":
        return RunRecord(window, *row)
    run_at = utc_now()
    if row and row[4] == fingerprint and _folder_holds(export_dir / window, files):
        run_at = row[1]
    return RunRecord(window, "PROVISIONAL", run_at, None, None, fingerprint)


def _folder_holds(folder: Path, files: dict[str, bytes]) -> bool:
    """The folder holds exactly these files among its files of the same kinds (suffixes)."""
    suffixes = {Path(name).suffix for name in files}
    held = {path.name for path in folder.glob("*") if path.is_file() and path.suffix in suffixes}
    return held == set(files) and all((folder / name).read_bytes() == content for name, content in files.items())


def record_run(con: duckdb.DuckDBPyConnection, run: RunRecord, totals: RunTotals, key_id: str) -> str:
    """Write the run's row; a final run keeps its row as it was finalised (its statements print
    the recorded run date, so a re-run reproduces them byte for byte). Returns the status."""
    if run_status(con, run.window) == "FINAL":
        return "FINAL"
    con.execute("DELETE FROM marts.payment_runs WHERE payment_window = ?", [run.window])
    con.execute(
        """INSERT INTO marts.payment_runs
           (payment_window, run_at, status, finalized_by, finalized_at, lines, net_amount, inputs_fingerprint,
            pseudonym_key_id)
           VALUES (?, ?, 'PROVISIONAL', NULL, NULL, ?, ?, ?, ?)""",
        [run.window, run.run_at, totals.lines, totals.net_amount, run.inputs_fingerprint, key_id],
    )
    return "PROVISIONAL"


# Every column of a payment line, as text: two runs' lines are the same only if every value is.
LINE_DIGESTS = """SELECT line_key, status, md5(CAST(pl AS VARCHAR)) AS digest
                  FROM marts.payment_lines pl WHERE payment_window = ?"""


def _file_digests(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(content).hexdigest() for name, content in files.items()}


def check_final_run_reproduced(
    con: duckdb.DuckDBPyConnection, window: str, fingerprint: str, files: dict[str, bytes]
) -> None:
    """A final run must come out the same: the same inputs, every line the same in every
    column, and every statement file the same to the byte; otherwise it is refused."""
    if run_status(con, window) != "FINAL":
        return
    recorded = con.execute(
        "SELECT inputs_fingerprint FROM marts.payment_runs WHERE payment_window = ?", [window]
    ).fetchone()[0]
    if recorded != fingerprint:
        raise PaymentRunError(f"the final run for {window} did not reproduce: the submissions it sees have changed")
    changed = con.execute(
        f"""SELECT line_key, status FROM (
                (SELECT line_key, status, digest FROM quality.final_lines WHERE payment_window = ?
                 EXCEPT SELECT * FROM ({LINE_DIGESTS}))
                UNION ALL
                (SELECT * FROM ({LINE_DIGESTS})
                 EXCEPT SELECT line_key, status, digest FROM quality.final_lines WHERE payment_window = ?))
            ORDER BY 1, 2""",
        [window, window, window, window],
    ).fetchall()
    if changed:
        key, status = changed[0]
        raise PaymentRunError(
            f"the final run for {window} did not reproduce: {len(changed)} line(s) differ from the final ones "
            f"(first: {key} {status}); its lines and statements are kept as finalised"
        )
    final_files = dict(
        con.execute("SELECT file, sha256 FROM quality.final_files WHERE payment_window = ?", [window]).fetchall()
    )
    now = _file_digests(files)
    differing = sorted(name for name in set(final_files) | set(now) if final_files.get(name) != now.get(name))
    if differing:
        raise PaymentRunError(
            f"the final run for {window} did not reproduce: statement file(s) {', '.join(differing[:3])} differ "
            f"from the final ones; they are kept as finalised"
        )


def _runs_made_with_development_key(con: duckdb.DuckDBPyConnection, window: str) -> str | None:
    """Why the window's numbers rest on the public development key, or None."""
    run_key = con.execute(
        "SELECT pseudonym_key_id FROM marts.payment_runs WHERE payment_window = ?", [window]
    ).fetchone()[0]
    if run_key == DEVELOPMENT_KEY_ID:
        return f"the run for {window} used the development pseudonym key"
    loaded = con.execute(
        """SELECT min(submission_id) FROM quality.submissions
           WHERE list_contains(?, status) AND "window" <= ? AND pseudonym_key_id = ?""",
        [list(ROWS_LOADED_STATUSES), window, DEVELOPMENT_KEY_ID],
    ).fetchone()[0]
    return f"{loaded} was pseudonymised with the development key" if loaded else None


def finalize(
    con: duckdb.DuckDBPyConnection,
    window: str,
    by: str,
    export_dir: Path,
    draw_statements: Callable[[RunRecord], dict[str, bytes]],
) -> dt.datetime:
    """Mark the window's run final (an operator's act): later submissions for windows <= it are
    refused, and a re-run must reproduce its lines and statement files exactly (recorded here).
    The statements people read print the run's status, so `draw_statements` draws them again
    as final (who and when) before their bytes are recorded; the CSVs are kept as they are."""
    if not by.strip():
        raise PaymentRunError("--by must name who finalises the run")
    status = run_status(con, window)
    if status is None:
        raise PaymentRunError(f"there is no payment run for {window} to finalise: run it first")
    if status == "FINAL":
        raise PaymentRunError(f"the payment run for {window} is already final")
    development = _runs_made_with_development_key(con, window)
    if development:
        raise PaymentRunError(f"{window} cannot be finalised: {development} (set PBR_PSEUDONYM_KEY and re-run)")
    folder = export_dir / window
    files = (
        {path.name: path.read_bytes() for path in sorted(folder.glob("*")) if path.is_file()} if folder.is_dir() else {}
    )
    if "summary.csv" not in files:
        raise PaymentRunError(f"{window} cannot be finalised: its statements are not in {folder} (re-run it first)")
    at = utc_now()
    run_at, fingerprint = con.execute(
        "SELECT run_at, inputs_fingerprint FROM marts.payment_runs WHERE payment_window = ?", [window]
    ).fetchone()
    drawn = draw_statements(RunRecord(window, "FINAL", run_at, by.strip(), at, fingerprint))
    files |= drawn
    con.begin()
    try:
        con.execute(
            """UPDATE marts.payment_runs SET status = 'FINAL', finalized_by = ?, finalized_at = ?
               WHERE payment_window = ?""",
            [by.strip(), at, window],
        )
        con.execute("DELETE FROM quality.final_lines WHERE payment_window = ?", [window])
        con.execute(f"INSERT INTO quality.final_lines SELECT ?, * FROM ({LINE_DIGESTS})", [window, window])
        con.execute("DELETE FROM quality.final_files WHERE payment_window = ?", [window])
        con.executemany(
            "INSERT INTO quality.final_files VALUES (?, ?, ?)",
            [[window, name, digest] for name, digest in sorted(_file_digests(files).items())],
        )
        con.commit()
    except BaseException:
        con.rollback()
        raise
    # After the commit: should this write fail, a re-run of the final window draws the same
    # files again, and they match what was recorded.
    if drawn:
        write_window_exports(export_dir, window, files)
    return at
