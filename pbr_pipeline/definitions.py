"""Everything Dagster loads, assembled in one place (no logic here)."""

from dagster import Definitions, in_process_executor, load_assets_from_modules

from pbr_pipeline.assets import config, dbt, ingest, payments
from pbr_pipeline.assets.dbt import RUN_WINDOWS
from pbr_pipeline.assets.monitoring import monitor_flags
from pbr_pipeline.assets.payments import gx_payment_checkpoint
from pbr_pipeline.dbt import DBT_EXECUTABLE, PbrDbtCliResource, dbt_project
from pbr_pipeline.jobs import monthly_payment_run
from pbr_pipeline.resources import PipelineSettings
from pbr_pipeline.schedules import monthly_payment_schedule
from pbr_pipeline.sensors import landing_sensor
from pbr_pipeline.simulate.job import simulate_tariff

defs = Definitions(
    assets=[*load_assets_from_modules([config, ingest, dbt, payments]), RUN_WINDOWS],
    asset_checks=[gx_payment_checkpoint, monitor_flags],
    jobs=[monthly_payment_run, simulate_tariff],
    schedules=[monthly_payment_schedule],
    sensors=[landing_sensor],
    resources={
        "pipeline": PipelineSettings.from_environment(),
        "dbt": PbrDbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
    },
    executor=in_process_executor,
)
