"""Gaming (`pbr generate --gaming SUBMITTER=BEHAVIOUR`): a provider that earns more without
helping more people, in one of the ways the monitor must catch (spec/monitoring.md).

- `cream-skim`: half of its band-3 referrals are never started (no episode follows);
- `park`: a third of its episodes open past 180 days get no further TOP and are never
  discharged;
- `drop`: twice everyone else's share of its discharges are 85 or 88.

The behaviours change journeys as they are simulated, round by round (population.py), so that
what follows from them (TOPs, interventions, re-presentations) follows from the changed journey.
They draw from a stream of their own: without any, every other draw, and so every byte written,
is what it is without gaming.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pbr_pipeline.generate import rates
from pbr_pipeline.generate.areas import AreaPlan
from pbr_pipeline.generate.assessments import band_values
from pbr_pipeline.generate.dates import MISSING

# behaviour -> (the indicator of spec/monitoring.md that must flag it, the band of its row)
BEHAVIOURS = {
    "cream-skim": ("START_RATE", rates.CREAM_SKIM_BAND),
    "park": ("NO_RECENT_REVIEW", 0),
    "drop": ("DECLINED_OR_DROPPED", 0),
}
# The discharge codes `drop` moves its discharges to, and those it leaves alone: transfers are
# not counted by the indicator, and a conversion is a transfer the area pays for.
DROPPED_CODES = ("85", "88")
TRANSFER_CODES = ("83", "84")


@dataclass(frozen=True)
class Gaming:
    submitter: str
    behaviour: str

    def entry(self) -> dict:
        """Its line in defects.json: what the monitor must flag, and for whom."""
        indicator, band = BEHAVIOURS[self.behaviour]
        return {
            "submission_id": None,
            "window": None,
            "file": None,
            "line": None,
            "column": None,
            "code": indicator,
            "level": "gaming",
            "path": None,
            "submitter": self.submitter,
            "behaviour": self.behaviour,
            "band": band,
        }


def check_gaming(requested: Iterable[tuple[str, str]], provider_bands: dict[str, tuple[int, ...]]) -> list[Gaming]:
    """The requested behaviours, sorted; a ValueError (one line) for anything that cannot be."""
    checked: list[Gaming] = []
    for submitter, behaviour in requested:
        named = f"gaming {submitter}={behaviour}"
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"{named}: unknown behaviour {behaviour!r} (known: {', '.join(BEHAVIOURS)})")
        if submitter not in provider_bands:
            raise ValueError(f"{named}: {submitter!r} is not a PROVIDER of a configured area")
        if behaviour == "cream-skim" and rates.CREAM_SKIM_BAND not in provider_bands[submitter]:
            raise ValueError(f"{named}: {submitter}'s area has no band {rates.CREAM_SKIM_BAND}")
        if Gaming(submitter, behaviour) in checked:
            raise ValueError(f"{named}: given twice")
        checked.append(Gaming(submitter, behaviour))
    return sorted(checked, key=lambda g: (g.submitter, g.behaviour))


class GamingPlan:
    """The behaviours asked for, applied to each round of journeys with their own random stream."""

    def __init__(self, rng: np.random.Generator, gaming: list[Gaming]) -> None:
        self.rng = rng
        self.gaming = gaming

    def providers(self, behaviour: str) -> list[str]:
        return [g.submitter for g in self.gaming if g.behaviour == behaviour]

    def entries(self) -> list[dict]:
        return [g.entry() for g in self.gaming]

    def turned_away(self, journeys: pd.DataFrame, plans: list[AreaPlan]) -> np.ndarray:
        """cream-skim: the journeys whose band-3 referral the provider never starts."""
        chosen = np.zeros(len(journeys), dtype=bool)
        skimmers = self.providers("cream-skim")
        if skimmers:
            band = band_values(plans, journeys["area"].to_numpy(), journeys["band_rank"].to_numpy())
            referred = np.isin(journeys["provider"].to_numpy(), skimmers) & (band == rates.CREAM_SKIM_BAND)
            chosen = referred & (self.rng.random(len(journeys)) < rates.CREAM_SKIM_SHARE)
        return chosen

    def change_discharges(self, journeys: pd.DataFrame) -> None:
        """park and drop, on both kinds of episode: a journey's first (its columns unprefixed) and
        a conversion's Recovery one (`rec_`); sets `parked` and `rec_parked` for the TOPs."""
        converted = journeys["converted"].to_numpy()
        # A conversion goes ahead: the Harm Minimisation episode it ends is neither parked nor dropped.
        for prefix, exists in (("", journeys["started"].to_numpy() & ~converted), ("rec_", converted)):
            at = journeys[prefix + "provider"].to_numpy()
            journeys[prefix + "parked"] = self._park(journeys, exists & np.isin(at, self.providers("park")), prefix)
            self._drop(journeys, exists & np.isin(at, self.providers("drop")), prefix + "reason")

    def _park(self, journeys, candidates: np.ndarray, prefix: str) -> np.ndarray:
        if not candidates.any():
            return np.zeros(len(journeys), dtype=bool)
        ends = journeys[prefix + "discharge_day"].to_numpy()
        # Still open on the last day of the range, or discharged after its 180th day.
        long_open = (ends == MISSING) | (ends - journeys[prefix + "triage_day"].to_numpy() > rates.PARK_AFTER_DAYS)
        parked = candidates & long_open & (self.rng.random(len(journeys)) < rates.PARK_SHARE)
        journeys[prefix + "discharge_day"] = np.where(parked, MISSING, ends)
        journeys[prefix + "reason"] = np.where(parked, "", journeys[prefix + "reason"].to_numpy()).astype(object)
        return parked

    def _drop(self, journeys, candidates: np.ndarray, reason: str) -> None:
        if not candidates.any():
            return
        codes = journeys[reason].to_numpy()
        movable = candidates & (codes != "") & ~np.isin(codes, [*DROPPED_CODES, *TRANSFER_CODES])
        moved = movable & (self.rng.random(len(journeys)) < _drop_share())
        dropped_shares = np.array([rates.DISCHARGE_SHARES[c] for c in DROPPED_CODES])
        new_codes = np.array(DROPPED_CODES, dtype=object)[
            self.rng.choice(len(DROPPED_CODES), len(journeys), p=dropped_shares / dropped_shares.sum())
        ]
        journeys[reason] = np.where(moved, new_codes, codes).astype(object)


def _drop_share() -> float:
    """The share of discharges that are neither dropped nor transfers that `drop` moves to 85 or
    88, so that DROP_FACTOR times the usual share of discharges ends that way."""
    usual = sum(rates.DISCHARGE_SHARES[c] for c in DROPPED_CODES)
    movable = 1 - usual - sum(rates.DISCHARGE_SHARES[c] for c in TRANSFER_CODES)
    return min(1.0, (rates.DROP_FACTOR - 1) * usual / movable)
