"""Statement files (spec/outputs.md, "Exports"): byte-identical for the same inputs.

Beside the statements and the summary, `missing_returns.csv` lists for the commissioner every
return expected for the window that did not arrive.

The window's folder is written beside the old one and swapped in only when complete, so a
failure leaves the previous files as they were.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb

PAYMENT_LINE_COLUMNS = [
    "payment_window", "line_key", "journey_id", "pbr_id", "area", "kind", "outcome_code", "provider",
    "contract_id", "band", "earned_date", "earned_window", "status", "amount",
]
SUMMARY_COLUMNS = [
    "payment_window", "area", "provider", "lines", "new_amount", "reversal_amount", "net_amount_due",
]
MISSING_RETURN_COLUMNS = ["as_of_window", "area", "submitter", "role", "detail"]


# A spreadsheet reads a cell starting with one of these as a formula (=HYPERLINK(...) ...).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def defused(text: str) -> str:
    """Text that no spreadsheet runs: a leading apostrophe on what would be read as a formula.
    Configuration ids are validated as codes already; this holds for any text that reaches a
    statement, whatever its source."""
    if text.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return defused(str(value))


def csv_text(columns: list[str], rows: list[tuple]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([csv_value(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def statement_providers(con: duckdb.DuckDBPyConnection, window: str) -> list[tuple[str, str]]:
    """(area, provider) with a contract running in the window or a payment line in it."""
    return con.execute(
        """
        SELECT DISTINCT area, provider FROM config.contracts
        WHERE start_date <= last_day(cast(? || '-01' AS date)) AND end_date >= cast(? || '-01' AS date)
        UNION
        SELECT DISTINCT area, provider FROM marts.payment_lines WHERE payment_window = ?
        ORDER BY area, provider
        """,
        [window, window, window],
    ).fetchall()


def statement_files(con: duckdb.DuckDBPyConnection, window: str) -> dict[str, bytes]:
    """File name -> bytes for the window: one statement per provider and the summary."""
    columns = ", ".join(PAYMENT_LINE_COLUMNS)
    files: dict[str, bytes] = {}
    summary = []
    for area, provider in statement_providers(con, window):
        rows = con.execute(
            f"""SELECT {columns} FROM marts.payment_lines WHERE payment_window = ? AND provider = ?
                ORDER BY kind, outcome_code NULLS FIRST, line_key, status""",
            [window, provider],
        ).fetchall()
        files[f"statement_{provider}.csv"] = csv_text(PAYMENT_LINE_COLUMNS, rows)
        amounts = [row[-1] for row in rows]
        new = sum((a for r, a in zip(rows, amounts) if r[12] == "NEW"), Decimal("0"))
        reversed_ = sum((a for r, a in zip(rows, amounts) if r[12] == "REVERSAL"), Decimal("0"))
        summary.append((window, area, provider, len(rows), new, reversed_, new + reversed_))
    files["summary.csv"] = csv_text(SUMMARY_COLUMNS, summary)
    files["missing_returns.csv"] = csv_text(MISSING_RETURN_COLUMNS, missing_returns(con, window))
    return files


def missing_returns(con: duckdb.DuckDBPyConnection, window: str) -> list[tuple]:
    """The returns expected for the window and not received, for the commissioner."""
    return con.execute(
        f"""SELECT {", ".join(MISSING_RETURN_COLUMNS)} FROM quality.missing_returns
            WHERE as_of_window = ? ORDER BY area NULLS LAST, submitter""",
        [window],
    ).fetchall()


def write_window_exports(export_dir: Path, window: str, files: dict[str, bytes]) -> Path:
    """Write the window's folder whole, then swap it in place of the old one."""
    export_dir.mkdir(parents=True, exist_ok=True)
    target = export_dir / window
    staging = export_dir / f".{window}.incoming-{os.getpid()}"
    retired = export_dir / f".{window}.retired-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for name, content in sorted(files.items()):
        (staging / name).write_bytes(content)
    if target.exists():
        target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)
    return target
