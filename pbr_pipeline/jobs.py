"""The monthly payment run: every asset, for one window, one step at a time."""

from dagster import AssetSelection, define_asset_job, in_process_executor

monthly_payment_run = define_asset_job(
    name="monthly_payment_run",
    selection=AssetSelection.all(),
    # One process, one step at a time: the warehouse file allows a single writer.
    executor_def=in_process_executor,
    description="Ingest, validate, build the models, compute payments and write exports as of one window.",
)
