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

from pbr_pipeline.generate.dates import date_of, window_last_day
from pbr_pipeline.generate.formatting import FileContent, csv_bytes
from pbr_pipeline.generate.submissions import folder_name
from pbr_pipeline.generate.tables import columns, key_column
from pbr_pipeline.windows import window_name

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
    created_at: str = ""  # also the time stamp of a zip's members
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
    return Artefact(
        submission.name,
        window_name(submission.window),
        zipped,
        members,
        submission.created_at,
        rows=_row_counts(submission),
    )


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


def partial(
    submission: Submission, rng: np.random.Generator, later_days: int = 0, seq: int | None = None
) -> Submission:
    """An earlier, incomplete extract of the same content: a tenth of its rows missing."""
    files: dict[str, FileContent] = {}
    dropped = 0
    for name, content in sorted(submission.files.items()):
        keep = rng.random(len(content.rows)) >= 0.1
        dropped += int((~keep).sum())
        files[name] = FileContent(
            content.table,
            content.header,
            [r for r, k in zip(content.rows, keep) if k],
            [u for u, k in zip(content.uids, keep) if k],
        )
    if not dropped:  # it must differ from the complete one: drop the largest file's last row
        largest = max(files.values(), key=lambda c: len(c.rows))
        largest.rows, largest.uids = largest.rows[:-1], largest.uids[:-1]
    files = {name: content for name, content in files.items() if content.rows}
    if not files:  # and it must still hold something
        name, content = min(submission.files.items())
        files = {name: FileContent(content.table, content.header, content.rows[:1], content.uids[:1])}
    return Submission(
        submission.submitter,
        submission.window,
        seq or submission.seq,
        created_at_shift(submission.created_at, later_days),
        files,
    )


def created_at_shift(stamp: str, days: int) -> str:
    day = dt.date.fromisoformat(stamp[:10]) + dt.timedelta(days=days)
    return day.isoformat() + stamp[10:]


def resent(submission: Submission, seq: int, submitter_index: int) -> Submission:
    return Submission(
        submission.submitter,
        submission.window,
        seq,
        created_at(submission.window, submitter_index, seq),
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


@dataclass
class _Damage:
    """A submission being spoilt: its files and manifest as they will be sent."""

    submission: Submission
    files: dict[str, bytes]
    document: dict
    artefact: Artefact
    file: str | None = None
    column: str | None = None
    send_manifest: bool = True
    manifest_text: bytes | None = None

    @property
    def first_file(self) -> str:
        return next(iter(self.files))

    def relist(self, rows: dict[str, int] | None = None) -> None:
        """A manifest made after the damage: it agrees with the files as they are."""
        self.document = manifest(self.submission, self.files, rows)


def rejected(submission: Submission, code: str, variant: str | None, unknown_code: str = "") -> Artefact:
    """The submission as sent with one defect that makes `code` the first applicable one."""
    files = _file_bytes(submission)
    damage = _Damage(
        submission,
        files,
        manifest(submission, files),
        Artefact(
            submission.name,
            window_name(submission.window),
            False,
            {},
            submission.created_at,
            rows=_row_counts(submission),
        ),
    )
    _DAMAGES[code](damage, variant, unknown_code)
    artefact = damage.artefact
    if damage.send_manifest:
        text = damage.manifest_text if damage.manifest_text is not None else manifest_bytes(damage.document)
        artefact.members = {"manifest.json": text, **damage.files}
    else:
        artefact.members = damage.files
    artefact.defects.append(_entry(artefact, code, damage.file, damage.column))
    return artefact


def _manifest_missing(damage: _Damage, variant, _) -> None:
    if variant == "invalid_json":
        text = manifest_bytes(damage.document)
        damage.manifest_text = text[: len(text) // 2]  # cut off mid-transfer
    elif variant == "key_missing":
        del damage.document["files"]
    else:
        damage.send_manifest = False


def _name_mismatch(damage: _Damage, variant, _) -> None:
    # The manifest copied from last month's return: its window disagrees with the folder name.
    damage.document["window"] = window_name(damage.submission.window - 1)


def _unknown_submitter(damage: _Damage, variant, unknown_code: str) -> None:
    # Sent under a code that no area configuration declares (a new system, not yet registered).
    original = damage.submission
    renamed = Submission(unknown_code, original.window, original.seq, original.created_at, original.files)
    damage.submission = renamed
    damage.relist()
    damage.artefact.submission_id = renamed.name


def _table_not_allowed(damage: _Damage, variant, _) -> None:
    damage.file = "employment.csv"
    damage.files[damage.file] = _foreign_employment(damage.submission)
    damage.artefact.rows["employment"] = _data_rows(damage.files[damage.file])
    damage.relist()


def _file_missing(damage: _Damage, variant, _) -> None:
    damage.file = max(damage.files)
    del damage.files[damage.file]  # still listed in the manifest


def _checksum_mismatch(damage: _Damage, variant, _) -> None:
    # Edited after the manifest was made: the manifest holds the checksum of the old text.
    damage.file = damage.first_file
    older = damage.files[damage.file].rsplit(b"\n", 2)[0] + b"\n"
    damage.document["files"][damage.file]["sha256"] = sha256(older)


def _encoding(damage: _Damage, variant, _) -> None:
    if variant == "corrupt_zip":
        whole = zip_bytes(
            {"manifest.json": manifest_bytes(damage.document), **damage.files}, damage.submission.created_at
        )
        damage.artefact.zipped = True
        damage.artefact.raw_zip = whole[: len(whole) // 2]  # a transfer cut short: no central directory
        return
    # A latin-1 byte in the first data row; the manifest's checksum is of the bytes as sent.
    damage.file = damage.first_file
    header, row, rest = damage.files[damage.file].split(b"\n", 2)
    field_end = row.index(b",")
    damaged_row = row[:field_end] + "é".encode("latin-1") + row[field_end:]
    damage.files[damage.file] = b"\n".join([header, damaged_row, rest])
    damage.relist()


def _rowcount_mismatch(damage: _Damage, variant, _) -> None:
    # The last row lost in transfer; the manifest still counts it.
    files = damage.files
    damage.file = max(files, key=lambda name: (_data_rows(files[name]), name))
    promised = damage.document["files"][damage.file]["rows"]
    files[damage.file] = files[damage.file].rsplit(b"\n", 2)[0] + b"\n"
    damage.relist(rows={damage.file: promised})


def _missing_column(damage: _Damage, variant, _) -> None:
    damage.file = damage.first_file
    content = damage.submission.files[damage.file]
    damage.column = DROPPED_COLUMN[content.table]
    damage.files[damage.file] = _without_column(content, damage.column)
    damage.relist()


_DAMAGES = {
    "MANIFEST_MISSING": _manifest_missing,
    "NAME_MISMATCH": _name_mismatch,
    "UNKNOWN_SUBMITTER": _unknown_submitter,
    "TABLE_NOT_ALLOWED": _table_not_allowed,
    "FILE_MISSING": _file_missing,
    "CHECKSUM_MISMATCH": _checksum_mismatch,
    "ENCODING": _encoding,
    "ROWCOUNT_MISMATCH": _rowcount_mismatch,
    "MISSING_COLUMN": _missing_column,
}


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
    rows = [
        {key_column("employment"): f"X{i + 1:08d}", "pbr_id": pbr_id, "start_date": start}
        for i, pbr_id in enumerate(pbr_ids)
    ]
    return csv_bytes(header, [tuple(row.get(name, "") for name in header) for row in rows])


def _without_column(content: FileContent, column: str) -> bytes:
    keep = [i for i, name in enumerate(content.header) if name != column]
    return csv_bytes([content.header[i] for i in keep], [tuple(row[i] for i in keep) for row in content.rows])
