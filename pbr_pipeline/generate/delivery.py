"""When each record arrives: its window, late arrivals, versions, and retracted mistakes.

A record is sent in the window of the day it is about, or (at a small known rate) one to three
windows late. A record sent twice (an episode or employment spell opened, then closed) must
arrive in a later window the second time, or the older version would win; when both would land
in one window only the newer one is sent, since one file must not hold a key twice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pbr_pipeline.generate import rates
from pbr_pipeline.generate.areas import Registry
from pbr_pipeline.generate.dates import MISSING, windows_of
from pbr_pipeline.generate.tables import columns, key_column


def lateness(rng, n: int) -> np.ndarray:
    shares = rates.LATENESS_SHARES
    return rng.choice(len(shares), n, p=shares).astype(np.int64)


def deliver(rng, table: pd.DataFrame, table_name: str, first_window: int, last_window: int) -> pd.DataFrame:
    """Give every row its window (`_win`) and drop what arrives after the last window."""
    earliest = windows_of(table["_event_day"].to_numpy())
    if "_earliest_window" in table:
        earliest = np.maximum(earliest, table["_earliest_window"].to_numpy())
    table = table.copy()
    table["_win"] = np.maximum(earliest + lateness(rng, len(table)), first_window)
    if "_version" in table:
        table = _order_versions(table, key_column(table_name))
    return table[table["_win"] <= last_window].reset_index(drop=True)


def _order_versions(table: pd.DataFrame, key: str) -> pd.DataFrame:
    opened = table["_version"].to_numpy() == 0
    open_window = pd.Series(table["_win"].to_numpy()[opened], index=table[key].to_numpy()[opened])
    closed = ~opened
    closed_keys = table[key].to_numpy()[closed]
    first_sent = open_window.reindex(closed_keys).to_numpy()
    window = table["_win"].to_numpy().copy()
    window[closed] = np.maximum(window[closed], first_sent)
    table["_win"] = window
    superseded_in_same_window = pd.Series(window[closed], index=closed_keys).reindex(table[key].to_numpy()).to_numpy()
    drop = opened & (superseded_in_same_window == window)
    return table[~drop]


def add_retracted_mistakes(rng, table: pd.DataFrame, table_name: str, share: float, last_window: int) -> pd.DataFrame:
    """Copies of a few records entered in error (a second id), retracted one to three windows
    later with a `deleted = Y` row that keeps only the key and pbr_id."""
    key = key_column(table_name)
    if table.empty:
        return table.assign(_mistake=False)
    retract_window = table["_win"].to_numpy() + rng.integers(1, 4, len(table))
    chosen = (rng.random(len(table)) < share) & (retract_window <= last_window) & (table["deleted"].to_numpy() == "")
    mistakes = table[chosen].copy()
    mistakes[key] = table[key].max() + 1 + np.arange(len(mistakes))
    mistakes["_mistake"] = True
    retractions = mistakes[[key, "pbr_id", "_submitter"]].copy()
    for column in columns(table_name):
        if column.name not in (key, "pbr_id"):
            retractions[column.name] = "" if column.kind == "text" else MISSING
    retractions["deleted"] = "Y"
    retractions["_win"] = retract_window[chosen]
    retractions["_mistake"] = True
    table = table.assign(_mistake=False)
    return pd.concat([table, mistakes, retractions], ignore_index=True)


def finish(table: pd.DataFrame, table_name: str, registry: Registry) -> pd.DataFrame:
    """Keep the spec columns and the bookkeeping ones; submitter codes become registry indexes."""
    if "_mistake" not in table:
        table = table.assign(_mistake=False)
    index = registry.index()
    names = [c.name for c in columns(table_name)]
    result = table[names].copy()
    codes, inverse = np.unique(table["_submitter"].to_numpy().astype(str), return_inverse=True)
    result["_sub"] = np.array([index[code] for code in codes], dtype=np.int64)[inverse.ravel()]
    result["_win"] = table["_win"].to_numpy().astype(np.int64)
    result["_mistake"] = table["_mistake"].to_numpy().astype(bool)
    result["_initial"] = (
        table["assessment_type"].to_numpy() == "INITIAL" if table_name == "assessments" else np.zeros(len(table), bool)
    )
    result["_uid"] = np.arange(len(result), dtype=np.int64)
    return result
