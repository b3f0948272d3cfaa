"""Submission-level checks (spec/returns.md, "Submission-level rejection"), in the spec's order.

`check_submission` returns the parsed files of a submission that passes every file-level check,
or the first rejection that applies. The checks that need the warehouse (DUPLICATE, STALE_SEQ,
WINDOW_CLOSED) come after, in `load.py`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field

from data_contracts import required_columns
from data_contracts.tables import RETURN_TABLES, ROLE_TABLES
from pbr_pipeline.config import Areas
from pbr_pipeline.ingest.discovery import MANIFEST, Candidate

MANIFEST_KEYS = ("spec_version", "submitter", "window", "seq", "created_at", "files")
UTF8_BOM = b"\xef\xbb\xbf"


class Rejection(Exception):
    def __init__(self, code: str, detail: str):
        self.code, self.detail = code, detail
        super().__init__(f"{code}: {detail}")


@dataclass(frozen=True)
class Manifest:
    submitter: str
    window: str
    seq: int
    files: dict[str, dict]


@dataclass
class ParsedFile:
    name: str
    table: str
    header: list[str]  # as written, trimmed
    rows: list[tuple[int, list[str]]]  # (line number of the record's first line, raw values)
    unknown_columns: list[str] = field(default_factory=list)


@dataclass
class ParsedSubmission:
    manifest: Manifest
    role: str
    files: list[ParsedFile]
    checksums: dict[str, str]

    @property
    def rows_in(self) -> int:
        return sum(len(f.rows) for f in self.files)

    @property
    def warnings(self) -> list[str]:
        return [
            f"{f.name}: columns not in the spec ignored: {', '.join(f.unknown_columns)}"
            for f in self.files
            if f.unknown_columns
        ]


def content_fingerprint(files: dict[str, bytes]) -> str:
    """One hash for a submission's content, equal for a folder and a zip of the same files."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{hashlib.sha256(files[name]).hexdigest()}\n".encode())
    return digest.hexdigest()


def read_manifest(files: dict[str, bytes]) -> Manifest:
    if MANIFEST not in files:
        raise Rejection("MANIFEST_MISSING", "no manifest.json")
    try:
        data = json.loads(files[MANIFEST].decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Rejection("MANIFEST_MISSING", f"manifest.json is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise Rejection("MANIFEST_MISSING", "manifest.json is not a JSON object")
    missing = [key for key in MANIFEST_KEYS if key not in data]
    if missing:
        raise Rejection("MANIFEST_MISSING", f"manifest.json lacks {', '.join(missing)}")
    seq, entries = data["seq"], data["files"]
    if not _whole_number(seq):
        raise Rejection("MANIFEST_MISSING", f"manifest seq is not a whole number: {seq!r}")
    if not isinstance(entries, dict) or not all(
        isinstance(e, dict) and _whole_number(e.get("rows")) and isinstance(e.get("sha256"), str)
        for e in entries.values()
    ):
        raise Rejection("MANIFEST_MISSING", "manifest files must map each file to {rows, sha256}")
    return Manifest(str(data["submitter"]), str(data["window"]), seq, entries)


def _whole_number(value) -> bool:
    """JSON's true is a Python int; a row count of `true` is not a number."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_name(candidate: Candidate, manifest: Manifest) -> None:
    name = candidate.name
    claimed = f"{manifest.submitter}_{manifest.window}_{manifest.seq:02d}"
    if name is None or (name.submitter, name.window, name.seq) != (manifest.submitter, manifest.window, manifest.seq):
        raise Rejection("NAME_MISMATCH", f"named {candidate.path.name}, manifest says {claimed}")


def check_tables(role: str, files: dict[str, bytes], manifest: Manifest) -> None:
    allowed = {f"{table}.csv" for table in ROLE_TABLES[role]}
    for name in sorted(set(files) - {MANIFEST} | set(manifest.files)):
        if name not in allowed:
            raise Rejection("TABLE_NOT_ALLOWED", f"{name}: a {role} may send only {', '.join(sorted(allowed))}")
        if name not in manifest.files:
            raise Rejection("TABLE_NOT_ALLOWED", f"{name} is not listed in the manifest")


def parse_csv(name: str, content: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and data records (with the line each starts on); ENCODING if it cannot be read."""
    try:
        text = content.removeprefix(UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError as error:
        raise Rejection("ENCODING", f"{name}: not valid UTF-8 at byte {error.start}") from error
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    try:
        start = 1
        for record in reader:
            if record:  # a blank line is not a record
                records.append((start, record))
            start = reader.line_num + 1
    except csv.Error as error:
        raise Rejection("ENCODING", f"{name}: not parseable as CSV at line {reader.line_num}: {error}") from error
    if not records:
        raise Rejection("ENCODING", f"{name}: no header row")
    (_, header), rows = records[0], records[1:]
    normalised = [column.strip().lower() for column in header]
    if len(set(normalised)) != len(normalised):
        raise Rejection("ENCODING", f"{name}: a column appears twice in the header")
    for line, values in rows:
        if len(values) != len(header):
            raise Rejection("ENCODING", f"{name}: line {line} has {len(values)} fields, the header {len(header)}")
    return [column.strip() for column in header], rows


def check_submission(candidate: Candidate, files: dict[str, bytes], areas: Areas) -> ParsedSubmission:
    """Apply MANIFEST_MISSING … MISSING_COLUMN in the spec's order to the submission's files
    (as `Candidate.read_files` gives them); raise the first Rejection."""
    manifest = read_manifest(files)
    check_name(candidate, manifest)
    role = areas.roles.get(manifest.submitter)
    if role is None:
        raise Rejection("UNKNOWN_SUBMITTER", f"{manifest.submitter} is not declared in any area configuration")
    check_tables(role, files, manifest)
    listed = sorted(manifest.files)
    for name in listed:
        if name not in files:
            raise Rejection("FILE_MISSING", f"{name} is listed in the manifest but absent")
    checksums = {name: hashlib.sha256(files[name]).hexdigest() for name in listed}
    for name in listed:
        if checksums[name] != manifest.files[name]["sha256"].lower():
            raise Rejection("CHECKSUM_MISMATCH", f"{name}: sha256 {checksums[name]} differs from the manifest")
    parsed = {name: parse_csv(name, files[name]) for name in listed}
    for name in listed:
        rows = len(parsed[name][1])
        if rows != manifest.files[name]["rows"]:
            raise Rejection(
                "ROWCOUNT_MISMATCH", f"{name}: {rows} data rows, the manifest says {manifest.files[name]['rows']}"
            )
    parsed_files = []
    for name in listed:
        table = name.removesuffix(".csv")
        header, rows = parsed[name]
        normalised = [column.lower() for column in header]
        absent = [column for column in required_columns(table) if column not in normalised]
        if absent:
            raise Rejection("MISSING_COLUMN", f"{name}: required column(s) {', '.join(absent)} absent")
        known = {column.name for column in RETURN_TABLES[table].file_columns}
        unknown = [column for column in header if column.lower() not in known]
        parsed_files.append(ParsedFile(name, table, normalised, rows, unknown))
    return ParsedSubmission(manifest, role, parsed_files, checksums)
