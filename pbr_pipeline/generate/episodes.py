"""Provider episodes: one per started journey, plus the Recovery episode of a conversion.

An episode is sent when treatment starts (open, no discharge) and sent again, with the same
episode_id, when it ends: the later window's version wins (spec/returns.md, supersession).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_contracts.tables import RETURN_TABLES
from pbr_pipeline.generate.dates import MISSING, windows_of

# Episode kinds: the journey's first episode, and the Recovery episode after a conversion.
MAIN, RECOVERY_AFTER_CONVERSION = 0, 1


def list_episodes(journeys: pd.DataFrame) -> pd.DataFrame:
    """One row per episode that exists (started), with its journey and a numeric episode_id."""
    started = np.flatnonzero(journeys["started"].to_numpy())
    converted = np.flatnonzero(journeys["converted"].to_numpy())
    main = pd.DataFrame(
        {
            "_journey": started,
            "kind": MAIN,
            "_submitter": journeys["provider"].to_numpy()[started],
            "pathway": journeys["pathway"].to_numpy()[started],
            "referral_date": journeys["referral_day"].to_numpy()[started],
            "triage_date": journeys["triage_day"].to_numpy()[started],
            "discharge_date": journeys["discharge_day"].to_numpy()[started],
            "discharge_reason": journeys["reason"].to_numpy()[started],
            "_parked": journeys["parked"].to_numpy()[started],
        }
    )
    recovery = pd.DataFrame(
        {
            "_journey": converted,
            "kind": RECOVERY_AFTER_CONVERSION,
            "_submitter": journeys["rec_provider"].to_numpy()[converted],
            "pathway": "RECOVERY",
            "referral_date": journeys["rec_referral_day"].to_numpy()[converted],
            "triage_date": journeys["rec_triage_day"].to_numpy()[converted],
            "discharge_date": journeys["rec_discharge_day"].to_numpy()[converted],
            "discharge_reason": journeys["rec_reason"].to_numpy()[converted],
            "_parked": journeys["rec_parked"].to_numpy()[converted],
        }
    )
    episodes = pd.concat([main, recovery], ignore_index=True)
    episodes = episodes.sort_values(["_journey", "kind"], kind="stable", ignore_index=True)
    episodes["episode_id"] = np.arange(1, len(episodes) + 1, dtype=np.int64)
    episodes["pbr_id"] = journeys["pbr_id"].to_numpy()[episodes["_journey"].to_numpy()]
    return episodes


def build_episode_records(episodes: pd.DataFrame) -> pd.DataFrame:
    """The open version of every episode and the closed version of those discharged."""
    columns = [*RETURN_TABLES["episodes"].column_names, "_submitter", "_journey"]
    opened = episodes[columns].copy()
    opened["discharge_date"] = MISSING
    opened["discharge_reason"] = ""
    opened["_event_day"] = opened["triage_date"]
    opened["_version"] = 0
    closed = episodes.loc[episodes["discharge_date"] != MISSING, columns].copy()
    closed["_event_day"] = closed["discharge_date"]
    closed["_version"] = 1
    records = pd.concat([opened, closed], ignore_index=True)
    records["deleted"] = ""
    records["_earliest_window"] = windows_of(records["_event_day"].to_numpy())
    return records
