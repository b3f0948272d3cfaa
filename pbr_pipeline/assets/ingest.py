"""Ingest of landed submissions for the windows up to the run's last window."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from data_contracts.tables import TABLE_KEYS
from pbr_pipeline.assets.config import CONFIG_SPECS
from pbr_pipeline.codes import SubmissionStatus
from pbr_pipeline.ingest.conservation import conservation_breaches
from pbr_pipeline.ingest.run import IngestSummary, ingest_up_to
from pbr_pipeline.partitions import ONE_RUN_PER_RANGE, monthly_windows, windows_of_run
from pbr_pipeline.progress import report_range
from pbr_pipeline.resources import PipelineSettings
from pbr_pipeline.warehouse import connect

SUBMISSIONS_KEY = ["quality", "submissions"]
CONFIG_KEYS = [spec.key for spec in CONFIG_SPECS]
INGEST_SPECS = [
    AssetSpec(
        ["raw", table],
        group_name="returns",
        deps=CONFIG_KEYS,
        description=f"raw.{table}: loaded {table}.csv rows with lineage.",
    )
    for table in TABLE_KEYS
] + [
    AssetSpec(
        SUBMISSIONS_KEY,
        group_name="returns",
        deps=CONFIG_KEYS,
        description=(
            "quality.submissions, submission_files and quarantine: every submission seen, its status and row counts."
        ),
    )
]


def _summary_metadata(summary: IngestSummary) -> dict:
    outcomes = summary.outcomes
    return {
        "submissions_new": len(outcomes),
        "submissions_loaded": sum(o.status == SubmissionStatus.LOADED for o in outcomes),
        "submissions_rejected": sum(o.status == SubmissionStatus.REJECTED for o in outcomes),
        "rows_loaded": sum(o.rows_loaded for o in outcomes),
        "rows_quarantined": sum(o.rows_quarantined for o in outcomes),
        "already_seen": summary.skipped,
        "summary": MetadataValue.md(f"```\n{summary.table()}\n```"),
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
    for table in TABLE_KEYS:
        yield MaterializeResult(asset_key=["raw", table])
    yield MaterializeResult(asset_key=SUBMISSIONS_KEY, metadata=_summary_metadata(summary))
    yield AssetCheckResult(
        asset_key=SUBMISSIONS_KEY,
        check_name="conservation",
        passed=not breaches,
        severity=AssetCheckSeverity.ERROR,
        metadata={"breaches": len(breaches), "first_breaches": MetadataValue.json(breaches[:20])},
    )
