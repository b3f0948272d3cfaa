"""Treatment Outcomes Profiles: a TOP at the start of each episode (stage S), about every
three months while it is open (R) and, for most planned exits, at discharge (E).

Each journey gets a few hidden traits (how much it used at the start, whether it injects and
when it stops, housing trouble and when it is resolved, how its quality of life moves), and
each TOP reads them at its "review number" k: whole quarters since the journey's start. The
abstinence of the primary substance at k = 1, 2, 3+ was drawn with the journey (population.py)
so that the six-month figure hits its target whatever else changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_contracts.tables import DAY_COLUMN_OF_SUBSTANCE
from pbr_pipeline.codes import SUBSTANCES, SUCCESSFUL_DISCHARGE_CODES, TRANSFER_DISCHARGE_CODES
from pbr_pipeline.generate import rates
from pbr_pipeline.generate.dates import MISSING
from pbr_pipeline.generate.population import ALCOHOL, CRACK, OPIATES, SUBSTANCE_INDEX

NEVER = 99  # a review number no journey reaches


def build_tops(rng, journeys: pd.DataFrame, traits: dict, episodes: pd.DataFrame, horizon: int) -> pd.DataFrame:
    tops = _top_dates(rng, journeys, episodes, horizon)
    values = _top_values(rng, journeys, traits, tops)
    table = pd.concat([tops, values], axis=1)
    table = table.sort_values(["_journey", "episode_id", "top_date", "_stage_order"], kind="stable", ignore_index=True)
    table["top_id"] = np.arange(1, len(table) + 1, dtype=np.int64)
    table["deleted"] = ""
    table["_event_day"] = table["top_date"]
    return table.drop(columns=["_stage_order", "_k", "_reason"])


def _uniform_int(rng, low, high, n):
    return rng.integers(low, high + 1, n)


def journey_traits(rng, journeys: pd.DataFrame) -> dict[str, np.ndarray]:
    """Hidden per-journey traits that TOPs (and interventions: injectors) read."""
    n = len(journeys)
    primary = journeys["primary"].to_numpy()
    injecting_share = np.zeros(n)
    for name, share in rates.INJECTING_SHARE.items():
        injecting_share[primary == SUBSTANCE_INDEX[name]] = share
    housing_share = np.full(n, rates.HOUSING_PROBLEM_OTHERWISE)
    for name, share in rates.HOUSING_PROBLEM_SHARE.items():
        housing_share[primary == SUBSTANCE_INDEX[name]] = share
    hard_drugs = np.isin(primary, [OPIATES, CRACK]) | np.isin(journeys["secondary"].to_numpy(), [OPIATES, CRACK])
    primary_base = np.where(
        np.isin(primary, [OPIATES, ALCOHOL]),
        _uniform_int(rng, 12, 28, n),
        np.where(primary == CRACK, _uniform_int(rng, 8, 28, n), _uniform_int(rng, 6, 28, n)),
    )
    cease_at = np.array([1, 2, 3, NEVER])[
        rng.choice(4, n, p=[*rates.INJECTING_CEASES_AT, 1 - sum(rates.INJECTING_CEASES_AT)])
    ]
    resolve_at = np.array([1, 2, 3, 4, NEVER])[
        rng.choice(5, n, p=[*rates.HOUSING_RESOLVED_AT, 1 - sum(rates.HOUSING_RESOLVED_AT)])
    ]
    return {
        "primary_base": primary_base,
        "secondary_base": _uniform_int(rng, 4, 20, n),
        "units_base": _uniform_int(rng, 80, 350, n),  # tenths of a unit
        "injects": rng.random(n) < injecting_share,
        "injecting_base": _uniform_int(rng, 4, 28, n),
        "injecting_ceases_at": cease_at,
        "housing_problem": rng.random(n) < housing_share,
        "eviction_risk": rng.random(n) < rates.EVICTION_RISK_SHARE,
        "housing_resolved_at": resolve_at,
        "quality_base": rng.normal(*rates.QUALITY_OF_LIFE_START, n),
        "quality_gain": rng.normal(*rates.QUALITY_OF_LIFE_GAIN_PER_REVIEW, n),
        "psych_base": rng.normal(9.0, 3.5, n),
        "psych_gain": rng.normal(1.0, 1.0, n),
        "phys_base": rng.normal(10.0, 3.5, n),
        "phys_gain": rng.normal(0.8, 1.0, n),
        "shoplifting_base": np.where(rng.random(n) < np.where(hard_drugs, 0.30, 0.05), _uniform_int(rng, 1, 20, n), 0),
        "selling_base": np.where(rng.random(n) < np.where(hard_drugs, 0.12, 0.03), _uniform_int(rng, 1, 15, n), 0),
        "work_base": np.where(rng.random(n) < 0.15, _uniform_int(rng, 4, 20, n), 0),
        "education_base": np.where(rng.random(n) < 0.05, _uniform_int(rng, 2, 10, n), 0),
        # Some users leave the substances they did not present with undisclosed (blank).
        "hides_other_use": rng.random(n) < 0.15,
    }


def _top_dates(rng, journeys: pd.DataFrame, episodes: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Which TOPs exist: their episode, date, stage and review number k."""
    starts = _start_tops(rng, episodes)
    reviews = _review_tops(rng, episodes, horizon)
    exits = _exit_tops(rng, episodes)
    episode_row = np.concatenate([starts[0], reviews[0], exits[0]])
    stage = np.concatenate(
        [
            np.full(len(starts[0]), "S", dtype=object),
            np.full(len(reviews[0]), "R", dtype=object),
            np.full(len(exits[0]), "E", dtype=object),
        ]
    )
    reason = episodes["discharge_reason"].to_numpy()
    tops = pd.DataFrame(
        {
            "_journey": episodes["_journey"].to_numpy()[episode_row],
            "episode_id": episodes["episode_id"].to_numpy()[episode_row],
            "pbr_id": episodes["pbr_id"].to_numpy()[episode_row],
            "_submitter": episodes["_submitter"].to_numpy()[episode_row],
            "top_date": np.concatenate([starts[1], reviews[1], exits[1]]),
            "stage": stage,
            "_stage_order": np.select([stage == "S", stage == "R"], [0, 1], 2),
            "_reason": np.where(stage == "E", reason[episode_row], ""),
        }
    )
    tops = tops[tops["top_date"] <= horizon].reset_index(drop=True)
    tops["_k"] = _review_numbers(journeys, episodes, tops)
    return tops


def _start_tops(rng, episodes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(episode row, day): one on or just after triage, never after the discharge."""
    triage = episodes["triage_date"].to_numpy()
    discharge = episodes["discharge_date"].to_numpy()
    day = triage + _uniform_int(rng, 0, 3, len(triage))
    day = np.where(discharge != MISSING, np.minimum(day, discharge), day)
    return np.arange(len(triage)), day


def _review_tops(rng, episodes: pd.DataFrame, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Every quarter, a week either way, while the episode is open (not in its last days,
    when the exit TOP is due instead); a parked episode (gaming.py) has none after its 180th day."""
    triage = episodes["triage_date"].to_numpy()
    discharge = episodes["discharge_date"].to_numpy()
    last_review_day = np.where(discharge != MISSING, discharge - 4, horizon)
    last_review_day = np.where(
        episodes["_parked"].to_numpy(), np.minimum(last_review_day, triage + rates.PARK_AFTER_DAYS), last_review_day
    )
    quarters = max(1, int(np.max(last_review_day - triage, initial=0)) // rates.REVIEW_EVERY_DAYS + 1)
    k = np.arange(1, quarters + 1)
    jitter = rng.integers(-7, 8, (len(triage), quarters))
    day = triage[:, None] + k[None, :] * rates.REVIEW_EVERY_DAYS + jitter
    due = day <= last_review_day[:, None]
    return np.nonzero(due)[0], day[due]


def _exit_tops(rng, episodes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """On the discharge day: nearly always after a completion, less often otherwise."""
    discharge = episodes["discharge_date"].to_numpy()
    reason = episodes["discharge_reason"].to_numpy()
    share = np.select(
        [np.isin(reason, SUCCESSFUL_DISCHARGE_CODES), np.isin(reason, TRANSFER_DISCHARGE_CODES), reason == "89"],
        [rates.EXIT_TOP_SHARE["COMPLETED"], rates.EXIT_TOP_SHARE["TRANSFER"], rates.EXIT_TOP_SHARE["89"]],
        rates.EXIT_TOP_SHARE["OTHER"],
    )
    rows = np.flatnonzero((discharge != MISSING) & (rng.random(len(discharge)) < share))
    return rows, discharge[rows]


def _review_numbers(journeys: pd.DataFrame, episodes: pd.DataFrame, tops: pd.DataFrame) -> np.ndarray:
    """Whole quarters since the journey's start; 0 only for the journey's first start TOP."""
    journey = tops["_journey"].to_numpy()
    since_start = tops["top_date"].to_numpy() - journeys["triage_day"].to_numpy()[journey]
    quarters = np.rint(since_start / rates.REVIEW_EVERY_DAYS).astype(np.int64)
    # Episodes are sorted by journey with the first episode first.
    first_episode = episodes["episode_id"].to_numpy()[np.searchsorted(episodes["_journey"].to_numpy(), journey)]
    baseline = (tops["stage"].to_numpy() == "S") & (tops["episode_id"].to_numpy() == first_episode)
    return np.where(baseline, 0, np.maximum(quarters, 1))


def _top_values(rng, journeys: pd.DataFrame, traits: dict, tops: pd.DataFrame) -> pd.DataFrame:
    n = len(tops)
    j = tops["_journey"].to_numpy()
    k = tops["_k"].to_numpy()
    reason = tops["_reason"].to_numpy()
    completed_clean = np.isin(reason, ["80", "81"])
    occasional = reason == "82"
    completed = completed_clean | occasional

    primary_abstinent = np.select(
        [k == 0, k == 1, k == 2],
        [False, journeys["abstinent_3m"].to_numpy()[j], journeys["abstinent_6m"].to_numpy()[j]],
        journeys["abstinent_later"].to_numpy()[j],
    )
    primary_abstinent = (primary_abstinent | completed_clean) & ~occasional
    secondary_abstinent = (
        np.where(k == 0, False, rng.random(n) < np.where(primary_abstinent, *rates.SECONDARY_ABSTINENT))
        | completed_clean
    )

    values: dict[str, np.ndarray] = {}
    primary = journeys["primary"].to_numpy()[j]
    secondary = journeys["secondary"].to_numpy()[j]
    hides = traits["hides_other_use"][j]
    for s, name in enumerate(SUBSTANCES):
        days = np.where(hides, MISSING, 0)
        is_primary, is_secondary = primary == s, secondary == s
        days = np.where(is_primary, _days_used(rng, traits["primary_base"][j], k, primary_abstinent), days)
        days = np.where(is_primary & occasional, _uniform_int(rng, 1, 3, n), days)
        days = np.where(is_secondary, _days_used(rng, traits["secondary_base"][j], k, secondary_abstinent), days)
        values[DAY_COLUMN_OF_SUBSTANCE[name]] = days
    values["alcohol_units"] = _alcohol_units(rng, traits["units_base"][j], k, values["alcohol_days"])
    values["injecting_days"] = np.where(
        traits["injects"][j] & (k < traits["injecting_ceases_at"][j]) & ~completed,
        _days_used(rng, traits["injecting_base"][j], k, np.zeros(n, dtype=bool)),
        0,
    )
    crime_stops = primary_abstinent & (rng.random(n) < 0.85)
    values["shoplifting_days"] = _reduced(rng, traits["shoplifting_base"][j], k, crime_stops)
    values["drug_selling_days"] = _reduced(rng, traits["selling_base"][j], k, crime_stops)
    bonus = np.where(completed, 1.5, 0.0)
    for column, base, gain in (
        ("psych_health", "psych_base", "psych_gain"),
        ("phys_health", "phys_base", "phys_gain"),
        ("quality_of_life", "quality_base", "quality_gain"),
    ):
        score = traits[base][j] + traits[gain][j] * np.minimum(k, 4) + rng.normal(0, 1, n) + bonus
        values[column] = np.clip(np.rint(score), 0, 20).astype(np.int64)
    unresolved = k < traits["housing_resolved_at"][j]
    values["acute_housing_problem"] = np.where(traits["housing_problem"][j] & unresolved, "Y", "N").astype(object)
    values["risk_of_eviction"] = np.where(traits["eviction_risk"][j] & unresolved, "Y", "N").astype(object)
    work = traits["work_base"][j]
    finds_work = (work == 0) & (rng.random(n) < np.minimum(0.05 * k, 0.25))
    values["paid_work_days"] = np.where(finds_work, _uniform_int(rng, 4, 20, n), work)
    values["education_days"] = traits["education_base"][j]
    return pd.DataFrame({name: np.asarray(v) for name, v in values.items()}, index=tops.index)


def _days_used(rng, base: np.ndarray, k: np.ndarray, abstinent: np.ndarray) -> np.ndarray:
    """Days used in the past 28: the baseline at k = 0, less later, none when abstinent."""
    later = np.clip(np.rint(base * rng.uniform(0.25, 1.0, len(base))), 1, 28)
    return np.where(abstinent, 0, np.where(k == 0, base, later)).astype(np.int64)


def _reduced(rng, base: np.ndarray, k: np.ndarray, stops: np.ndarray) -> np.ndarray:
    later = np.rint(base * rng.uniform(0.3, 1.0, len(base)))
    return np.where(k == 0, base, np.where(stops, 0, later)).astype(np.int64)


def _alcohol_units(rng, base: np.ndarray, k: np.ndarray, alcohol_days: np.ndarray) -> np.ndarray:
    """Units on a typical drinking day (tenths): none on no drinking days, blank if undisclosed."""
    later = np.rint(base * rng.uniform(0.4, 1.0, len(base)))
    units = np.where(k == 0, base, later)
    units = np.where(alcohol_days == 0, 0, units)
    return np.where(alcohol_days == MISSING, MISSING, units).astype(np.int64)
