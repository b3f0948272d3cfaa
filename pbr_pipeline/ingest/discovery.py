"""Finding submissions below the landing root and reading their files, folder or zip alike."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

NAME_PATTERN = re.compile(r"^(?P<submitter>[A-Z0-9][A-Z0-9-]*)_(?P<window>\d{4}-(0[1-9]|1[0-2]))_(?P<seq>\d{2})$")
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class SubmissionName:
    submitter: str
    window: str
    seq: int


def parse_submission_name(name: str) -> SubmissionName | None:
    """`OXF-LIFELINE_2012-06_01` (or the same with `.zip`) -> its parts; None if not of that form."""
    match = NAME_PATTERN.match(name.removesuffix(".zip"))
    if not match or int(match.group("seq")) < 1:
        return None
    return SubmissionName(match.group("submitter"), match.group("window"), int(match.group("seq")))


class UnreadableSubmission(Exception):
    """A folder or zip whose files cannot be listed or read (reported as ENCODING)."""


@dataclass(frozen=True)
class Candidate:
    """One folder or zip below the landing root that is (or claims to be) a submission."""

    path: Path
    landing_dir: Path

    @property
    def is_zip(self) -> bool:
        return self.path.suffix == ".zip"

    @property
    def submission_id(self) -> str:
        return self.path.name.removesuffix(".zip")

    @property
    def name(self) -> SubmissionName | None:
        return parse_submission_name(self.path.name)

    @property
    def source(self) -> str:
        return self.path.relative_to(self.landing_dir).as_posix()

    def read_files(self) -> dict[str, bytes]:
        """Every file of the submission by name, manifest included."""
        try:
            if self.is_zip:
                with zipfile.ZipFile(self.path) as archive:
                    return {
                        info.filename: archive.read(info)
                        for info in archive.infolist()
                        if not info.is_dir()
                    }
            return {child.name: child.read_bytes() for child in sorted(self.path.iterdir()) if child.is_file()}
        except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, ValueError) as error:
            kind = "zip cannot be opened" if self.is_zip else "folder cannot be read"
            raise UnreadableSubmission(f"{kind}: {type(error).__name__}: {error}") from error

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


def discover(landing_dir: Path) -> list[Candidate]:
    """Submission folders (named as a submission or holding a manifest) and zips, in load order."""
    landing_dir = Path(landing_dir)
    if not landing_dir.is_dir():
        return []
    found: list[Candidate] = []
    pending = [landing_dir]
    while pending:
        folder = pending.pop()
        for child in sorted(folder.iterdir()):
            if child.is_file() and child.suffix == ".zip":
                found.append(Candidate(child, landing_dir))
            elif child.is_dir():
                if parse_submission_name(child.name) or (child / MANIFEST).exists():
                    found.append(Candidate(child, landing_dir))
                else:
                    pending.append(child)
    return sorted(found, key=Candidate.sort_key)
