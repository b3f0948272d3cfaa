"""Statement files (spec/outputs.md, "Exports"): byte-identical for the same inputs.

Every figure is the dbt models': a provider's statement is its rows of marts.payment_lines, the
summary its totals in marts.provider_statements, and the providers are those with a contract
running in the window (the staging model of config.contracts) or a statement row for it.
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

from pbr_pipeline.windows import first_day, last_day

PAYMENT_LINE_COLUMNS = [
    "payment_window",
    "line_key",
    "journey_id",
    "pbr_id",
    "area",
    "kind",
    "outcome_code",
    "provider",
    "contract_id",
    "band",
    "earned_date",
    "earned_window",
    "status",
    "amount",
    "change_reason",
    "change_detail",
]
SUMMARY_COLUMNS = [
    "payment_window",
    "area",
    "provider",
    "lines",
    "new_amount",
    "reversal_amount",
    "net_amount_due",
]
MISSING_RETURN_COLUMNS = ["as_of_window", "area", "submitter", "role", "detail"]
# Each file of a window's folder and its columns (the payment checkpoint checks that none of
# them is a personal column).
EXPORT_COLUMNS = {
    "statement_<PROVIDER>.csv": PAYMENT_LINE_COLUMNS,
    "summary.csv": SUMMARY_COLUMNS,
    "missing_returns.csv": MISSING_RETURN_COLUMNS,
}

# dbt's relation of config.contracts: staging models go to the schema `staging`
# (dbt_project.yml, macros/generate_schema_name.sql).
CONTRACTS = "staging.stg_config__contracts"


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


# (area, provider) with a contract running in the window or a statement row in it.
PROVIDERS = f"""
SELECT DISTINCT area, provider FROM {CONTRACTS}
WHERE start_date <= $last_day AND end_date >= $first_day
UNION
SELECT DISTINCT area, provider FROM marts.provider_statements WHERE payment_window = $window
"""

# One row per (area, provider): its totals over its statement rows of the window, whatever
# their area (a provider listed under two areas shows the same totals under each), 0 when it
# has none.
SUMMARY = f"""
WITH providers AS ({PROVIDERS}),
totals AS (
    SELECT provider,
           sum(line_count) AS lines,
           sum(amount) FILTER (WHERE status = 'NEW') AS new_amount,
           sum(amount) FILTER (WHERE status = 'REVERSAL') AS reversal_amount,
           sum(amount) AS net_amount_due
    FROM marts.provider_statements
    WHERE payment_window = $window
    GROUP BY provider
)
SELECT $window AS payment_window, providers.area, providers.provider,
       coalesce(totals.lines, 0) AS lines,
       coalesce(totals.new_amount, 0) AS new_amount,
       coalesce(totals.reversal_amount, 0) AS reversal_amount,
       coalesce(totals.net_amount_due, 0) AS net_amount_due
FROM providers LEFT JOIN totals USING (provider)
"""


def _window_parameters(window: str) -> dict:
    """The window and its first and last day (windows.py), as the queries above name them."""
    return {"window": window, "first_day": first_day(window), "last_day": last_day(window)}


def statement_providers(con: duckdb.DuckDBPyConnection, window: str) -> list[tuple[str, str]]:
    """(area, provider) with a contract running in the window or a statement row in it."""
    return con.execute(f"{PROVIDERS} ORDER BY area, provider", _window_parameters(window)).fetchall()


def summary_rows(con: duckdb.DuckDBPyConnection, window: str) -> list[tuple]:
    """The summary's rows, their values in the order of SUMMARY_COLUMNS."""
    return con.execute(
        f"SELECT {', '.join(SUMMARY_COLUMNS)} FROM ({SUMMARY}) ORDER BY area, provider", _window_parameters(window)
    ).fetchall()


def statement_files(con: duckdb.DuckDBPyConnection, window: str) -> dict[str, bytes]:
    """File name -> bytes for the window: one statement per provider and the summary."""
    columns = ", ".join(PAYMENT_LINE_COLUMNS)
    files: dict[str, bytes] = {}
    for _area, provider in statement_providers(con, window):
        rows = con.execute(
            f"""SELECT {columns} FROM marts.payment_lines WHERE payment_window = ? AND provider = ?
                ORDER BY kind, outcome_code NULLS FIRST, line_key, status""",
            [window, provider],
        ).fetchall()
        files[f"statement_{provider}.csv"] = csv_text(PAYMENT_LINE_COLUMNS, rows)
    files["summary.csv"] = csv_text(SUMMARY_COLUMNS, summary_rows(con, window))
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
