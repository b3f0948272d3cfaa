"""Validating a batch of submissions (a window's), then applying each whole or not at all.

The row contracts run once per table for the whole batch, over every file of that table
concatenated: pandera's cost per call, not per row, is what a national window's 500
submissions paid for. Every failure is mapped back to its submission, file and line, so each
submission gets exactly the quarantine it would get alone. The rows each submission will load
are staged in temporary tables of the connection (gone with it). A submission is then applied
in a DuckDB transaction: its own (`apply_submission`), or one for the whole batch (run.py),
whose submissions' bookkeeping is written in turn and all their rows at its end
(`write_rows`). Either way nothing of a submission is written unless all of it is: a process
killed midway leaves no part of one.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from data_contracts import (
    SubmissionContext,
    context_values,
    contract_failures,
)
from data_contracts.tables import RETURN_TABLES
from pbr_pipeline.codes import ROWS_LOADED_STATUSES, SubmissionStatus
from pbr_pipeline.config import Areas
from pbr_pipeline.ingest.discovery import Candidate
from pbr_pipeline.ingest.integrity import ParsedFile, ParsedSubmission, Rejection
from pbr_pipeline.ingest.pseudonymise import PERSONAL_COLUMNS, pseudonymise_assessments
from pbr_pipeline.settings import key_id
from pbr_pipeline.warehouse import raw_columns
from pbr_pipeline.windows import last_day


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
    """One file's validation: its rows to load are staged (`ValidatedBatch`), its quarantine here."""

    file: ParsedFile
    rows_loaded: int
    rows_quarantined: int
    quarantine: pd.DataFrame  # line_number, column_name, reason, raw_record (sorted so)


def already_seen(con: duckdb.DuckDBPyConnection, source: str, fingerprint: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM quality.submissions WHERE source = ? AND fingerprint = ?", [source, fingerprint]
    ).fetchone()[0]
    return found > 0


def seen_sightings(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    """Every (source, fingerprint) recorded: `already_seen` for many sightings in one query."""
    return set(con.execute("SELECT DISTINCT source, fingerprint FROM quality.submissions").fetchall())


def check_against_warehouse(con: duckdb.DuckDBPyConnection, parsed: ParsedSubmission, fingerprint: str) -> str | None:
    """DUPLICATE (returned as a status), or raise STALE_SEQ / WINDOW_CLOSED; None to load."""
    manifest = parsed.manifest
    earlier = con.execute(
        """SELECT seq, fingerprint FROM quality.submissions
           WHERE submitter = ? AND "window" = ? AND list_contains(?, status)""",
        [manifest.submitter, manifest.window, list(ROWS_LOADED_STATUSES)],
    ).fetchall()
    if any(seq == manifest.seq and seen == fingerprint for seq, seen in earlier):
        return SubmissionStatus.DUPLICATE
    higher = [seq for seq, _ in earlier if seq >= manifest.seq]
    if higher:
        raise Rejection(
            "STALE_SEQ", f"seq {max(higher):02d} of {manifest.submitter} {manifest.window} is already loaded"
        )
    closed = con.execute(
        "SELECT max(payment_window) FROM marts.payment_runs WHERE status = 'FINAL' AND payment_window >= ?",
        [manifest.window],
    ).fetchone()[0]
    if closed:
        raise Rejection("WINDOW_CLOSED", f"the payment run for {closed} is final")
    return None


QUARANTINE_COLUMNS = ["line_number", "column_name", "reason", "raw_record"]
NO_QUARANTINE = pd.DataFrame(columns=QUARANTINE_COLUMNS)  # shared by every file with none: never changed
STAGE_PREFIX = "ingest_stage_"  # temporary tables: one per table, one for the quarantine


def _raw_records(parsed_file: ParsedFile, lines: set[int]) -> dict[int, str]:
    """The quarantined rows verbatim as JSON text, personal columns blanked."""
    records = {}
    for line, values in parsed_file.rows:
        if line in lines:
            row = {name: ("" if name in PERSONAL_COLUMNS else value) for name, value in zip(parsed_file.header, values)}
            records[line] = json.dumps(row, ensure_ascii=False)
    return records


def _framed(table: str, items: list[tuple[ParsedFile, SubmissionContext]]) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of every file, one after another, as the contract validates them: spec columns
    as trimmed text (empty as null), each row with its own file's context (`ctx_file` is the
    file's position in `items`); and each row's line number. Indexed 0..n-1."""
    columns = [column.name for column in RETURN_TABLES[table].file_columns]
    data: dict[str, list] = {column: [] for column in columns}
    context: dict[str, list] = {}
    files, lines = [], []
    for position, (parsed_file, file_context) in enumerate(items):
        rows = parsed_file.rows
        places = {name: i for i, name in enumerate(parsed_file.header)}
        # The file's values column by column (every record has as many fields as the header).
        by_column = list(zip(*(values for _, values in rows))) if rows else []
        for column in columns:
            if column in places and rows:
                data[column].extend([value.strip() or None for value in by_column[places[column]]])
            else:
                data[column].extend([None] * len(rows))
        for name, value in context_values(file_context).items():
            context.setdefault(name, []).extend([value] * len(rows))
        files.extend([position] * len(rows))
        lines.extend(line for line, _ in rows)
    columns_of_frame = {name: _objects(values) for name, values in data.items()}
    columns_of_frame["ctx_file"] = np.asarray(files, dtype=np.int64)
    columns_of_frame.update((name, _objects(values)) for name, values in context.items())
    return pd.DataFrame(columns_of_frame, copy=False), np.asarray(lines, dtype=np.int64)


def _objects(values: list) -> np.ndarray:
    """A list of texts and Nones as an object array (pandas converts a list far more slowly)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _raw_rows(table: str, loaded: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """Loaded rows as raw.<table> keeps them: pseudonymised, a retraction's other values blanked."""
    deleted = loaded["deleted"].eq("Y")
    if table == "assessments":
        loaded = pseudonymise_assessments(loaded, key)
    columns = raw_columns(table)
    # A retraction carries only its key and pbr_id: its other values are not validated, so not kept.
    content = [c for c in loaded.columns if c in columns and c not in ("deleted", "line_number")]
    keep = {RETURN_TABLES[table].key, "pbr_id"}
    for column in content:
        if column not in keep:
            loaded.loc[deleted, column] = None
    return loaded.assign(deleted=deleted)


@dataclass
class TableBatch:
    """One table's files of a batch of submissions, validated together."""

    results: dict[int, FileResult] = field(default_factory=dict)  # submission -> its file's result
    loaded: list[pd.DataFrame] = field(default_factory=list)  # raw-ready rows: _sub, line_number, ...
    errors: dict[int, Exception] = field(default_factory=dict)  # submission -> what stopped its file


def validate_table(table: str, items: list[tuple[int, ParsedFile, SubmissionContext]], key: bytes) -> TableBatch:
    """Validate the files of `table` of many submissions (`(submission, file, context)`) in one
    contract call, and map every failure back to its submission, file and line."""
    frame, lines = _framed(table, [(parsed_file, context) for _, parsed_file, context in items])
    failures = contract_failures(table, frame) if len(frame) else pd.DataFrame(columns=["row", "column_name", "reason"])
    rows = failures["row"].to_numpy(dtype=np.int64)
    failures = failures.assign(
        _file=frame["ctx_file"].to_numpy()[rows],
        line_number=lines[rows],
    ).sort_values(["_file", "line_number", "column_name", "reason"], kind="stable")
    bad = np.zeros(len(frame), dtype=bool)
    bad[rows] = True
    batch = TableBatch()
    by_file = dict(iter(failures.groupby("_file", sort=False))) if len(failures) else {}
    for position, (submission, parsed_file, _) in enumerate(items):
        quarantine, bad_lines = by_file.get(position), set()
        if quarantine is None:
            quarantine = NO_QUARANTINE
        else:
            quarantine = quarantine[["line_number", "column_name", "reason"]].reset_index(drop=True)
            bad_lines = set(quarantine["line_number"].tolist())
            raw = _raw_records(parsed_file, bad_lines)
            quarantine = quarantine.assign(raw_record=quarantine["line_number"].map(raw))
        batch.results[submission] = FileResult(
            parsed_file, len(parsed_file.rows) - len(bad_lines), len(bad_lines), quarantine
        )
    submissions = np.asarray([submission for submission, _, _ in items], dtype=np.int64)
    keep = ~bad
    loaded = frame.loc[keep, [column.name for column in RETURN_TABLES[table].file_columns]].reset_index(drop=True)
    loaded.insert(0, "line_number", lines[keep])
    loaded.insert(0, "_sub", submissions[frame["ctx_file"].to_numpy()[keep]])
    batch.loaded.append(_raw_rows(table, loaded, key))
    return batch


def validate_table_or_each(
    table: str, items: list[tuple[int, ParsedFile, SubmissionContext]], key: bytes
) -> TableBatch:
    """`validate_table` on all the files at once; should that raise, on each file alone, so that
    one submission that cannot be checked cannot sink the others (its error is kept for it)."""
    try:
        return validate_table(table, items, key)
    except Exception as error:  # noqa: BLE001 - each file alone tells whose error it is
        if len(items) == 1:
            return TableBatch(errors={items[0][0]: error})
    batch = TableBatch()
    for item in items:
        try:
            alone = validate_table(table, [item], key)
        except Exception as error:  # noqa: BLE001 - no single submission stops the run (run.py)
            batch.errors[item[0]] = error
            continue
        batch.results.update(alone.results)
        batch.loaded.extend(alone.loaded)
    return batch


@dataclass
class ValidatedBatch:
    """The row validation of a batch of submissions: per submission, each file's result (in the
    submission's file order) or the internal error that stopped the first file it stopped; the
    rows to load staged in temporary tables."""

    files: dict[int, list[FileResult]]
    errors: dict[int, Exception]
    staged: dict[str, str]  # table (or "quarantine") -> its temporary table

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        for name in self.staged.values():
            con.execute(f"DROP TABLE IF EXISTS temp.{name}")
        self.staged = {}


def validate_batch(
    con: duckdb.DuckDBPyConnection,
    submissions: list[tuple[int, ParsedSubmission]],
    areas: Areas,
    key: bytes,
) -> ValidatedBatch:
    """Validate every file of the submissions (`(index, parsed)`), one contract call per table,
    and stage the rows each will load; the submissions are applied one by one afterwards."""
    by_table: dict[str, list[tuple[int, ParsedFile, SubmissionContext]]] = {}
    for index, parsed in submissions:
        context = submission_context(areas, parsed.manifest.submitter, parsed.manifest.window)
        for parsed_file in parsed.files:
            by_table.setdefault(parsed_file.table, []).append((index, parsed_file, context))
    tables = {table: validate_table_or_each(table, items, key) for table, items in by_table.items()}
    files: dict[int, list[FileResult]] = {}
    errors: dict[int, Exception] = {}
    for index, parsed in submissions:
        results = []
        for parsed_file in parsed.files:  # the first file (in name order) that failed is the one named
            table = tables[parsed_file.table]
            if index in table.errors:
                errors[index] = table.errors[index]
                break
            results.append(table.results[index])
        else:
            files[index] = results
    validated = ValidatedBatch(files, errors, {})
    try:
        for table, batch in tables.items():
            _stage(con, validated, table, pd.concat(batch.loaded, ignore_index=True) if batch.loaded else None)
        quarantine = [
            result.quarantine.assign(_sub=index, file=result.file.name)
            for index, results in files.items()
            for result in results
            if result.rows_quarantined
        ]
        if quarantine:
            _stage(con, validated, "quarantine", pd.concat(quarantine, ignore_index=True))
    except BaseException:
        validated.drop(con)
        raise
    return validated


def _stage(con: duckdb.DuckDBPyConnection, validated: ValidatedBatch, table: str, rows: pd.DataFrame | None) -> None:
    """Rows as a temporary table: text as text, `_row` their order (submission, file, line)."""
    if rows is None or rows.empty:
        return
    name = f"{STAGE_PREFIX}{table}"
    rows = rows.assign(_row=np.arange(len(rows)))
    text = [c for c in rows.columns if c not in ("_sub", "_row", "line_number", "deleted")]
    select = ", ".join(
        ['"_sub"', '"_row"', '"line_number"']
        + [f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in text]
        + (['"deleted"'] if "deleted" in rows.columns else [])
    )
    con.register("ingest_incoming", rows)
    try:
        validated.staged[table] = name
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {select} FROM ingest_incoming")
    finally:
        con.unregister("ingest_incoming")


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


def _insert_raw(con, table: str, validated: ValidatedBatch) -> None:
    """Copy the staged rows of a table of every applied submission (`write_rows`) into
    raw.<table>, typed, with their lineage, in load order."""
    select = []
    for column, kind in raw_columns(table).items():
        source = "a" if column in APPLIED_LINEAGE else "s"
        select.append(f'CAST({source}."{column}" AS {kind}) AS "{column}"')
    names = ", ".join(f'"{c}"' for c in raw_columns(table))
    con.execute(
        f"""INSERT INTO raw.{table} ({names}) SELECT {", ".join(select)}
            FROM temp.{validated.staged[table]} s JOIN ingest_applied a ON a._sub = s._sub AND a.table_name = ?
            ORDER BY s._row""",
        [table],
    )


# The lineage of a raw row that comes from its submission and file (`applied_files`).
APPLIED_LINEAGE = ("submission_id", "submitter", "area", "window", "seq", "file", "loaded_at")


def applied_files(
    candidate: Candidate,
    parsed: ParsedSubmission,
    fingerprint: str,
    area: str | None,
    received_at: dt.datetime,
    results: list[FileResult],
    index: int,
) -> list[dict]:
    """One row per file of an applied submission: its lineage and counts (`write_rows`)."""
    manifest = parsed.manifest
    return [
        {
            "_sub": index,
            "_file_pos": position,
            "table_name": result.file.table,
            "submission_id": candidate.submission_id,
            "fingerprint": fingerprint,
            "submitter": manifest.submitter,
            "area": area,
            "window": manifest.window,
            "seq": manifest.seq,
            "file": result.file.name,
            "loaded_at": received_at,
            "rows_in": len(result.file.rows),
            "rows_loaded": result.rows_loaded,
            "rows_quarantined": result.rows_quarantined,
        }
        for position, result in enumerate(results)
    ]


def write_rows(con: duckdb.DuckDBPyConnection, validated: ValidatedBatch, files: list[dict]) -> None:
    """Write the records, quarantine and file counts of applied submissions' files
    (`applied_files`), in load order, within the caller's transaction."""
    if not files:
        return
    applied = pd.DataFrame(files)
    con.register("ingest_applied", applied)
    try:
        loading = applied[applied["rows_loaded"] > 0]
        for table in dict.fromkeys(loading["table_name"]):
            _insert_raw(con, table, validated)
        if applied["rows_quarantined"].gt(0).any():
            con.execute(
                f"""INSERT INTO quality.quarantine
                    SELECT a.submission_id, a."window", q.file, q.line_number, q.column_name, q.reason,
                           q.raw_record, a.fingerprint
                    FROM temp.{validated.staged["quarantine"]} q
                    JOIN ingest_applied a ON a._sub = q._sub AND a.file = q.file
                    ORDER BY q._row"""
            )
        con.execute(
            """INSERT INTO quality.submission_files
               SELECT submission_id, fingerprint, file, table_name, rows_in, rows_loaded, rows_quarantined
               FROM ingest_applied ORDER BY _sub, _file_pos"""
        )
    finally:
        con.unregister("ingest_applied")


def apply_submission(
    con: duckdb.DuckDBPyConnection,
    candidate: Candidate,
    parsed: ParsedSubmission,
    outcome: Outcome,
    fingerprint: str,
    areas: Areas,
    key: bytes,
    received_at: dt.datetime,
    validated: ValidatedBatch,
    index: int,
    pending: list[dict] | None = None,
) -> Outcome:
    """Write a validated submission's records, quarantine and bookkeeping in one transaction.

    With `pending`, the transaction is the caller's (it rolls back should this raise): the
    bookkeeping is written now, the files are added to `pending` for the caller's `write_rows`
    before it commits (nothing checked before then reads them)."""
    manifest = parsed.manifest
    results = validated.files[index]
    outcome.rows_in = parsed.rows_in
    outcome.rows_quarantined = sum(r.rows_quarantined for r in results)
    outcome.rows_loaded = outcome.rows_in - outcome.rows_quarantined
    outcome.detail = "; ".join(parsed.warnings) or None
    outcome.pseudonym_key_id = key_id(key)
    area = submission_context(areas, manifest.submitter, manifest.window).area
    files = applied_files(candidate, parsed, fingerprint, area, received_at, results, index)
    if pending is None:
        con.begin()
    try:
        if pending is None:
            write_rows(con, validated, files)
        con.execute(
            """UPDATE quality.submissions SET status = ?
               WHERE submitter = ? AND "window" = ? AND status = ? AND seq < ?""",
            [SubmissionStatus.SUPERSEDED, manifest.submitter, manifest.window, SubmissionStatus.LOADED, manifest.seq],
        )
        record_outcome(con, outcome, candidate.source, fingerprint, received_at)
        if pending is None:
            con.commit()
        else:
            pending.extend(files)
    except BaseException:
        if pending is None:
            con.rollback()
        raise
    return outcome


def record_outcome(con, outcome: Outcome, source: str, fingerprint: str, received_at: dt.datetime) -> None:
    con.execute(
        "INSERT INTO quality.submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            outcome.submission_id,
            outcome.submitter,
            outcome.area,
            outcome.window,
            outcome.seq,
            outcome.status,
            outcome.reason,
            outcome.detail,
            outcome.rows_in,
            outcome.rows_loaded,
            outcome.rows_quarantined,
            received_at,
            source,
            fingerprint,
            outcome.pseudonym_key_id,
        ],
    )
