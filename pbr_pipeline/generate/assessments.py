"""LASAR assessments: the INITIAL assessment that opens each journey, and some REVIEWs.

Builders in this package return a "raw" table: the spec columns (see tables.py) plus
`_submitter` (code), `_event_day` (the day the record is about: it cannot be sent before that
day's window) and `_earliest_window` (the first window it may be sent in).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pbr_pipeline.codes import SUBSTANCES
from pbr_pipeline.generate import rates
from pbr_pipeline.generate.areas import AreaPlan
from pbr_pipeline.generate.dates import MISSING, windows_of
from pbr_pipeline.generate.population import NO_SUBSTANCE

SUBSTANCE_NAMES = np.array(SUBSTANCES + ("",), dtype=object)  # index -1 -> ''


def build_assessments(rng, journeys: pd.DataFrame, plans: list[AreaPlan], horizon: int) -> pd.DataFrame:
    initial = _initial_assessments(journeys, plans)
    review = _review_assessments(rng, journeys, plans, horizon)
    table = pd.concat([initial, review], ignore_index=True)
    table["assessment_id"] = np.arange(1, len(table) + 1, dtype=np.int64)
    table["_earliest_window"] = windows_of(table["_event_day"].to_numpy())
    return table


def band_values(plans: list[AreaPlan], area: np.ndarray, rank: np.ndarray) -> np.ndarray:
    # Areas may define fewer than three bands: the rank is capped at the area's highest band.
    bands = np.full((len(plans), 3), MISSING, dtype=np.int64)
    for plan in plans:
        for r in range(3):
            bands[plan.index, r] = plan.bands[min(r, len(plan.bands) - 1)]
    return bands[area, np.minimum(rank, 2)]


def _person_columns(journeys: pd.DataFrame, plans, rows, day, kind, rank, pathway, provider) -> pd.DataFrame:
    lasar = np.array([p.lasar for p in plans], dtype=object)
    area = journeys["area"].to_numpy()[rows]
    return pd.DataFrame(
        {
            "pbr_id": journeys["pbr_id"].to_numpy()[rows],
            "initials": journeys["initials"].to_numpy()[rows],
            "date_of_birth": journeys["dob"].to_numpy()[rows],
            "sex": journeys["sex"].to_numpy()[rows],
            "assessment_date": day,
            "assessment_type": kind,
            "tariff_band": band_values(plans, area, rank),
            "primary_substance": SUBSTANCE_NAMES[journeys["primary"].to_numpy()[rows]],
            "secondary_substance": SUBSTANCE_NAMES[journeys["secondary"].to_numpy()[rows]],
            "pathway": pathway,
            "referred_to": provider,
            "deleted": "",
            "_submitter": lasar[area],
            "_event_day": day,
            "_journey": rows,
        }
    )


def _initial_assessments(journeys: pd.DataFrame, plans) -> pd.DataFrame:
    rows = np.arange(len(journeys))
    return _person_columns(
        journeys,
        plans,
        rows,
        journeys["assess_day"].to_numpy(),
        "INITIAL",
        journeys["band_rank"].to_numpy(),
        journeys["pathway"].to_numpy(),
        journeys["provider"].to_numpy(),
    )


def _review_assessments(rng, journeys: pd.DataFrame, plans, horizon: int) -> pd.DataFrame:
    """A reassessment some months into treatment that moves the user one band up or down."""
    n = len(journeys)
    day = journeys["triage_day"].to_numpy() + rng.integers(60, 241, n)
    ends = journeys["final_discharge_day"].to_numpy()
    multi_band = np.array([len(plans[a].bands) > 1 for a in journeys["area"].to_numpy()], dtype=bool)
    chosen = (
        journeys["started"].to_numpy()
        & multi_band
        & (rng.random(n) < rates.REVIEW_ASSESSMENT_SHARE)
        & (day <= horizon)
        & ((ends == MISSING) | (day < ends))
    )
    rows = np.flatnonzero(chosen)
    rank = journeys["band_rank"].to_numpy()[rows]
    step = np.where(rng.random(len(rows)) < 0.5, -1, 1)
    new_rank = np.where(rank == 0, 1, np.where(rank == 2, 1, rank + step))
    # With fewer than three bands two ranks can share a band: such a review changes nothing.
    area = journeys["area"].to_numpy()[rows]
    changes = band_values(plans, area, new_rank) != band_values(plans, area, rank)
    rows, new_rank = rows[changes], new_rank[changes]
    # After a conversion the user is reviewed as a Recovery client of the Recovery provider.
    converted = journeys["converted"].to_numpy()[rows] & (day[rows] >= journeys["rec_triage_day"].to_numpy()[rows])
    pathway = np.where(converted, "RECOVERY", journeys["pathway"].to_numpy()[rows]).astype(object)
    provider = np.where(converted, journeys["rec_provider"].to_numpy()[rows], journeys["provider"].to_numpy()[rows])
    return _person_columns(journeys, plans, rows, day[rows], "REVIEW", new_rank, pathway, provider.astype(object))


# NO_SUBSTANCE indexes the trailing '' of SUBSTANCE_NAMES.
assert SUBSTANCE_NAMES[NO_SUBSTANCE] == ""
