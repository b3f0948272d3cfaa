"""The dbt models as Dagster assets, built per window with the window as a dbt var.

dbt tests become asset checks on the models they test (dagster-dbt's default).
"""

import shutil
from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pbr_pipeline.assets.run_order import check_window_may_run
from pbr_pipeline.dbt import dbt_build_args, dbt_project
from pbr_pipeline.dbt_prepare import prepare_if_dev
from pbr_pipeline.progress import report
from pbr_pipeline.resources import PipelineSettings
from pbr_pipeline.warehouse import connect
from pbr_pipeline.partitions import ONE_WINDOW_PER_RUN, monthly_windows, window_of_partition

class PbrDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # raw.*, quality.submissions and config.* are written by the Python assets.
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        schema = dbt_resource_props["config"].get("schema") or "main"
        return AssetKey([schema, dbt_resource_props.get("alias") or dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return {"marts": "marts", "quality": "quality"}.get(dbt_resource_props["config"].get("schema"), "models")


# Under `dagster dev`, a reload parses edited models before the manifest is read below.
prepare_if_dev()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    partitions_def=monthly_windows,
    dagster_dbt_translator=PbrDbtTranslator(),
    backfill_policy=ONE_WINDOW_PER_RUN,
)
def pbr_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, pipeline: PipelineSettings):
    window = window_of_partition(context.partition_key)
    settings = pipeline.settings()
    with connect(settings.warehouse) as con:
        check_window_may_run(context, con, window)
    report(context, window, "dbt", "building the models as of the window")
    # One artefacts folder, emptied first: dagster-dbt's default makes a new one (10 MB) per
    # invocation inside the project and never removes it, and dbt appends to dbt.log.
    artefacts = settings.log_dir / "dbt-last-run"
    shutil.rmtree(artefacts, ignore_errors=True)
    yield from dbt.cli(dbt_build_args(window, settings.warehouse), context=context, target_path=artefacts).stream()
    report(context, window, "dbt", "models built and tested")
