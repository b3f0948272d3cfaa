"""Submissions as they land: folders or zips, manifests, and the ways they can go wrong.

An Artefact is one thing in a window folder: a submission folder, or a .zip of one. Builders
here take the correct content of a submission and return it as sent, either cleanly or with
one rejection defect that is the *first* applicable code of spec/returns.md (so a checksum
defect has a valid manifest, name, submitter, tables and files).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field

import numpy as np

from pbr_pipeline.generate.dates import date_of, window_last_day, window_name
from pbr_pipeline.generate.formatting import FileContent, csv_bytes
from pbr_pipeline.generate.submissions import folder_name
from pbr_pipeline.generate.tables import columns

SPEC_VERSION = "1"
# A required column whose absence MISSING_COLUMN reports (never the key, which TABLE rules need).
DROPPED_COLUMN = {
    "assessments": "assessment_date",
    "episodes": "triage_date",
    "top": "stage",
    "interventions": "intervention_date",
    "offences": "offence_date",
    "employment": "start_date",
}


@dataclass
class Submission:
    submitter: str
    window: int
    seq: int
    created_at: str
    files: dict[str, FileContent]  # file name -> content

    @property
    def name(self) -> str:
        return folder_name(self.submitter, window_name(self.window), self.seq)


@dataclass
class Artefact:
    submission_id: str
    window: str
    zipped: bool
    members: dict[str, bytes]  # file name -> bytes, manifest.json included when sent
    raw_zip: bytes | None = None  # a damaged zip, written as it is
    rows: dict[str, int] = field(default_factory=dict)  # table -> data rows in the files
    defects: list[dict] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"{self.window}/{self.submission_id}{'.zip' if self.zipped else ''}"


def created_at(window: int, submitter_index: int, seq: int, later_days: int = 0) -> str:
    """A few days after the window ends, at a time of day that differs by submitter."""
    day = date_of(window_last_day(window) + 3 + (seq - 1) + later_days)
    minutes = 8 * 60 + (submitter_index * 37) % (9 * 60)
    return f"{day.isoformat()}T{minutes // 60:02d}:{minutes % 60:02d}:00Z"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _data_rows(data: bytes) -> int:
    return max(data.count(b"\n") - 1, 0)


def manifest(submission: Submission, files: dict[str, bytes], rows: dict[str, int] | None = None) -> dict:
    rows = rows or {}
    return {
        "spec_version": SPEC_VERSION,
        "submitter": submission.submitter,
        "window": window_name(submission.window),
        "seq": submission.seq,
        "created_at": submission.created_at,
        "files": {
            name: {"rows": rows.get(name, _data_rows(data)), "sha256": sha256(data)}
            for name, data in sorted(files.items())
        },
    }


def manifest_bytes(document: dict) -> bytes:
    return json.dumps(document, indent=2).encode("utf-8")


def _file_bytes(submission: Submission) -> dict[str, bytes]:
    return {name: content.to_bytes() for name, content in sorted(submission.files.items())}


def _row_counts(submission: Submission) -> dict[str, int]:
    return {content.table: len(content.rows) for content in submission.files.values()}


def clean(submission: Submission, zipped: bool = False) -> Artefact:
    files = _file_bytes(submission)
    members = {"manifest.json": manifest_bytes(manifest(submission, files)), **files}
    return Artefact(submission.name, window_name(submission.window), zipped, members, rows=_row_counts(submission))


def zip_bytes(members: dict[str, bytes], stamp: str) -> bytes:
    """A zip that is the same bytes every time: fixed member order, times and attributes."""
    when = (int(stamp[0:4]), int(stamp[5:7]), int(stamp[8:10]), int(stamp[11:13]), int(stamp[14:16]), 0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(members, key=lambda n: (n != "manifest.json", n)):
            info = zipfile.ZipInfo(name, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, members[name])
    return buffer.getvalue()


def partial(submission: Submission, rng: np.random.Generator, later_days: int = 0, seq: int | None = None) -> Submission:
    """An earlier, incomplete extract of the same content: a tenth of its rows missing."""
    files: dict[str, FileContent] = {}
    dropped = 0
    for name, content in sorted(submission.files.items()):
        keep = rng.random(len(content.rows)) >= 0.1
        dropped += int((~keep).sum())
        files[name] = FileContent(
            content.table, content.header,
            [r for r, k in zip(content.rows, keep) if k], [u for u, k in zip(content.uids, keep) if k],
        )
    if not dropped:  # it must differ from the complete one: drop the largest file's last row
        largest = max(files.values(), key=lambda c: len(c.rows))
        largest.rows, largest.uids = largest.rows[:-1], largest.uids[:-1]
    files = {name: content for name, content in files.items() if content.rows}
    if not files:  # and it must still hold something
        name, content = min(submission.files.items())
        files = {name: FileContent(content.table, content.header, content.rows[:1], content.uids[:1])}
    return Submission(
        submission.submitter, submission.window, seq or submission.seq,
        created_at_shift(submission.created_at, later_days), files,
    )


def created_at_shift(stamp: str, days: int) -> str:
    day = dt.date.fromisoformat(stamp[:10]) + dt.timedelta(days=days)
    return day.isoformat() + stamp[10:]


def resent(submission: Submission, seq: int, submitter_index: int) -> Submission:
    return Submission(
        submission.submitter, submission.window, seq, created_at(submission.window, submitter_index, seq),
        submission.files,
    )


# --- rejection defects ---------------------------------------------------------------------


def _entry(artefact: Artefact, code: str, file: str | None = None, column: str | None = None) -> dict:
    return {
        "submission_id": artefact.submission_id,
        "window": artefact.window,
        "file": file,
        "line": None,
        "column": column,
        "code": code,
        "level": "submission",
        "path": artefact.path,
    }


def rejected(submission: Submission, code: str, variant: str | None, rng, unknown_code: str) -> Artefact:
    """The submission as sent with one defect that makes `code` the first applicable one."""
    files = _file_bytes(submission)
    document = manifest(submission, files)
    artefact = Artefact(submission.name, window_name(submission.window), False, {}, rows=_row_counts(submission))
    file, column = None, None
    first = next(iter(files))
    if code == "MANIFEST_MISSING":
        if variant == "invalid_json":
            text = manifest_bytes(document)
            files["manifest.json"] = text[: len(text) // 2]
        elif variant == "key_missing":
            del document["files"]
            files["manifest.json"] = manifest_bytes(document)
        artefact.members = files
        artefact.defects.append(_entry(artefact, code))
        return artefact
    if code == "NAME_MISMATCH":
        # The manifest copied from last month's return: its window disagrees with the name.
        document["window"] = window_name(submission.window - 1)
    elif code == "UNKNOWN_SUBMITTER":
        renamed = Submission(unknown_code, submission.window, submission.seq, submission.created_at, submission.files)
        document = manifest(renamed, files)
        artefact.submission_id = renamed.name
    elif code == "TABLE_NOT_ALLOWED":
        file = "employment.csv"
        files[file] = _foreign_employment(submission)
        document = manifest(submission, files)
        artefact.rows["employment"] = _data_rows(files[file])
    elif code == "FILE_MISSING":
        file = max(files)
        del files[file]
    elif code == "CHECKSUM_MISMATCH":
        # Edited after the manifest was made: the manifest holds the checksum of the old text.
        file = first
        document["files"][file]["sha256"] = sha256(files[file].rsplit(b"\n", 2)[0] + b"\n")
    elif code == "ENCODING" and variant == "latin1":
        file = first
        header, row, rest = files[file].split(b"\n", 2)
        field_end = row.index(b",")
        files[file] = b"\n".join([header, row[:field_end] + "é".encode("latin-1") + row[field_end:], rest])
        document = manifest(submission, files)
    elif code == "ENCODING":
        artefact.zipped = True
        whole = zip_bytes({"manifest.json": manifest_bytes(document), **files}, submission.created_at)
        artefact.raw_zip = whole[: len(whole) // 2]  # a transfer cut short: no central directory
    elif code == "ROWCOUNT_MISMATCH":
        file = max(files, key=lambda n: (_data_rows(files[n]), n))
        files[file] = files[file].rsplit(b"\n", 2)[0] + b"\n"  # the last row lost in transfer
        document = manifest(submission, files, rows={file: document["files"][file]["rows"]})
    elif code == "MISSING_COLUMN":
        file = first
        content = submission.files[file]
        column = DROPPED_COLUMN[content.table]
        files[file] = _without_column(content, column)
        document = manifest(submission, files)
    else:
        raise ValueError(f"not a rejection this generator makes: {code}")
    artefact.members = {"manifest.json": manifest_bytes(document), **files}
    artefact.defects.append(_entry(artefact, code, file, column))
    return artefact


def stale_zip(submission: Submission, rng) -> Artefact:
    """A .zip with the folder's name but older content: it lands after the folder is loaded."""
    older = partial(submission, rng, later_days=1)
    artefact = clean(older, zipped=True)
    artefact.defects.append(_entry(artefact, "STALE_SEQ"))
    return artefact


def _foreign_employment(submission: Submission) -> bytes:
    """A table the submitter's role may not send: employment support rows of its own users."""
    pbr_ids = sorted({row[1] for content in submission.files.values() for row in content.rows if row[1]})[:3]
    start = date_of(window_last_day(submission.window)).replace(day=1).isoformat()
    header = tuple(c.name for c in columns("employment"))
    return csv_bytes(header, [(f"X{i + 1:08d}", pbr_id, start, "", "") for i, pbr_id in enumerate(pbr_ids)])


def _without_column(content: FileContent, column: str) -> bytes:
    keep = [i for i, name in enumerate(content.header) if name != column]
    return csv_bytes([content.header[i] for i in keep], [tuple(row[i] for i in keep) for row in content.rows])
