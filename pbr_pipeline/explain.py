"""Explaining a payment line: the records behind it, with submission, file and line number.

For a provider who disputes a line: `pbr explain --window P --line-key KEY`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

RECORDS_AS_OF = (Path(__file__).parent / "queries" / "records_as_of.sql").read_text(encoding="utf-8")

# Which table holds the evidence ids of each outcome (spec/outcomes.md, "Which provider earns it").
EVIDENCE_TABLE = {
    "D1_REDUCED_USE": "top", "D2_ABSTINENT": "top", "H1_INJECTING_CEASED": "top",
    "H2_HOUSING_RESOLVED": "top", "H4_QOL_NORMATIVE": "top",
    "D3_COMPLETED": "episodes", "D4_SUSTAINED": "episodes",
    "H3_HEPB_COMPLETED": "interventions", "E1_EMPLOYMENT": "employment",
}


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

        parts = ["payment lines:", table(self.line_columns, self.lines), "evidence:",
                 table(self.record_columns, self.evidence) if self.evidence else "  (none)",
                 "the person's other records in force:",
                 table(self.record_columns, self.context) if self.context else "  (none)"]
        return "\n".join(parts)


def _evidence_keys(con, window: str, journey_id: str, kind: str, outcome_code: str | None) -> set[tuple[str, str]]:
    """(table, record key) pairs that prove the line as of the window."""
    if kind == "OUTCOME":
        row = con.execute(
            """SELECT evidence FROM marts.outcome_attainment
               WHERE as_of_window = ? AND journey_id = ? AND outcome_code = ?""",
            [window, journey_id, outcome_code],
        ).fetchone()
        table = EVIDENCE_TABLE.get(outcome_code)
        if row is None or row[0] is None or table is None:
            return set()
        return {(table, key.strip()) for key in row[0].split(",")}
    return set()


def _is_evidence(record: tuple, keys: set, kind: str, outcome_code: str | None, opened, start, converted_on) -> bool:
    table, key, _, event_date, what = record[:5]
    if (table, key) in keys:
        return True
    if table == "assessments" and event_date == opened and what.startswith("INITIAL"):
        return True  # the assessment that opened the journey and set its band
    if kind == "ATTACHMENT":
        return table == "episodes" and event_date == start
    if kind == "CONVERSION":
        # A conversion that has since gone away (converted_on null) has no evidence left to show.
        return table == "episodes" and event_date is not None and converted_on is not None and event_date <= converted_on
    if outcome_code == "O1_OFFENDING":
        # the offences counted before and after the start (spec/outcomes.md, O1)
        return table == "offences" and start is not None and abs((event_date - start).days) <= 365
    return False


def explain_line(con: duckdb.DuckDBPyConnection, window: str, line_key: str) -> Explanation:
    cursor = con.execute(
        "SELECT * FROM marts.payment_lines WHERE payment_window = ? AND line_key = ? ORDER BY status DESC",
        [window, line_key],
    )
    line_columns = [d[0] for d in cursor.description]
    lines = cursor.fetchall()
    if not lines:
        raise ExplainError(f"no payment line {line_key} in the run for {window}")
    line = dict(zip(line_columns, lines[0]))
    journey = con.execute(
        "SELECT initial_assessment_date, start_date, converted_on FROM marts.journeys WHERE journey_id = ?",
        [line["journey_id"]],
    ).fetchone() or (None, None, None)
    keys = _evidence_keys(con, window, line["journey_id"], line["kind"], line["outcome_code"])
    cursor = con.execute(RECORDS_AS_OF, {"pbr_id": line["pbr_id"], "window": window})
    record_columns = [d[0] for d in cursor.description]
    records = cursor.fetchall()
    evidence = [r for r in records if _is_evidence(r, keys, line["kind"], line["outcome_code"], *journey)]
    context = [r for r in records if r not in evidence]
    return Explanation(lines, line_columns, evidence, context, record_columns)
