"""The area configuration, validated and published to the warehouse before anything else."""

from dagster import AssetExecutionContext, AssetSpec, MaterializeResult, multi_asset

from pbr_pipeline.assets.display import count_value
from pbr_pipeline.assets.run_order import check_windows_may_run
from pbr_pipeline.config.publish import CONFIG_TABLES, publish_config
from pbr_pipeline.partitions import ONE_RUN_PER_RANGE, monthly_windows
from pbr_pipeline.progress import report_range
from pbr_pipeline.resources import PipelineSettings
from pbr_pipeline.warehouse import connect

# What each table holds, first: the graph shows a description's first line.
CONFIG_CONTENTS = {
    "areas": "The configured areas: rule set and quality-of-life norm.",
    "submitters": "Who may submit: each area's declared submitters and their role.",
    "reliable_change": "Reliable-change thresholds in days, per area and substance.",
    "contracts": "Provider contracts: dates and optional annual cap.",
    "schedules": "Tariff schedules per area by effective date, with the conversion payment.",
    "schedule_bands": "Attachment fee and outcome tariff per schedule and band.",
    "schedule_weights": "Each outcome's share of the outcome tariff, per schedule.",
}
CONFIG_SPECS = [
    AssetSpec(
        ["config", table],
        group_name="configuration",
        description=f"{CONFIG_CONTENTS[table]} From the area YAML files, validated (spec/config.md).",
    )
    for table in CONFIG_TABLES
]


@multi_asset(specs=CONFIG_SPECS, partitions_def=monthly_windows, backfill_policy=ONE_RUN_PER_RANGE, name="area_config")
def area_config(context: AssetExecutionContext, pipeline: PipelineSettings):
    """Validate every area file and check the windows may run now (windows go in order); either
    failing stops the run before any data is touched. Then publish the configuration."""
    settings = pipeline.settings()
    areas = pipeline.areas()
    with connect(settings.warehouse) as con:
        windows = check_windows_may_run(context, con)
        counts = publish_config(con, areas)
    report_range(context, windows, "config", f"{len(areas.areas)} areas from {settings.config_dir}")
    for table in CONFIG_TABLES:
        yield MaterializeResult(asset_key=["config", table], metadata={"rows": count_value(counts[table])})
