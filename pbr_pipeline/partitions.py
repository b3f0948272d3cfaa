"""One partition per monthly window, from the first contract month (April 2012)."""

from dagster import BackfillPolicy, MonthlyPartitionsDefinition

from pbr_pipeline.windows import FIRST_WINDOW

monthly_windows = MonthlyPartitionsDefinition(start_date=f"{FIRST_WINDOW}-01")

# A backfill runs one window per run: each window's payment run builds on the previous one's.
ONE_WINDOW_PER_RUN = BackfillPolicy.multi_run(max_partitions_per_run=1)

# The last window that the same request runs, set by `pbr run` on each window's run: a window
# that later runs build on may be re-run only by a request that re-runs them too.
RERUN_THROUGH_TAG = "pbr/rerun_through"


def window_of_partition(partition_key: str) -> str:
    """`2012-06-01` (a monthly partition key) -> `2012-06`."""
    return partition_key[:7]


def partition_of_window(window: str) -> str:
    return f"{window}-01"
