"""Ingest of landed submissions for the windows up to the run's last window."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from data_contracts.tables import AREA_BANDS, RETURN_TABLES, TABLE_KEYS
from pbr_pipeline.assets.display import count_value, table_value
from pbr_pipeline.codes import SubmissionStatus
from pbr_pipeline.ingest.conservation import conservation_breaches
from pbr_pipeline.ingest.run import IngestSummary, ingest_up_to
from pbr_pipeline.partitions import ONE_RUN_PER_RANGE, monthly_windows, windows_of_run
from pbr_pipeline.progress import report_range
from pbr_pipeline.resources import PipelineSettings
from pbr_pipeline.warehouse import connect

SUBMISSIONS_KEY = AssetKey(["quality", "submissions"])
# What ingest checks against (spec/returns.md), as the graph shows it: a submission against the
# declared submitters (who may send which table, for which area), and a table's rows are loaded
# only from a submission it accepted, each row checked against the codes the configuration
# gives (an area's tariff bands). Ingest reads no contract, schedule or weight. The dependency on
# the configuration also runs its step first.
SUBMITTERS_KEY = AssetKey(["config", "submitters"])
BANDS_KEY = AssetKey(["config", "schedule_bands"])


def _checked_against(table: str) -> list[AssetKey]:
    bands = any(column.codes_from == AREA_BANDS for column in RETURN_TABLES[table].columns)
    return [SUBMISSIONS_KEY] + ([BANDS_KEY] if bands else [])


INGEST_SPECS = [
    AssetSpec(
        SUBMISSIONS_KEY,
        group_name="returns",
        deps=[SUBMITTERS_KEY],
        description=(
            "Every submission seen, its status and row counts (quality.submissions), its files and the rows "
            "quarantined with their reasons."
        ),
    )
] + [
    AssetSpec(
        ["raw", table],
        group_name="returns",
        deps=_checked_against(table),
        description=f"{RETURN_TABLES[table].description} The rows of each `{table}.csv` loaded, with their lineage.",
    )
    for table in TABLE_KEYS
]


AREA_COLUMNS = [
    ("area", "text"),
    ("loaded", "count"),
    ("rejected", "count"),
    ("duplicate", "count"),
    ("rows_loaded", "count"),
    ("rows_quarantined", "count"),
]


def summary_metadata(summary: IngestSummary) -> dict:
    """What the UI shows of an ingest: counts of the submissions it saw, and a table per area."""
    outcomes = summary.outcomes
    by_area = [
        (area, t.loaded, t.rejected, t.duplicate, t.rows_loaded, t.rows_quarantined)
        for area, t in summary.by_area().items()
    ]
    return {
        "submissions_new": count_value(len(outcomes)),
        "submissions_loaded": count_value(sum(o.status == SubmissionStatus.LOADED for o in outcomes)),
        "submissions_rejected": count_value(sum(o.status == SubmissionStatus.REJECTED for o in outcomes)),
        "rows_loaded": count_value(sum(o.rows_loaded for o in outcomes)),
        "rows_quarantined": count_value(sum(o.rows_quarantined for o in outcomes)),
        "already_seen": count_value(summary.skipped),
        "by_area": table_value(AREA_COLUMNS, by_area),
    }


@multi_asset(
    specs=INGEST_SPECS,
    check_specs=[
        AssetCheckSpec(
            "conservation",
            asset=SUBMISSIONS_KEY,
            blocking=True,
            description="Per file: rows in = rows loaded + rows quarantined, and the tables hold exactly those rows.",
        )
    ],
    partitions_def=monthly_windows,
    backfill_policy=ONE_RUN_PER_RANGE,
    name="landed_submissions",
)
def landed_submissions(context: AssetExecutionContext, pipeline: PipelineSettings):
    """Every submission landed under PBR_LANDING_DIR for a window up to the run's last one,
    oldest first, checked (spec/returns.md), its rows validated by the data contracts and
    loaded, or quarantined. The models then see, as of each window, only what it may see."""
    settings = pipeline.settings()
    settings.warn_if_development_key(context.log)
    windows = windows_of_run(context)
    with connect(settings.warehouse) as con:
        summary = ingest_up_to(
            con, settings.landing_dir, pipeline.areas(), windows[-1], settings.pseudonym_key, context.log
        )
        breaches = conservation_breaches(con)
    context.log.info(summary.table())
    report_range(context, windows, "ingest", summary.one_line())
    # The submissions first: a table's rows depend on them (Dagster wants a step's assets in order).
    yield MaterializeResult(asset_key=SUBMISSIONS_KEY, metadata=summary_metadata(summary))
    for table in TABLE_KEYS:
        yield MaterializeResult(asset_key=["raw", table])
    yield AssetCheckResult(
        asset_key=SUBMISSIONS_KEY,
        check_name="conservation",
        passed=not breaches,
        severity=AssetCheckSeverity.ERROR,
        metadata={"breaches": count_value(len(breaches)), "first_breaches": MetadataValue.json(breaches[:20])},
    )
