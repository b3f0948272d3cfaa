"""Service users and their treatment journeys: who arrives, when, with what, and how it ends.

One row per journey (an INITIAL assessment and the treatment that follows). People arrive in
each area at a steady monthly rate; a share of those who leave treatment come back within a
year (a re-presentation), in the same area under the same pbr_id or, sometimes, in another
area under a new pbr_id with the same initials, date of birth and sex. Each round of
re-presentations is simulated like the arrivals before it, until none falls inside the range.

Everything is vectorised over journeys: a national population is a few hundred thousand rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pbr_pipeline.codes import DECLINED_OR_DROPPED_DISCHARGE_CODES, SUBSTANCES, SUCCESSFUL_DISCHARGE_CODES
from pbr_pipeline.generate import rates
from pbr_pipeline.generate.areas import AreaPlan
from pbr_pipeline.generate.dates import MISSING, window_first_day, window_last_day

if TYPE_CHECKING:
    from pbr_pipeline.generate.gaming import GamingPlan

SUBSTANCE_INDEX = {name: i for i, name in enumerate(SUBSTANCES)}
OPIATES, CRACK, ALCOHOL = (SUBSTANCE_INDEX[s] for s in ("OPIATES", "CRACK", "ALCOHOL"))
NO_SUBSTANCE = -1

# Initial letters weighted roughly as English first names and surnames begin.
_INITIAL_LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), dtype=object)
_INITIAL_WEIGHTS = np.array([6, 6, 6, 6, 3, 2, 4, 5, 1, 9, 4, 5, 8, 3, 1, 5, 0.2, 5, 8, 4, 0.3, 1, 4, 0.1, 1, 0.3])
_INITIAL_WEIGHTS = _INITIAL_WEIGHTS / _INITIAL_WEIGHTS.sum()
_SEXES = np.array(list(rates.SEX_SHARES), dtype=object)


def simulate_journeys(
    rng: np.random.Generator, plans: list[AreaPlan], first_window: int, last_window: int, gaming: GamingPlan
) -> pd.DataFrame:
    horizon = window_last_day(last_window)
    sizes = np.array([p.annual_journeys for p in plans], dtype=float)
    current = _arrivals(rng, plans, first_window, last_window)
    rounds = []
    while len(current):
        _treat(rng, current, plans, horizon, gaming)
        rounds.append(current)
        current = _re_presentations(rng, current, sizes, horizon)
    journeys = pd.concat(rounds, ignore_index=True)
    journeys["pbr_id"] = _pbr_ids(journeys, plans)
    return journeys


# --- arrivals ------------------------------------------------------------------------------


def _arrivals(rng, plans, first_window, last_window) -> pd.DataFrame:
    months = np.arange(first_window, last_window + 1)
    month_start = np.array([window_first_day(m) for m in months])
    month_length = np.array([window_last_day(m) for m in months]) - month_start + 1
    monthly = np.array([p.annual_journeys for p in plans]) * rates.NEW_PERSON_SHARE / 12
    counts = rng.poisson(np.outer(monthly, np.ones(len(months))))  # area x month
    area = np.repeat(np.repeat(np.arange(len(plans)), len(months)), counts.ravel())
    month = np.tile(np.arange(len(months)), len(plans)).repeat(counts.ravel())
    day = month_start[month] + (rng.random(len(month)) * month_length[month]).astype(np.int64)
    n = len(day)
    primary = _draw_primary(rng, n)
    journeys = pd.DataFrame(
        {
            "person": np.arange(n, dtype=np.int64),
            "area": area.astype(np.int64),
            "round": np.zeros(n, dtype=np.int64),
            "assess_day": day,
            "sex": rng.choice(_SEXES, n, p=list(rates.SEX_SHARES.values())),
            "initials": _draw_initials(rng, n),
            "primary": primary,
        }
    )
    journeys["dob"] = _draw_birth_days(rng, journeys["assess_day"].to_numpy(), primary)
    _make_attributes_unique(rng, journeys)
    return journeys


def _draw_primary(rng, n: int) -> np.ndarray:
    names = list(rates.PRIMARY_SUBSTANCE_SHARES)
    picks = rng.choice(len(names), n, p=list(rates.PRIMARY_SUBSTANCE_SHARES.values()))
    return np.array([SUBSTANCE_INDEX[name] for name in names], dtype=np.int64)[picks]


def _draw_initials(rng, n: int) -> np.ndarray:
    first = rng.choice(_INITIAL_LETTERS, n, p=_INITIAL_WEIGHTS)
    second = rng.choice(_INITIAL_LETTERS, n, p=_INITIAL_WEIGHTS)
    return (first + second).astype(object)


def _draw_ages(rng, primary: np.ndarray) -> np.ndarray:
    mean = np.full(len(primary), float(rates.AGE_OTHERWISE[0]))
    sd = np.full(len(primary), float(rates.AGE_OTHERWISE[1]))
    for name, (m, s) in rates.AGE_BY_SUBSTANCE.items():
        mask = primary == SUBSTANCE_INDEX[name]
        mean[mask], sd[mask] = m, s
    return np.clip(np.round(rng.normal(mean, sd)), *rates.AGE_LIMITS).astype(np.int64)


def _draw_birth_days(rng, assess_day: np.ndarray, primary: np.ndarray) -> np.ndarray:
    # 20..340 days past the birthday keeps the age in whole years exact whatever leap years fall
    # in between, so no clean row comes near the 18..100 limits by accident.
    ages = _draw_ages(rng, primary)
    past_birthday = rng.integers(20, 341, len(ages))
    return assess_day - np.floor(ages * 365.25).astype(np.int64) - past_birthday


def _make_attributes_unique(rng, journeys: pd.DataFrame) -> None:
    """Redraw birth dates until no two people share initials, date of birth and sex.

    The pipeline links journeys across areas by a hash of those three: a chance collision would
    look like a re-presentation and change D4 outcomes, which the data must not do by accident.
    """
    while True:
        duplicated = journeys.duplicated(["initials", "dob", "sex"]).to_numpy()
        if not duplicated.any():
            return
        rows = np.flatnonzero(duplicated)
        journeys.loc[rows, "dob"] = _draw_birth_days(
            rng, journeys["assess_day"].to_numpy()[rows], journeys["primary"].to_numpy()[rows]
        )


# --- treatment -----------------------------------------------------------------------------


def _treat(rng, journeys: pd.DataFrame, plans: list[AreaPlan], horizon: int, gaming: GamingPlan) -> None:
    """Fill in assessment choices, episodes and their ends for one round of journeys."""
    _assessment_choices(rng, journeys, plans)
    _first_episode(rng, journeys, horizon, gaming.turned_away(journeys, plans))
    gaming.change_discharges(journeys)
    _final_discharge(journeys)
    _draw_abstinence(rng, journeys)


def _assessment_choices(rng, journeys: pd.DataFrame, plans: list[AreaPlan]) -> None:
    """Secondary substance, band, pathway and the provider the LASAR refers to."""
    n = len(journeys)
    primary = journeys["primary"].to_numpy()
    secondary = _draw_secondary(rng, primary)
    journeys["secondary"] = secondary
    complex_user = np.isin(primary, [OPIATES, CRACK])
    journeys["band_rank"] = np.where(
        complex_user,
        rng.choice(3, n, p=rates.BAND_SHARES_COMPLEX),
        rng.choice(3, n, p=rates.BAND_SHARES_OTHER),
    )
    harm_min_share = np.where(
        primary == OPIATES,
        rates.HARM_MIN_SHARE_OPIATE_PRIMARY,
        np.where(secondary == OPIATES, rates.HARM_MIN_SHARE_OPIATE_SECONDARY, 0.0),
    )
    harm_min = rng.random(n) < harm_min_share
    journeys["pathway"] = np.where(harm_min, "HARM_MIN", "RECOVERY").astype(object)
    journeys["provider"] = _route(rng, journeys, plans)
    journeys["converts_possible"] = harm_min & np.array(
        [plans[a].converts for a in journeys["area"].to_numpy()], dtype=bool
    )
    journeys["rec_provider"] = np.array(
        [plans[a].pathway_providers.get("RECOVERY", "") for a in journeys["area"].to_numpy()], dtype=object
    )


def _first_episode(rng, journeys: pd.DataFrame, horizon: int, turned_away: np.ndarray) -> None:
    """Referral, triage and discharge of the first episode, and of a conversion's Recovery one;
    none for the journeys a provider turned away (gaming.py)."""
    n = len(journeys)
    harm_min = journeys["pathway"].to_numpy() == "HARM_MIN"
    started = (rng.random(n) >= rates.NEVER_STARTED_SHARE) & ~turned_away
    referral = journeys["assess_day"].to_numpy() + rng.integers(0, 8, n)
    triage = referral + rng.integers(1, 22, n)
    duration = np.where(
        harm_min, _durations(rng, n, rates.DURATION_HARM_MIN), _durations(rng, n, rates.DURATION_RECOVERY)
    )
    reason = _draw_reasons(rng, journeys["primary"].to_numpy(), journeys["secondary"].to_numpy())
    journeys["started"] = started
    journeys["referral_day"] = np.where(started, referral, MISSING)
    journeys["triage_day"] = np.where(started, triage, MISSING)

    # A conversion ends the Harm Minimisation episode as a transfer (83); the Recovery episode
    # that follows takes the outcome (reason) drawn for the journey.
    converted = started & journeys["converts_possible"].to_numpy() & (rng.random(n) < rates.CONVERSION_SHARE)
    conversion_day = triage + rng.integers(90, 361, n)
    main_end = np.where(converted, conversion_day, triage + duration)
    main_reason = np.where(converted, "83", reason)
    rec_triage = conversion_day + rng.integers(2, 15, n)
    rec_end = rec_triage + _durations(rng, n, rates.DURATION_RECOVERY)
    journeys["converted"] = converted
    journeys["discharge_day"], journeys["reason"] = _censor(main_end, main_reason, started, horizon)
    journeys["rec_provider"] = np.where(converted, journeys["rec_provider"].to_numpy(), "")
    journeys["rec_referral_day"] = np.where(converted, conversion_day, MISSING)
    journeys["rec_triage_day"] = np.where(converted, rec_triage, MISSING)
    journeys["rec_discharge_day"], journeys["rec_reason"] = _censor(rec_end, reason, converted, horizon)


def _final_discharge(journeys: pd.DataFrame) -> None:
    """How the journey's treatment ends: with its last episode."""
    converted = journeys["converted"].to_numpy()
    journeys["final_discharge_day"] = np.where(converted, journeys["rec_discharge_day"], journeys["discharge_day"])
    journeys["final_reason"] = np.where(converted, journeys["rec_reason"], journeys["reason"])


def _draw_secondary(rng, primary: np.ndarray) -> np.ndarray:
    secondary = np.full(len(primary), NO_SUBSTANCE, dtype=np.int64)
    draws = rng.random(len(primary))
    for name, shares in rates.SECONDARY_SUBSTANCE_SHARES.items():
        mask = primary == SUBSTANCE_INDEX[name]
        low = 0.0
        for other, share in shares.items():
            pick = mask & (draws >= low) & (draws < low + share)
            secondary[pick] = SUBSTANCE_INDEX[other]
            low += share
    return secondary


def _route(rng, journeys: pd.DataFrame, plans: list[AreaPlan]) -> np.ndarray:
    area = journeys["area"].to_numpy()
    pathway = journeys["pathway"].to_numpy()
    draws = rng.random(len(area))
    provider = np.empty(len(area), dtype=object)
    for plan in plans:
        mask = area == plan.index
        if plan.pathway_providers:
            provider[mask] = [plan.pathway_providers[p] for p in pathway[mask]]
        else:
            choices = np.array(plan.providers, dtype=object)
            provider[mask] = choices[(draws[mask] * len(choices)).astype(np.int64)]
    return provider


def _durations(rng, n: int, median_sigma: tuple[float, float]) -> np.ndarray:
    median, sigma = median_sigma
    days = rng.lognormal(np.log(median), sigma, n)
    return np.clip(np.round(days), *rates.DURATION_LIMITS).astype(np.int64)


def _draw_reasons(rng, primary: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    names = list(rates.DISCHARGE_SHARES)
    reason = np.array(names, dtype=object)[
        rng.choice(len(names), len(primary), p=list(rates.DISCHARGE_SHARES.values()))
    ]
    # Which completion code fits the user: alcohol free, drug free, or (not for opiate or crack
    # users) occasional use.
    hard_drugs = np.isin(primary, [OPIATES, CRACK]) | np.isin(secondary, [OPIATES, CRACK])
    completion = np.where(primary == ALCOHOL, "81", np.where(hard_drugs | (rng.random(len(primary)) < 0.5), "80", "82"))
    return np.where(reason == "COMPLETED", completion, reason).astype(object)


def _censor(end: np.ndarray, reason: np.ndarray, exists: np.ndarray, horizon: int):
    """An episode still open on the last day of the range has no discharge yet."""
    closed = exists & (end <= horizon)
    return np.where(closed, end, MISSING), np.where(closed, reason, "").astype(object)


def _draw_abstinence(rng, journeys: pd.DataFrame) -> None:
    n = len(journeys)
    share = np.array([rates.ABSTINENT_AT_SIX_MONTHS[s] for s in SUBSTANCES])[journeys["primary"].to_numpy()]
    six = rng.random(n) < share
    three = rng.random(n) < np.where(six, *rates.ABSTINENT_AT_THREE_MONTHS)
    later = rng.random(n) < np.where(six, *rates.ABSTINENT_LATER)
    journeys["abstinent_3m"], journeys["abstinent_6m"], journeys["abstinent_later"] = three, six, later


# --- re-presentations ----------------------------------------------------------------------


def _re_presentations(rng, journeys: pd.DataFrame, sizes: np.ndarray, horizon: int) -> pd.DataFrame:
    reason = journeys["final_reason"].to_numpy()
    ended = journeys["final_discharge_day"].to_numpy()
    share = np.where(
        np.isin(reason, SUCCESSFUL_DISCHARGE_CODES),
        rates.REPRESENT_AFTER_COMPLETION,
        np.where(np.isin(reason, DECLINED_OR_DROPPED_DISCHARGE_CODES), rates.REPRESENT_AFTER_DROP_OUT, 0.0),
    )
    back_day = ended + rng.integers(14, 366, len(ended))
    returns = (ended != MISSING) & (rng.random(len(ended)) < share) & (back_day <= horizon)
    rows = np.flatnonzero(returns)
    area = journeys["area"].to_numpy()[rows]
    elsewhere = rng.random(len(rows)) < rates.REPRESENT_IN_ANOTHER_AREA
    if len(sizes) > 1:
        other = rng.choice(len(sizes), len(rows), p=sizes / sizes.sum())
        other = np.where(other == area, (area + 1) % len(sizes), other)
        area = np.where(elsewhere, other, area)
    primary = journeys["primary"].to_numpy()[rows]
    primary = np.where(rng.random(len(rows)) < 0.85, primary, _draw_primary(rng, len(rows)))
    source = journeys.iloc[rows]
    return pd.DataFrame(
        {
            "person": source["person"].to_numpy(),
            "area": area,
            "round": source["round"].to_numpy() + 1,
            "assess_day": back_day[rows],
            "sex": source["sex"].to_numpy(),
            "initials": source["initials"].to_numpy(),
            "primary": primary,
            "dob": source["dob"].to_numpy(),
        }
    )


def _pbr_ids(journeys: pd.DataFrame, plans: list[AreaPlan]) -> np.ndarray:
    """The LASAR's id for each person in its area, numbered in order of first assessment.

    The same person keeps the id on coming back to the same area; another area's LASAR does not
    know them and issues its own.
    """
    firsts = (
        journeys.groupby(["area", "person"], sort=False)["assess_day"]
        .min()
        .reset_index()
        .sort_values(["area", "assess_day", "person"], kind="stable")
    )
    firsts["number"] = firsts.groupby("area").cumcount() + 1
    if (firsts["number"] > 999_999).any():
        raise ValueError("an area has more than 999,999 service users: pbr_id has six digits")
    codes = np.array([p.code for p in plans], dtype=object)
    firsts["pbr_id"] = codes[firsts["area"].to_numpy()] + "-" + firsts["number"].map("{:06d}".format)
    ids = journeys[["area", "person"]].merge(firsts[["area", "person", "pbr_id"]], how="left")
    return ids["pbr_id"].to_numpy()
