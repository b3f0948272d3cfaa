"""Ingesting everything that has landed for the windows up to P, one submission at a time."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pbr_pipeline.config import Areas
from pbr_pipeline.ingest.discovery import Candidate, UnreadableSubmission, discover
from pbr_pipeline.ingest.integrity import (
    ParsedSubmission,
    Rejection,
    check_submission,
    content_fingerprint,
    read_manifest,
)
from pbr_pipeline.ingest.load import Outcome, already_seen, apply_submission, check_against_warehouse, record_outcome

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
            if outcome.status == "LOADED":
                tally.loaded += 1
                tally.rows_loaded += outcome.rows_loaded
                tally.rows_quarantined += outcome.rows_quarantined
            elif outcome.status == "REJECTED":
                tally.rejected += 1
            else:
                tally.duplicate += 1
        return dict(sorted(tallies.items()))

    def one_line(self) -> str:
        outcomes = self.outcomes
        return (
            f"{sum(o.status == 'LOADED' for o in outcomes)} submission(s) loaded, "
            f"{sum(o.status == 'REJECTED' for o in outcomes)} rejected, "
            f"{sum(o.rows_loaded for o in outcomes):,} rows loaded, "
            f"{sum(o.rows_quarantined for o in outcomes):,} quarantined"
        )

    def table(self) -> str:
        lines = [f"ingest {self.window}: {len(self.outcomes)} new submission(s), {self.skipped} already seen",
                 f"  {'area':<5} {'loaded':>6} {'rejected':>8} {'dup':>4} {'rows loaded':>11} {'quarantined':>11}"]
        for area, t in self.by_area().items():
            lines.append(f"  {area:<5} {t.loaded:>6} {t.rejected:>8} {t.duplicate:>4} {t.rows_loaded:>11} {t.rows_quarantined:>11}")
        return "\n".join(lines)


def candidate_window(candidate: Candidate) -> str | None:
    """The window a landed folder or zip is for: from its name, else from its manifest."""
    if candidate.name:
        return candidate.name.window
    try:
        return read_manifest(candidate.read_files()).window
    except (Rejection, UnreadableSubmission):
        return None


def _read(candidate: Candidate) -> tuple[dict[str, bytes] | None, str, UnreadableSubmission | None]:
    """The submission's files (read once), their fingerprint, and why they could not be read."""
    try:
        files = candidate.read_files()
    except UnreadableSubmission as error:
        return None, content_fingerprint({candidate.path.name: _bytes_or_empty(candidate.path)}), error
    return files, content_fingerprint(files), None


def _bytes_or_empty(path: Path) -> bytes:
    try:
        return path.read_bytes() if path.is_file() else b""
    except OSError:
        return b""


def _outcome_shell(candidate: Candidate, areas: Areas, window: str | None) -> Outcome:
    name = candidate.name
    submitter = name.submitter if name else None
    return Outcome(
        submission_id=candidate.submission_id,
        submitter=submitter,
        area=areas.submitter_area.get(submitter) if submitter else None,
        window=window,
        seq=name.seq if name else None,
        status="REJECTED",
    )


def ingest_candidate(
    con: duckdb.DuckDBPyConnection, candidate: Candidate, window: str | None, areas: Areas, key: bytes
) -> Outcome | None:
    """Ingest one sighting; None when this exact sighting was already recorded."""
    files, fingerprint, unreadable = _read(candidate)
    if already_seen(con, candidate.source, fingerprint):
        return None
    received_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    outcome = _outcome_shell(candidate, areas, window)
    try:
        if unreadable is not None:
            raise Rejection("ENCODING", str(unreadable))
        parsed: ParsedSubmission = check_submission(candidate, files, areas)
        outcome.submitter, outcome.seq = parsed.manifest.submitter, parsed.manifest.seq
        outcome.area = areas.submitter_area.get(parsed.manifest.submitter)
        if check_against_warehouse(con, parsed, fingerprint) == "DUPLICATE":
            outcome.status, outcome.detail = "DUPLICATE", "identical to a submission already loaded: no-op"
            record_outcome(con, outcome, candidate.source, fingerprint, received_at)
            return outcome
        outcome.status = "LOADED"
        return apply_submission(con, candidate, parsed, outcome, fingerprint, areas, key, received_at)
    except Rejection as rejection:
        outcome.status, outcome.reason, outcome.detail = "REJECTED", rejection.code, rejection.detail
        record_outcome(con, outcome, candidate.source, fingerprint, received_at)
        return outcome


def ingest_up_to(
    con: duckdb.DuckDBPyConnection, landing_dir: Path, areas: Areas, window: str, key: bytes,
    logger: logging.Logger | None = None,
) -> IngestSummary:
    """Ingest every landed submission for a window up to `window` not yet seen, oldest first."""
    logger = logger or log
    summary = IngestSummary(window)
    for candidate in discover(landing_dir):
        candidate_for = candidate_window(candidate)
        if candidate_for is None:
            logger.warning("%s: not a recognisable submission (no window in its name or manifest)", candidate.source)
            continue
        if candidate_for > window:
            continue
        outcome = ingest_candidate(con, candidate, candidate_for, areas, key)
        if outcome is None:
            summary.skipped += 1
            continue
        summary.outcomes.append(outcome)
        reason = f" {outcome.reason}" if outcome.reason else ""
        logger.info(
            "%s: %s%s (rows in %d, loaded %d, quarantined %d)", candidate.source, outcome.status, reason,
            outcome.rows_in, outcome.rows_loaded, outcome.rows_quarantined,
        )
    return summary
