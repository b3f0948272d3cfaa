"""One partition per monthly window, from the first contract month (April 2012)."""

from dagster import BackfillPolicy, MonthlyPartitionsDefinition

from pbr_pipeline.windows import FIRST_WINDOW

monthly_windows = MonthlyPartitionsDefinition(start_date=f"{FIRST_WINDOW}-01")

# A backfill runs one window per run: each window's payment run builds on the previous one's.
ONE_WINDOW_PER_RUN = BackfillPolicy.multi_run(max_partitions_per_run=1)

# Every asset that opens the warehouse runs in this pool: DuckDB allows one writer per file.
WAREHOUSE_POOL = "pbr_warehouse"


def window_of_partition(partition_key: str) -> str:
    """`2012-06-01` (a monthly partition key) -> `2012-06`."""
    return partition_key[:7]


def partition_of_window(window: str) -> str:
    return f"{window}-01"
