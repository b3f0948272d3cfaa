"""Finding submissions below the landing root and reading their files, folder or zip alike.

Everything under the landing root is accounted for: a folder or zip is a submission (or claims
to be one), a folder that is neither is a place to look further, and anything else (a stray
file, a symbolic link) is recorded as rejected with its path, never silently passed over.
Links are not followed: a link could make the pipeline read files outside the landing root.
Files are read with bounded memory: a zip's entries are checked against a size and a
compression-ratio limit before and while they are decompressed (a zip bomb stops at the limit).
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

NAME_PATTERN = re.compile(r"(?P<submitter>[A-Z0-9][A-Z0-9-]*)_(?P<window>\d{4}-(0[1-9]|1[0-2]))_(?P<seq>\d{2})")
# A name of the submission form whose parts are wrong (`OXF-LIFELINE_2012-13_01`): a submission
# whose name disagrees with its manifest, not a folder to look inside.
SUBMISSION_LIKE = re.compile(r"[^_]+_[^_]+_[^_]+")
MANIFEST = "manifest.json"
MIB = 1024 * 1024
READ_CHUNK = 4 * MIB


@dataclass(frozen=True)
class ReadLimits:
    """How much one file of a submission may hold once read, and how far a zip entry may expand."""

    max_file_bytes: int = 512 * MIB
    max_zip_ratio: int = 100  # CSV deflates about 5-20 times; a zip bomb a thousand

    @classmethod
    def from_env(cls, environ=None) -> ReadLimits:
        env = os.environ if environ is None else environ
        return cls(
            max_file_bytes=int(env.get("PBR_MAX_FILE_MIB") or cls.max_file_bytes // MIB) * MIB,
            max_zip_ratio=int(env.get("PBR_MAX_ZIP_RATIO") or cls.max_zip_ratio),
        )


@dataclass(frozen=True)
class SubmissionName:
    submitter: str
    window: str
    seq: int


def parse_submission_name(name: str) -> SubmissionName | None:
    """`OXF-LIFELINE_2012-06_01` (or the same with `.zip`) -> its parts; None if not of that form."""
    match = NAME_PATTERN.fullmatch(name.removesuffix(".zip"))
    if not match or int(match.group("seq")) < 1:
        return None
    return SubmissionName(match.group("submitter"), match.group("window"), int(match.group("seq")))


def printable_name(path: Path) -> str:
    """A file name as text that can be stored and shown, whatever bytes it was made of."""
    return os.fsencode(path.name).decode("utf-8", "backslashreplace")


def landing_source(path: Path, landing_dir: Path) -> str:
    """Where an entry lies below the landing root, as storable text."""
    return os.fsencode(path.relative_to(landing_dir).as_posix()).decode("utf-8", "backslashreplace")


class UnreadableSubmission(Exception):
    """A folder or zip whose files cannot be listed or read (reported as ENCODING)."""


def _read_limited(stream, name: str, limit: int) -> bytes:
    chunks, total = [], 0
    while chunk := stream.read(READ_CHUNK):
        total += len(chunk)
        if total > limit:
            raise UnreadableSubmission(f"{name} holds more than {limit // MIB} MiB")
        chunks.append(chunk)
    return b"".join(chunks)


def _check_zip_entry(info: zipfile.ZipInfo, limits: ReadLimits) -> None:
    if info.file_size > limits.max_file_bytes:
        raise UnreadableSubmission(
            f"{info.filename} would expand to {info.file_size / MIB:.1f} MiB, "
            f"over the limit of {limits.max_file_bytes // MIB} MiB"
        )
    if info.file_size > MIB and info.file_size > limits.max_zip_ratio * max(info.compress_size, 1):
        raise UnreadableSubmission(
            f"{info.filename} would expand {info.file_size // max(info.compress_size, 1)} times, "
            f"over the ratio limit of {limits.max_zip_ratio}"
        )


def read_zip(path: Path, limits: ReadLimits) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        entries = [info for info in archive.infolist() if not info.is_dir()]
        names = [info.filename for info in entries]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise UnreadableSubmission(f"the zip holds two entries named {twice[0]}")
        for info in entries:
            _check_zip_entry(info, limits)
        files = {}
        for info in entries:
            with archive.open(info) as stream:
                # The declared size can lie: stop at it, whatever the data says.
                files[info.filename] = _read_limited(stream, info.filename, min(info.file_size, limits.max_file_bytes))
        return files


def read_folder(path: Path, limits: ReadLimits) -> dict[str, bytes]:
    files = {}
    with os.scandir(path) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            name = printable_name(Path(entry.path))
            if entry.is_symlink():
                raise UnreadableSubmission(f"{name} is a symbolic link: links are not followed")
            if entry.is_dir(follow_symlinks=False):
                files[f"{name}/"] = b""  # a folder inside a submission: not a file it may send
                continue
            if not stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode):
                raise UnreadableSubmission(f"{name} is not a regular file")
            if entry.stat(follow_symlinks=False).st_size > limits.max_file_bytes:
                raise UnreadableSubmission(f"{name} holds more than {limits.max_file_bytes // MIB} MiB")
            with open(entry.path, "rb") as stream:
                files[name] = _read_limited(stream, name, limits.max_file_bytes)
    return files


@dataclass(frozen=True)
class Candidate:
    """One folder or zip below the landing root that is (or claims to be) a submission."""

    path: Path
    landing_dir: Path

    # Derived from the path alone, once: ingest asks for them many times per candidate.
    @cached_property
    def is_zip(self) -> bool:
        return self.path.suffix == ".zip"

    @cached_property
    def submission_id(self) -> str:
        return printable_name(self.path).removesuffix(".zip")

    @cached_property
    def name(self) -> SubmissionName | None:
        return parse_submission_name(self.submission_id)

    @cached_property
    def source(self) -> str:
        return landing_source(self.path, self.landing_dir)

    def read_files(self, limits: ReadLimits | None = None) -> dict[str, bytes]:
        """Every file of the submission by name, manifest included."""
        limits = limits or ReadLimits()
        try:
            return read_zip(self.path, limits) if self.is_zip else read_folder(self.path, limits)
        except UnreadableSubmission:
            raise
        except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, ValueError, EOFError) as error:
            kind = "zip cannot be opened" if self.is_zip else "folder cannot be read"
            raise UnreadableSubmission(f"{kind}: {type(error).__name__}") from error

    def sort_key(self) -> tuple:
        name = self.name
        # Within a window: submitter, seq, then a folder before a zip of the same name.
        return (
            name.window if name else "",
            name.submitter if name else self.submission_id,
            name.seq if name else 0,
            self.is_zip,
            self.source,
        )


@dataclass(frozen=True)
class Stray:
    """An entry under the landing root that is not part of any submission."""

    path: Path
    landing_dir: Path
    code: str
    detail: str

    @property
    def submission_id(self) -> str:
        return printable_name(self.path)

    @property
    def source(self) -> str:
        return landing_source(self.path, self.landing_dir)


def _is_submission_folder(entry: os.DirEntry) -> bool:
    name = printable_name(Path(entry.path))
    return bool(SUBMISSION_LIKE.fullmatch(name)) or os.path.lexists(os.path.join(entry.path, MANIFEST))


def _classify(entry: os.DirEntry, landing_dir: Path, found: list, strays: list, pending: list) -> None:
    path = Path(entry.path)
    if entry.is_symlink():
        strays.append(Stray(path, landing_dir, "ENCODING", "a symbolic link: links are not followed"))
    elif entry.is_dir(follow_symlinks=False):
        if _is_submission_folder(entry):
            found.append(Candidate(path, landing_dir))
        else:
            pending.append(path)
    elif entry.is_file(follow_symlinks=False) and path.suffix == ".zip":
        found.append(Candidate(path, landing_dir))
    else:
        strays.append(
            Stray(path, landing_dir, "MANIFEST_MISSING", "not part of a submission (no submission folder or zip)")
        )


def discover_all(landing_dir: Path) -> tuple[list[Candidate], list[Stray]]:
    """Submissions (folders named as one or holding a manifest, and zips) in load order, and
    every other entry under the landing root."""
    landing_dir = Path(landing_dir)
    if not landing_dir.is_dir():
        return [], []
    found: list[Candidate] = []
    strays: list[Stray] = []
    pending = [landing_dir]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                _classify(entry, landing_dir, found, strays, pending)
    return sorted(found, key=Candidate.sort_key), sorted(strays, key=lambda s: s.source)


def discover(landing_dir: Path) -> list[Candidate]:
    return discover_all(landing_dir)[0]
