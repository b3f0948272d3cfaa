"""One partition per monthly window, from the first contract month (April 2012).

A partition key is the window itself (`2012-04`), as the spec, the exports and the warehouse
write it: no mapping between the two.
"""

from dagster import BackfillPolicy, MonthlyPartitionsDefinition

# The tags of a run over a range of partitions, as Dagster's own backfills set them (not
# exported by the dagster package itself).
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from pbr_pipeline.windows import FIRST_WINDOW, check_not_before_first, window_range

monthly_windows = MonthlyPartitionsDefinition(start_date=FIRST_WINDOW, fmt="%Y-%m")

# A backfill is one run over its whole range: the windows are data to the models, which
# compute them all in one build, oldest first where order matters (each window's payment
# lines compare with the window before).
ONE_RUN_PER_RANGE = BackfillPolicy.single_run()

# The last window that the same request runs, set by `pbr run`: a window that later runs
# build on may be re-run only by a request that re-runs them too.
RERUN_THROUGH_TAG = "pbr/rerun_through"


def windows_of_run(context) -> list[str]:
    """The windows a run computes, oldest first: its partition range (one window for a single
    partition, the whole range for a backfill or `pbr run --from --to`)."""
    keys = context.partition_key_range
    return window_range(keys.start, keys.end)


def range_tags(windows: list[str]) -> dict[str, str]:
    """The run tags that make one run of every window from first to last."""
    return {
        ASSET_PARTITION_RANGE_START_TAG: windows[0],
        ASSET_PARTITION_RANGE_END_TAG: windows[-1],
    }


def check_windows_can_run(windows: list[str]) -> None:
    """The windows are partitions of the job, said in the project's words before Dagster is
    asked: from the first window to the last month that is over (the latest partition)."""
    check_not_before_first(windows[0])
    latest = monthly_windows.get_last_partition_key()
    if windows[-1] > latest:
        raise ValueError(f"{windows[-1]} is after the latest window {latest}: a window is run once its month is over")
