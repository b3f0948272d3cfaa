"""Ingesting everything that has landed for the windows up to P, a window at a time.

A window's submissions go through three phases (results as if each were ingested alone, in
load order):
1. each is read and given its submission-level checks (`check_submission`), in load order;
2. the rows of all that passed are validated together, one row-contract call per table
   (`load.validate_batch`), failures mapped back to submission, file and line;
3. in load order again, each gets the checks that need the warehouse (duplicate, seq, closed
   window: they depend on the submissions before it) and is applied in a transaction of its
   own with its precomputed validation, or recorded rejected (its validation unused).

No single submission can stop a run: whatever goes wrong while one is checked or loaded, it is
recorded REJECTED with a reason (its transaction rolled back, so nothing of it is loaded) and
the run goes on. Should the batched validation itself fail, each submission is validated alone
in phase 3. The reason's detail names the error's kind and where in our code it arose, never
the error's text, which could quote a value from a personal column.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pbr_pipeline.codes import SubmissionStatus
from pbr_pipeline.config import Areas
from pbr_pipeline.ingest.discovery import (
    Candidate,
    ReadLimits,
    Stray,
    UnreadableSubmission,
    discover_all,
)
from pbr_pipeline.ingest.integrity import (
    ParsedSubmission,
    Rejection,
    check_submission,
    content_fingerprint,
    read_manifest,
)
from pbr_pipeline.ingest.load import (
    Outcome,
    ValidatedBatch,
    already_seen,
    apply_submission,
    check_against_warehouse,
    record_outcome,
    seen_sightings,
    validate_batch,
    write_rows,
)
from pbr_pipeline.windows import WINDOW_PATTERN

log = logging.getLogger(__name__)


@dataclass
class AreaTally:
    loaded: int = 0
    rejected: int = 0
    duplicate: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0


@dataclass
class IngestSummary:
    window: str
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: int = 0  # sightings already recorded: a re-scan of the same landing changes nothing

    def by_area(self) -> dict[str, AreaTally]:
        tallies: dict[str, AreaTally] = defaultdict(AreaTally)
        for outcome in self.outcomes:
            tally = tallies[outcome.area or "-"]
            if outcome.status == SubmissionStatus.LOADED:
                tally.loaded += 1
                tally.rows_loaded += outcome.rows_loaded
                tally.rows_quarantined += outcome.rows_quarantined
            elif outcome.status == SubmissionStatus.REJECTED:
                tally.rejected += 1
            else:
                tally.duplicate += 1
        return dict(sorted(tallies.items()))

    def one_line(self) -> str:
        outcomes = self.outcomes
        return (
            f"{sum(o.status == SubmissionStatus.LOADED for o in outcomes)} submission(s) loaded, "
            f"{sum(o.status == SubmissionStatus.REJECTED for o in outcomes)} rejected, "
            f"{sum(o.rows_loaded for o in outcomes):,} rows loaded, "
            f"{sum(o.rows_quarantined for o in outcomes):,} quarantined"
        )

    def table(self) -> str:
        lines = [
            f"ingest {self.window}: {len(self.outcomes)} new submission(s), {self.skipped} already seen",
            f"  {'area':<5} {'loaded':>6} {'rejected':>8} {'dup':>4} {'rows loaded':>11} {'quarantined':>11}",
        ]
        for area, t in self.by_area().items():
            lines.append(
                f"  {area:<5} {t.loaded:>6} {t.rejected:>8} {t.duplicate:>4}"
                f" {t.rows_loaded:>11} {t.rows_quarantined:>11}"
            )
        return "\n".join(lines)


def candidate_window(candidate: Candidate, files: dict[str, bytes] | None) -> str | None:
    """The window a landed folder or zip is for: from its name, else from its manifest when
    that names a real window; None when neither does (it is rejected at once, whatever P)."""
    if candidate.name:
        return candidate.name.window
    try:
        window = read_manifest(files).window if files is not None else None
    except Rejection:
        return None
    return window if window and WINDOW_PATTERN.fullmatch(window) else None


def _read(candidate: Candidate, limits: ReadLimits) -> tuple[dict[str, bytes] | None, str, UnreadableSubmission | None]:
    """The submission's files (read once), their fingerprint, and why they could not be read."""
    try:
        files = candidate.read_files(limits)
    except UnreadableSubmission as error:
        return None, content_fingerprint({candidate.path.name: _bytes_or_empty(candidate.path, limits)}), error
    return files, content_fingerprint(files), None


def _bytes_or_empty(path: Path, limits: ReadLimits) -> bytes:
    """A zip's own bytes, to tell one unreadable zip from another; never through a link."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > limits.max_file_bytes:
            return b""
        return path.read_bytes()
    except OSError:
        return b""


def internal_error_detail(error: Exception) -> str:
    """What went wrong, without the error's text (it may quote a personal value)."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "pbr_pipeline" in f.filename or "data_contracts" in f.filename] or frames
    where = f" at {Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else ""
    return f"could not be checked: internal error {type(error).__name__}{where}; nothing of it was loaded"


def _outcome_shell(candidate: Candidate, areas: Areas, window: str | None) -> Outcome:
    name = candidate.name
    submitter = name.submitter if name else None
    return Outcome(
        submission_id=candidate.submission_id,
        submitter=submitter,
        area=areas.submitter_area.get(submitter) if submitter else None,
        window=window,
        seq=name.seq if name else None,
        status=SubmissionStatus.REJECTED,
    )


def _received_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass
class Sighting:
    """A landed submission not yet recorded, with what phase 1 found (see the module docstring)."""

    candidate: Candidate
    files: dict[str, bytes] | None
    fingerprint: str
    unreadable: UnreadableSubmission | None
    window: str | None
    parsed: ParsedSubmission | None = None
    rejection: Rejection | None = None
    error: Exception | None = None  # an internal error of its submission-level checks

    def check(self, areas: Areas) -> None:
        """Phase 1: the submission-level checks; the files' bytes are not needed after them."""
        try:
            if self.unreadable is not None:
                raise Rejection("ENCODING", str(self.unreadable))
            self.parsed = check_submission(self.candidate, self.files, areas)
        except Rejection as rejection:
            self.rejection = rejection
        except Exception as error:  # noqa: BLE001 - no single submission stops the run (module docstring)
            self.error = error
        self.files = None


def ingest_candidate(
    con: duckdb.DuckDBPyConnection,
    sighting: Sighting,
    index: int,
    validated: ValidatedBatch | None,
    areas: Areas,
    key: bytes,
    pending: list[dict] | None = None,
) -> Outcome:
    """Phase 3 for one sighting: record its rejection, or check it against the warehouse and
    apply it with its validation (`validated`; None: validate it alone now), in a transaction of
    its own; or, given `pending`, in the caller's transaction (`load.apply_submission`),
    raising any unexpected error."""
    candidate, fingerprint = sighting.candidate, sighting.fingerprint
    received_at = _received_now()
    outcome = _outcome_shell(candidate, areas, sighting.window)

    def rejected_for(error: Exception) -> Outcome:
        # An error while checking a submission rejects that submission alone.
        return _record_rejection(
            con, outcome, candidate.source, fingerprint, received_at, "ENCODING", internal_error_detail(error)
        )

    try:
        if sighting.rejection is not None:
            raise sighting.rejection
        if sighting.error is not None:
            return rejected_for(sighting.error)
        parsed = sighting.parsed
        outcome.submitter, outcome.seq = parsed.manifest.submitter, parsed.manifest.seq
        outcome.area = areas.submitter_area.get(parsed.manifest.submitter)
        if check_against_warehouse(con, parsed, fingerprint) == SubmissionStatus.DUPLICATE:
            outcome.status, outcome.detail = (
                SubmissionStatus.DUPLICATE,
                "identical to a submission already loaded: no-op",
            )
            record_outcome(con, outcome, candidate.source, fingerprint, received_at)
            return outcome
        alone = validate_batch(con, [(index, parsed)], areas, key) if validated is None else None
        try:
            validation = validated if alone is None else alone
            if index in validation.errors:
                return rejected_for(validation.errors[index])
            outcome.status = SubmissionStatus.LOADED
            return apply_submission(
                con, candidate, parsed, outcome, fingerprint, areas, key, received_at, validation, index, pending
            )
        finally:
            if alone is not None:
                alone.drop(con)
    except Rejection as rejection:
        return _record_rejection(
            con, outcome, candidate.source, fingerprint, received_at, rejection.code, rejection.detail
        )
    except Exception as error:  # no single submission stops the run (module docstring)
        if pending is not None:
            raise  # the caller rolls back and applies each submission in a transaction of its own
        return _record_rejection(
            con, outcome, candidate.source, fingerprint, received_at, "ENCODING", internal_error_detail(error)
        )


def ingest_batch(
    con: duckdb.DuckDBPyConnection,
    sightings: list[Sighting],
    areas: Areas,
    key: bytes,
    summary: IngestSummary,
    logger: logging.Logger,
) -> None:
    """Phases 2 and 3 (module docstring) for sightings of one window, checked, in load order.

    Phase 3 runs in one transaction for the whole batch: a commit per submission cost more than
    all the rest of a national window's phase 3. Each submission is still whole or not at all,
    and a process killed midway leaves nothing of the batch. Should anything unexpected happen
    in that transaction, it is rolled back and each submission is applied in a transaction of
    its own (where the one that failed is rejected, as it would have been alone)."""
    checked = [(index, s.parsed) for index, s in enumerate(sightings) if s.parsed is not None]
    try:
        validated = validate_batch(con, checked, areas, key)
    except Exception as error:  # noqa: BLE001 - each submission is validated alone instead, its error its own
        # The kind only: the error's text could quote a personal value.
        log.warning(
            "validating %d submission(s) together failed (%s): each is validated alone",
            len(checked),
            type(error).__name__,
        )
        validated = None
    outcomes = None
    try:
        if validated is not None:
            try:
                outcomes = _apply_together(con, sightings, validated, areas, key)
            except Exception as error:  # noqa: BLE001 - each submission is applied alone instead
                log.warning(
                    "applying %d submission(s) in one transaction failed (%s): each is applied alone",
                    len(sightings),
                    type(error).__name__,
                )
        if outcomes is None:
            outcomes = [
                ingest_candidate(con, sighting, index, validated, areas, key)
                for index, sighting in enumerate(sightings)
            ]
    finally:
        if validated is not None:
            validated.drop(con)
    for sighting, outcome in zip(sightings, outcomes):
        _tally(summary, logger, sighting.candidate.source, outcome)


def _apply_together(
    con: duckdb.DuckDBPyConnection,
    sightings: list[Sighting],
    validated: ValidatedBatch,
    areas: Areas,
    key: bytes,
) -> list[Outcome]:
    """Phase 3 of a batch in one transaction: each sighting's checks and bookkeeping in turn,
    then the rows of all the applied ones; rolled back whole should anything raise."""
    con.begin()
    try:
        pending: list[dict] = []
        outcomes = [
            ingest_candidate(con, sighting, index, validated, areas, key, pending)
            for index, sighting in enumerate(sightings)
        ]
        write_rows(con, validated, pending)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return outcomes


def _record_rejection(
    con, outcome: Outcome, source: str, fingerprint: str, received_at: dt.datetime, code: str, detail: str
) -> Outcome:
    outcome.status, outcome.reason, outcome.detail = SubmissionStatus.REJECTED, code, detail
    outcome.rows_in = outcome.rows_loaded = outcome.rows_quarantined = 0
    outcome.pseudonym_key_id = None
    record_outcome(con, outcome, source, fingerprint, received_at)
    return outcome


def record_stray(con: duckdb.DuckDBPyConnection, stray: Stray) -> Outcome | None:
    """An entry that is no submission, recorded once as rejected with its path."""
    fingerprint = hashlib.sha256(f"{stray.code}\0{stray.source}".encode()).hexdigest()
    if already_seen(con, stray.source, fingerprint):
        return None
    outcome = Outcome(
        submission_id=stray.submission_id,
        submitter=None,
        area=None,
        window=None,
        seq=None,
        status=SubmissionStatus.REJECTED,
    )
    return _record_rejection(
        con, outcome, stray.source, fingerprint, _received_now(), stray.code, f"{stray.source}: {stray.detail}"
    )


def ingest_up_to(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    areas: Areas,
    window: str,
    key: bytes,
    logger: logging.Logger | None = None,
    limits: ReadLimits | None = None,
) -> IngestSummary:
    """Ingest every landed submission for a window up to `window` not yet seen, oldest first,
    and record every entry of the landing that is no submission."""
    logger = logger or log
    limits = limits or ReadLimits.from_env()
    summary = IngestSummary(window)
    candidates, strays = discover_all(landing_dir)
    for stray in strays:
        _tally(summary, logger, stray.source, record_stray(con, stray))
    # What `already_seen` would find for each sighting as its turn comes: what was recorded
    # before, and every sighting of this call before it (each is recorded, whatever its outcome).
    seen = seen_sightings(con)
    batch: list[Sighting] = []
    for candidate in candidates:
        if candidate.name and candidate.name.window > window:
            continue  # read when its window's run comes: a later window's data is not read now
        files, fingerprint, unreadable = _read(candidate, limits)
        candidate_for = candidate_window(candidate, files)
        if candidate_for is not None and candidate_for > window:
            continue
        if (candidate.source, fingerprint) in seen:
            summary.skipped += 1
            continue
        if batch and batch[-1].window != candidate_for:
            ingest_batch(con, batch, areas, key, summary, logger)
            batch = []
        seen.add((candidate.source, fingerprint))
        sighting = Sighting(candidate, files, fingerprint, unreadable, candidate_for)
        sighting.check(areas)  # phase 1 as it is read: its bytes are then let go
        batch.append(sighting)
    if batch:
        ingest_batch(con, batch, areas, key, summary, logger)
    return summary


def _tally(summary: IngestSummary, logger: logging.Logger, source: str, outcome: Outcome | None) -> None:
    if outcome is None:
        summary.skipped += 1
        return
    summary.outcomes.append(outcome)
    reason = f" {outcome.reason}" if outcome.reason else ""
    logger.info(
        "%s: %s%s (rows in %d, loaded %d, quarantined %d)",
        source,
        outcome.status,
        reason,
        outcome.rows_in,
        outcome.rows_loaded,
        outcome.rows_quarantined,
    )
