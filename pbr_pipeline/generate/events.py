"""Interventions (providers), proven offences (police) and employment spells (DWP)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pbr_pipeline.generate import rates
from pbr_pipeline.generate.areas import AreaPlan
from pbr_pipeline.generate.dates import MISSING, windows_of
from pbr_pipeline.generate.population import ALCOHOL, CRACK, OPIATES

_HARM_MIN_DRUGS = [OPIATES, CRACK]


def _started(journeys: pd.DataFrame) -> np.ndarray:
    return np.flatnonzero(journeys["started"].to_numpy())


def _uses(journeys: pd.DataFrame, substances: list[int]) -> np.ndarray:
    return np.isin(journeys["primary"].to_numpy(), substances) | np.isin(journeys["secondary"].to_numpy(), substances)


# --- interventions -------------------------------------------------------------------------


def build_interventions(rng, journeys: pd.DataFrame, traits: dict, horizon: int) -> pd.DataFrame:
    rows = _started(journeys)
    n = len(rows)
    injects = traits["injects"][rows]
    opiates = _uses(journeys, [OPIATES])[rows]
    start = journeys["triage_day"].to_numpy()[rows]
    kinds = (
        # HEPB courses take months: completed within the first year for those who finish.
        (
            "HEPB_COURSE_COMPLETED",
            injects & (rng.random(n) < rates.HEPB_COMPLETED_SHARE),
            start + rng.integers(60, 331, n),
        ),
        ("HEPC_TEST", injects & (rng.random(n) < rates.HEPC_TEST_SHARE), start + rng.integers(0, 46, n)),
        ("NALOXONE_SUPPLIED", opiates & (rng.random(n) < rates.NALOXONE_SHARE), start + rng.integers(0, 121, n)),
    )
    parts = [
        pd.DataFrame({"_journey": rows[chosen], "intervention": name, "intervention_date": day[chosen]})
        for name, chosen, day in kinds
    ]
    table = pd.concat(parts, ignore_index=True).sort_values(
        ["_journey", "intervention_date"], kind="stable", ignore_index=True
    )
    table["_submitter"] = _provider_on(journeys, table["_journey"].to_numpy(), table["intervention_date"].to_numpy())
    table = table[(table["_submitter"] != "") & (table["intervention_date"] <= horizon)].reset_index(drop=True)
    table["intervention_id"] = np.arange(1, len(table) + 1, dtype=np.int64)
    table["pbr_id"] = journeys["pbr_id"].to_numpy()[table["_journey"].to_numpy()]
    table["deleted"] = ""
    table["_event_day"] = table["intervention_date"]
    table["_earliest_window"] = windows_of(table["_event_day"].to_numpy())
    return table


def _provider_on(journeys: pd.DataFrame, journey: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The provider whose episode of the journey is open on the day ('' when none is)."""

    def open_on(triage, discharge):
        t, d = journeys[triage].to_numpy()[journey], journeys[discharge].to_numpy()[journey]
        return (t != MISSING) & (t <= day) & ((d == MISSING) | (day <= d))

    main = open_on("triage_day", "discharge_day")
    recovery = journeys["converted"].to_numpy()[journey] & open_on("rec_triage_day", "rec_discharge_day")
    return np.select(
        [main, recovery],
        [journeys["provider"].to_numpy()[journey], journeys["rec_provider"].to_numpy()[journey]],
        "",
    ).astype(object)


# --- offences ------------------------------------------------------------------------------

_OFFENCE_GROUPS = np.array(["ACQUISITIVE", "VIOLENCE", "DRUGS", "OTHER"], dtype=object)
# Shares of _OFFENCE_GROUPS by kind of user (opiate or crack users, alcohol, others).
_GROUP_SHARES = {
    "DRUGS_OF_HARM": (0.50, 0.20, 0.20, 0.10),
    "ALCOHOL": (0.15, 0.40, 0.10, 0.35),
    "OTHER": (0.30, 0.25, 0.25, 0.20),
}


def build_offences(rng, journeys: pd.DataFrame, plans: list[AreaPlan], horizon: int) -> pd.DataFrame:
    """Proven offences in the year before treatment starts and, fewer, in the year after."""
    rows = _started(journeys)
    police = np.array([p.police or "" for p in plans], dtype=object)[journeys["area"].to_numpy()[rows]]
    rows = rows[police != ""]
    n = len(rows)
    group_names = list(_GROUP_SHARES)
    group = np.where(
        _uses(journeys, _HARM_MIN_DRUGS)[rows], 0, np.where(journeys["primary"].to_numpy()[rows] == ALCOHOL, 1, 2)
    )
    # A gamma-distributed propensity: most users have no proven offence, a few have many.
    base_rate = np.array([rates.OFFENCES_BEFORE[name] for name in group_names])[group]
    propensity = base_rate * rng.gamma(0.8, 1 / 0.8, n)
    after_factor = np.where(journeys["abstinent_6m"].to_numpy()[rows], *rates.OFFENCES_AFTER_FACTOR)
    before, after = rng.poisson(propensity), rng.poisson(propensity * after_factor)
    journey = np.concatenate([np.repeat(rows, before), np.repeat(rows, after)])
    offence_group_kind = np.concatenate([np.repeat(group, before), np.repeat(group, after)])
    offset = np.concatenate([-rng.integers(1, 366, before.sum()), rng.integers(1, 366, after.sum())])
    offence_day = journeys["triage_day"].to_numpy()[journey] + offset
    disposal_day = offence_day + rng.integers(7, 121, len(offence_day))
    draws = rng.random(len(journey))
    offence_group = np.empty(len(journey), dtype=object)
    for index, name in enumerate(group_names):
        mask = offence_group_kind == index
        picks = np.searchsorted(np.cumsum(_GROUP_SHARES[name]), draws[mask], side="right")
        offence_group[mask] = _OFFENCE_GROUPS[np.minimum(picks, len(_OFFENCE_GROUPS) - 1)]
    table = pd.DataFrame(
        {
            "_journey": journey,
            "offence_date": offence_day,
            "disposal_date": disposal_day,
            "offence_group": offence_group,
        }
    )
    table = table[table["disposal_date"] <= horizon].sort_values(
        ["_journey", "offence_date"], kind="stable", ignore_index=True
    )
    j = table["_journey"].to_numpy()
    table["offence_id"] = np.arange(1, len(table) + 1, dtype=np.int64)
    table["pbr_id"] = journeys["pbr_id"].to_numpy()[j]
    table["deleted"] = ""
    table["_submitter"] = np.array([p.police or "" for p in plans], dtype=object)[journeys["area"].to_numpy()[j]]
    table["_event_day"] = table["disposal_date"]
    # The police can only match an offence to a pbr_id once the LASAR has issued it.
    table["_earliest_window"] = np.maximum(
        windows_of(table["_event_day"].to_numpy()), windows_of(journeys["assess_day"].to_numpy()[j])
    )
    return table


# --- employment ----------------------------------------------------------------------------


def build_employment(rng, journeys: pd.DataFrame, dwp: str | None, horizon: int) -> pd.DataFrame:
    """DWP spells, sent when they start (open) and again when they end."""
    rows = _started(journeys) if dwp else np.zeros(0, dtype=np.int64)
    n = len(rows)
    start = journeys["triage_day"].to_numpy()[rows]
    after = rng.random(n) < rates.EMPLOYMENT_AFTER_SHARE
    before = ~after & (rng.random(n) < rates.EMPLOYMENT_BEFORE_SHARE / (1 - rates.EMPLOYMENT_AFTER_SHARE))
    spell_start = np.where(after, start + rng.integers(14, 426, n), start - rng.integers(30, 401, n))
    median, sigma = rates.EMPLOYMENT_DURATION
    length = np.clip(np.rint(rng.lognormal(np.log(median), sigma, n)), 7, 1500).astype(np.int64)
    open_ended = rng.random(n) < rates.EMPLOYMENT_OPEN_ENDED_SHARE
    spell_end = np.where(open_ended | (spell_start + length > horizon), MISSING, spell_start + length)
    chosen = (after | before) & (spell_start <= horizon)
    spells = pd.DataFrame({"_journey": rows[chosen], "start_date": spell_start[chosen], "end_date": spell_end[chosen]})
    spells["spell_id"] = np.arange(1, len(spells) + 1, dtype=np.int64)
    j = spells["_journey"].to_numpy()
    spells["pbr_id"] = journeys["pbr_id"].to_numpy()[j]
    spells["_submitter"] = dwp or ""
    spells["deleted"] = ""
    assessed = windows_of(journeys["assess_day"].to_numpy()[j])

    opened = spells.copy()
    opened["end_date"] = MISSING
    opened["_event_day"] = opened["start_date"]
    opened["_version"] = 0
    closed = spells[spells["end_date"] != MISSING].copy()
    closed["_event_day"] = closed["end_date"]
    closed["_version"] = 1
    table = pd.concat([opened, closed], ignore_index=True)
    table["_earliest_window"] = np.maximum(
        windows_of(table["_event_day"].to_numpy()),
        np.concatenate([assessed, assessed[spells["end_date"].to_numpy() != MISSING]]),
    )
    return table
