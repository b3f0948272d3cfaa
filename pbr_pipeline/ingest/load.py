"""Applying one submission to the warehouse: whole or not at all, in one DuckDB transaction."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import duckdb
import pandas as pd

from data_contracts import CONTRACTS, SubmissionContext, row_failures
from pbr_pipeline.config import Areas
from pbr_pipeline.ingest.discovery import Candidate
from pbr_pipeline.ingest.integrity import ParsedFile, ParsedSubmission, Rejection
from pbr_pipeline.ingest.pseudonymise import PERSONAL_COLUMNS, pseudonymise_assessments
from pbr_pipeline.settings import key_id
from pbr_pipeline.warehouse import raw_columns
from pbr_pipeline.windows import last_day

LOADED_STATUSES = ("LOADED", "SUPERSEDED")


@dataclass
class Outcome:
    """What happened to one sighting of a submission (one row of quality.submissions)."""

    submission_id: str
    submitter: str | None
    area: str | None
    window: str | None
    seq: int | None
    status: str
    reason: str | None = None
    detail: str | None = None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    pseudonym_key_id: str | None = None  # set on a loaded submission: which key hashed it


@dataclass
class FileResult:
    file: ParsedFile
    loaded: pd.DataFrame  # typed-ready text, one row per loaded record
    quarantine: pd.DataFrame  # line_number, column_name, reason, raw_record
    rows_quarantined: int


def already_seen(con: duckdb.DuckDBPyConnection, source: str, fingerprint: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM quality.submissions WHERE source = ? AND fingerprint = ?", [source, fingerprint]
    ).fetchone()[0]
    return found > 0


def check_against_warehouse(con: duckdb.DuckDBPyConnection, parsed: ParsedSubmission, fingerprint: str) -> str | None:
    """DUPLICATE (returned as a status), or raise STALE_SEQ / WINDOW_CLOSED; None to load."""
    manifest = parsed.manifest
    earlier = con.execute(
        """SELECT seq, fingerprint FROM quality.submissions
           WHERE submitter = ? AND "window" = ? AND status IN ('LOADED', 'SUPERSEDED')""",
        [manifest.submitter, manifest.window],
    ).fetchall()
    if any(seq == manifest.seq and seen == fingerprint for seq, seen in earlier):
        return "DUPLICATE"
    higher = [seq for seq, _ in earlier if seq >= manifest.seq]
    if higher:
        raise Rejection("STALE_SEQ", f"seq {max(higher):02d} of {manifest.submitter} {manifest.window} is already loaded")
    closed = con.execute(
        "SELECT max(payment_window) FROM marts.payment_runs WHERE status = 'FINAL' AND payment_window >= ?",
        [manifest.window],
    ).fetchone()[0]
    if closed:
        raise Rejection("WINDOW_CLOSED", f"the payment run for {closed} is final")
    return None


def _frame(parsed_file: ParsedFile) -> pd.DataFrame:
    """Spec columns as trimmed text, empty as null, indexed by line number."""
    columns = CONTRACTS[parsed_file.table].spec_columns()
    positions = {name: i for i, name in enumerate(parsed_file.header)}
    data = {}
    for column in columns:
        if column in positions:
            i = positions[column]
            values = [values[i].strip() for _, values in parsed_file.rows]
            data[column] = [value if value else None for value in values]
        else:
            data[column] = [None] * len(parsed_file.rows)
    index = pd.Index([line for line, _ in parsed_file.rows], name="line_number")
    return pd.DataFrame(data, index=index, dtype=object)


def _raw_records(parsed_file: ParsedFile, lines: set[int]) -> dict[int, str]:
    """The quarantined rows verbatim as JSON text, personal columns blanked."""
    records = {}
    for line, values in parsed_file.rows:
        if line in lines:
            row = {
                name: ("" if name in PERSONAL_COLUMNS else value)
                for name, value in zip(parsed_file.header, values)
            }
            records[line] = json.dumps(row, ensure_ascii=False)
    return records


def validate_file(parsed_file: ParsedFile, context: SubmissionContext) -> FileResult:
    frame = _frame(parsed_file)
    failures = row_failures(parsed_file.table, frame, context)
    bad_lines = set(failures["line_number"].tolist())
    raw = _raw_records(parsed_file, bad_lines)
    quarantine = failures.assign(raw_record=failures["line_number"].map(raw))
    loaded = frame[~frame.index.isin(bad_lines)]
    return FileResult(parsed_file, loaded, quarantine, len(bad_lines))


def submission_context(areas: Areas, submitter: str, window: str) -> SubmissionContext:
    area_code = areas.submitter_area.get(submitter)
    if area_code is None:
        return SubmissionContext(None, last_day(window).isoformat(), (), ())
    area = areas.by_code()[area_code]
    return SubmissionContext(
        area_code,
        last_day(window).isoformat(),
        tuple(sorted(area.bands)),
        area.submitters_with_role("PROVIDER"),
    )


def _insert_raw(con, table: str, loaded: pd.DataFrame, lineage: dict, key: bytes) -> None:
    if loaded.empty:
        return
    frame = loaded.reset_index()
    deleted = frame["deleted"].eq("Y")
    if table == "assessments":
        frame = pseudonymise_assessments(frame, key)
    columns = raw_columns(table)
    # A retraction carries only its key and pbr_id: its other values are not validated, so not kept.
    content = [c for c in frame.columns if c in columns and c not in ("deleted", "line_number")]
    keep = {CONTRACTS[table].metadata()["key"], "pbr_id"}
    for column in content:
        if column not in keep:
            frame.loc[deleted, column] = None
    frame = frame.assign(deleted=deleted, **lineage)
    con.register("incoming", frame)
    try:
        select = ", ".join(f'CAST("{c}" AS {kind}) AS "{c}"' for c, kind in columns.items())
        names = ", ".join(f'"{c}"' for c in columns)
        con.execute(f"INSERT INTO raw.{table} ({names}) SELECT {select} FROM incoming")
    finally:
        con.unregister("incoming")


def apply_submission(
    con: duckdb.DuckDBPyConnection,
    candidate: Candidate,
    parsed: ParsedSubmission,
    outcome: Outcome,
    fingerprint: str,
    areas: Areas,
    key: bytes,
    received_at: dt.datetime,
) -> Outcome:
    """Validate every row, then write records, quarantine and bookkeeping in one transaction."""
    manifest = parsed.manifest
    context = submission_context(areas, manifest.submitter, manifest.window)
    results = [validate_file(f, context) for f in parsed.files]
    outcome.rows_in = parsed.rows_in
    outcome.rows_quarantined = sum(r.rows_quarantined for r in results)
    outcome.rows_loaded = outcome.rows_in - outcome.rows_quarantined
    outcome.detail = "; ".join(parsed.warnings) or None
    outcome.pseudonym_key_id = key_id(key)
    con.begin()
    try:
        for result in results:
            lineage = dict(
                submission_id=candidate.submission_id, submitter=manifest.submitter, area=context.area,
                window=manifest.window, seq=manifest.seq, file=result.file.name, loaded_at=received_at,
            )
            _insert_raw(con, result.file.table, result.loaded, lineage, key)
            for row in result.quarantine.itertuples(index=False):
                con.execute(
                    "INSERT INTO quality.quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [candidate.submission_id, manifest.window, result.file.name, row.line_number,
                     row.column_name, row.reason, row.raw_record, fingerprint],
                )
            con.execute(
                "INSERT INTO quality.submission_files VALUES (?, ?, ?, ?, ?, ?, ?)",
                [candidate.submission_id, fingerprint, result.file.name, result.file.table,
                 len(result.file.rows), len(result.loaded), result.rows_quarantined],
            )
        con.execute(
            """UPDATE quality.submissions SET status = 'SUPERSEDED'
               WHERE submitter = ? AND "window" = ? AND status = 'LOADED' AND seq < ?""",
            [manifest.submitter, manifest.window, manifest.seq],
        )
        record_outcome(con, outcome, candidate.source, fingerprint, received_at)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return outcome


def record_outcome(con, outcome: Outcome, source: str, fingerprint: str, received_at: dt.datetime) -> None:
    con.execute(
        "INSERT INTO quality.submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [outcome.submission_id, outcome.submitter, outcome.area, outcome.window, outcome.seq,
         outcome.status, outcome.reason, outcome.detail, outcome.rows_in, outcome.rows_loaded,
         outcome.rows_quarantined, received_at, source, fingerprint, outcome.pseudonym_key_id],
    )
