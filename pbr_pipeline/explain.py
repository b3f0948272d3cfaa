"""Explaining a payment line: the records behind it, with submission, file and line number.

For a provider who disputes a line: `pbr explain --window P --line-key KEY`. The records, and
which of them prove the line, come from the dbt model marts.payment_line_evidence, built by the
same rules that paid the line; this module only selects from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

RECORD_COLUMNS = ["table_name", "record_key", "submitter", "event_date", "what", "submission_id", "file", "line_number"]


class ExplainError(Exception):
    pass


@dataclass(frozen=True)
class Explanation:
    lines: list[tuple]  # the payment lines of the window for the key
    line_columns: list[str]
    evidence: list[tuple]  # records that prove the line
    context: list[tuple]  # the person's other records in force
    record_columns: list[str]

    def render(self) -> str:
        def table(columns, rows):
            text = ["  " + " | ".join(columns)]
            text += ["  " + " | ".join("" if v is None else str(v) for v in row) for row in rows]
            return "\n".join(text)

        parts = [
            "payment lines:",
            table(self.line_columns, self.lines),
            "evidence:",
            table(self.record_columns, self.evidence) if self.evidence else "  (none)",
            "the person's other records in force:",
            table(self.record_columns, self.context) if self.context else "  (none)",
        ]
        return "\n".join(parts)


def _records(con: duckdb.DuckDBPyConnection, window: str, line_key: str, is_evidence: bool) -> list[tuple]:
    """The line's records in force as of the window: those that prove it, or the others."""
    return con.execute(
        f"""SELECT {", ".join(RECORD_COLUMNS)} FROM marts.payment_line_evidence
            WHERE payment_window = ? AND line_key = ? AND is_evidence = ?
            ORDER BY event_date, table_name, record_key, submitter""",
        [window, line_key, is_evidence],
    ).fetchall()


def explain_line(con: duckdb.DuckDBPyConnection, window: str, line_key: str) -> Explanation:
    cursor = con.execute(
        "SELECT * FROM marts.payment_lines WHERE payment_window = ? AND line_key = ? ORDER BY status DESC",
        [window, line_key],
    )
    line_columns = [d[0] for d in cursor.description]
    lines = cursor.fetchall()
    if not lines:
        raise ExplainError(f"no payment line {line_key} in the run for {window}")
    evidence = _records(con, window, line_key, is_evidence=True)
    context = _records(con, window, line_key, is_evidence=False)
    return Explanation(lines, line_columns, evidence, context, RECORD_COLUMNS)
