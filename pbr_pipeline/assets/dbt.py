"""The dbt models as Dagster assets: one build computes every window of the run.

The windows are data (control.run_windows), not a dbt var: the models compute all of them at
once, and dbt parses only what changed since the last run. dbt tests become asset checks on
the models they test (dagster-dbt's default); the seeds are assets reference/<seed>, built
first by the same `dbt build`.
"""

import json
from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pbr_pipeline.assets.display import markdown_safe, short_description
from pbr_pipeline.assets.run_order import check_windows_may_run
from pbr_pipeline.dbt import dbt_build_args, dbt_project
from pbr_pipeline.dbt_prepare import prepare_if_dev
from pbr_pipeline.partitions import ONE_RUN_PER_RANGE, monthly_windows
from pbr_pipeline.payments.checkpoint import import_in_background
from pbr_pipeline.progress import report_range
from pbr_pipeline.resources import PipelineSettings
from pbr_pipeline.warehouse import connect, set_run_windows

# The folders whose name is not their group's: quality.* reports on the returns.
GROUP_OF_FOLDER = {"config": "configuration", "quality": "returns"}


class PbrDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # The tables Python writes (raw.*, quality.*, config.*, marts.payment_runs), under the
            # keys of the assets that write them: <source>/<table>, or the key a table's meta names
            # (quality.quarantine is written with quality/submissions); control.run_windows is
            # written by the dbt asset itself (RUN_WINDOWS below).
            return super().get_asset_key(dbt_resource_props)
        schema = dbt_resource_props["config"].get("schema") or "main"
        return AssetKey([schema, dbt_resource_props.get("alias") or dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # A group is a domain of the spec, named by the model's folder (models/<layer>/<domain>/):
        # a reader finds the outcome rules under "outcomes" whatever their layer. The seeds (the
        # spec's code lists) are a group of their own.
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        folder = dbt_resource_props["fqn"][-2]
        return GROUP_OF_FOLDER.get(folder, folder)

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        return dbt_description(dbt_resource_props)


def dbt_description(dbt_resource_props: Mapping[str, Any]) -> str:
    """What the UI shows of a dbt node: the first sentence of its yml description, safe to
    render as Markdown (the whole text is in dbt docs). Never its SQL: a node without a
    description shows as one (tests/test_asset_descriptions.py fails on it)."""
    text = (dbt_resource_props.get("description") or "").strip()
    if not text:
        return f"dbt {dbt_resource_props['resource_type']} {dbt_resource_props['name']}: no description in its yml."
    return markdown_safe(short_description(text))


# Under `dagster dev`, a reload parses edited models before the manifest is read below.
prepare_if_dev()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    partitions_def=monthly_windows,
    dagster_dbt_translator=PbrDbtTranslator(),
    backfill_policy=ONE_RUN_PER_RANGE,
)
def pbr_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, pipeline: PipelineSettings):
    settings = pipeline.settings()
    with connect(settings.warehouse) as con:
        windows = check_windows_may_run(context, con)
        set_run_windows(con, windows)
    report_range(context, windows, "dbt", f"building the models as of {len(windows)} window(s) in one build")
    import_in_background()  # the payment checkpoint's GX, while dbt works in its own process
    # One target folder per warehouse, kept between runs: dbt's partial parsing reads its
    # previous parse from there (dagster-dbt's default is a new 10 MB folder per invocation
    # inside the project, never removed).
    build = dbt.cli(dbt_build_args(settings.warehouse), context=context, target_path=settings.dbt_target_dir)
    yield from build.stream()
    report_range(context, windows, "dbt", "models built and tested")


def _run_windows_spec() -> AssetSpec:
    """control.run_windows, the windows of the run: a dbt source that the dbt asset writes itself
    (set_run_windows) before it builds, so no asset materialises it. It shows with the
    configuration, described by its source yml, rather than in a group "default"."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    [source] = [s for s in manifest["sources"].values() if (s["source_name"], s["name"]) == ("control", "run_windows")]
    return AssetSpec(
        PbrDbtTranslator().get_asset_key(source), group_name="configuration", description=dbt_description(source)
    )


RUN_WINDOWS = _run_windows_spec()
