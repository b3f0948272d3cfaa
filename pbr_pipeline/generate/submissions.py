"""What each submitter sends in each window: the plan of submissions and their awkward cases.

A *unit* is one submitter's content for one window. Most units become one submission (seq 01);
a few are sent as a .zip, resubmitted (seq 01 then a complete seq 02), or go wrong in one of
the ways spec/returns.md rejects, and are then sent again correctly as the next seq, as a real
provider would after the rejection notice.
"""

from __future__ import annotations

from dataclasses import dataclass

from pbr_pipeline.generate import rates
from pbr_pipeline.generate.areas import Registry

# The rejection codes of spec/returns.md in table order, but WINDOW_CLOSED: that one needs an
# operator to finalise a payment run, which no landing folder can contain.
REJECTION_CODES = (
    "MANIFEST_MISSING",
    "NAME_MISMATCH",
    "UNKNOWN_SUBMITTER",
    "TABLE_NOT_ALLOWED",
    "FILE_MISSING",
    "CHECKSUM_MISMATCH",
    "ENCODING",
    "ROWCOUNT_MISMATCH",
    "MISSING_COLUMN",
    "STALE_SEQ",
)
# Several ways to earn one code: each is used in turn, so two of a code show both.
REJECTION_VARIANTS = {
    "MANIFEST_MISSING": ("absent", "invalid_json", "key_missing"),
    "ENCODING": ("latin1", "corrupt_zip"),
}

NORMAL, ZIPPED, RESUBMITTED, REJECTED = "normal", "zipped", "resubmitted", "rejected"


@dataclass(frozen=True)
class Unit:
    window: int
    submitter: int


@dataclass(frozen=True)
class UnitPlan:
    kind: str
    code: str | None = None
    variant: str | None = None

    @property
    def takes_row_defects(self) -> bool:
        """Row defects go only where the submission is the one that loads, sent once."""
        return self.kind in (NORMAL, ZIPPED)


def plan_units(rng, units: list[Unit], registry: Registry) -> dict[Unit, UnitPlan]:
    plans = {unit: UnitPlan(NORMAL) for unit in units}
    # The national DWP share is never rejected: one file a window for every area.
    order = rng.permutation(len(units))
    candidates = [units[i] for i in order if registry.roles[units[i].submitter] != "DWP"]
    taken = 0
    for code in REJECTION_CODES:
        variants = REJECTION_VARIANTS.get(code, (None,))
        count = max(len(variants), round(rates.SUBMISSION_DEFECT_SHARE * len(candidates)))
        for i in range(count):
            if taken >= len(candidates):
                break
            plans[candidates[taken]] = UnitPlan(REJECTED, code, variants[i % len(variants)])
            taken += 1
    untouched = [units[i] for i in order if plans[units[i]].kind == NORMAL]
    resubmitted = max(1, round(rates.RESUBMISSION_SHARE * len(units)))
    zipped = max(1, round(rates.ZIP_SHARE * len(units)))
    for unit in untouched[:resubmitted]:
        plans[unit] = UnitPlan(RESUBMITTED)
    for unit in untouched[resubmitted : resubmitted + zipped]:
        plans[unit] = UnitPlan(ZIPPED)
    return plans


def folder_name(submitter: str, window: str, seq: int) -> str:
    return f"{submitter}_{window}_{seq:02d}"
