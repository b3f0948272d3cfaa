"""How far the request that started a run goes: the last window it runs.

A window that later runs build on may be re-run only by a request that re-runs them too
(`payments/runs.py`, `check_run_order`). A run computes a range of windows (one, for a single
partition); `pbr run` also says how far its request goes in a run tag, and a backfill launched
from the UI is a request for every window it targets.
"""

from __future__ import annotations

import duckdb
from dagster import AssetExecutionContext

from pbr_pipeline.partitions import RERUN_THROUGH_TAG, windows_of_run
from pbr_pipeline.payments.runs import check_run_order, windows_run

BACKFILL_TAG = "dagster/backfill"


def _backfill_windows(context: AssetExecutionContext, backfill_id: str) -> list[str]:
    backfill = context.instance.get_backfill(backfill_id)
    if backfill is None:
        return []
    if backfill.is_asset_backfill:
        # Imported here: the definitions import this module. They are those of this run.
        from pbr_pipeline.definitions import defs

        names = backfill.get_asset_backfill_data(defs.resolve_asset_graph()).get_partition_names()
    else:
        names = backfill.partition_names or []
    return sorted(names)


def rerun_through(context: AssetExecutionContext) -> str:
    """The last window of the request: the run's own last window, or further when the
    request (a `pbr run` tag, a UI backfill) goes further."""
    last = windows_of_run(context)[-1]
    tags = context.run.tags
    requested = None
    if tags.get(RERUN_THROUGH_TAG):
        requested = tags[RERUN_THROUGH_TAG]
    elif tags.get(BACKFILL_TAG):
        windows = _backfill_windows(context, tags[BACKFILL_TAG])
        requested = windows[-1] if windows else None
    return max(last, requested) if requested else last


def check_windows_may_run(context: AssetExecutionContext, con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every asset that writes the run's windows checks the order first (in the UI, any of
    them can be materialised on its own), and gets the windows, oldest first."""
    windows = windows_of_run(context)
    check_run_order(windows_run(con), windows[0], rerun_through(context))
    return windows
