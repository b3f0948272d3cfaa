"""Dagster resources, configured from the environment (spec/outputs.md, "Where things are")."""

from __future__ import annotations

from contextlib import contextmanager

from dagster import ConfigurableResource, InitResourceContext

from pbr_pipeline.config import Areas, load_areas
from pbr_pipeline.lock import warehouse_lock
from pbr_pipeline.settings import Settings
from pbr_pipeline.warehouse import create_warehouse


class PipelineSettings(ConfigurableResource):
    """The run's locations and pseudonymisation key, read from PBR_* variables when used.

    Reading at use rather than at import keeps the definitions loadable anywhere (UI, tests)
    and lets a test point one process at several warehouses. For the length of a run the
    resource holds the warehouse's lock (`lock.py`): every asset that writes the warehouse uses
    it, so a run from the UI and a `pbr run` can never interleave. Before the run's first step
    it creates the warehouse's tables that Python writes.
    """

    def settings(self) -> Settings:
        return Settings.from_env()

    def areas(self) -> Areas:
        return load_areas(self.settings().config_dir)

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext):
        run_id = context.run_id or "unknown"
        warehouse = self.settings().warehouse
        with warehouse_lock(warehouse, f"Dagster run {run_id[:8]}"):
            # The one place a run creates the schema: once, under the lock, whichever assets it
            # materialises (the UI can run any of them alone).
            create_warehouse(warehouse)
            yield self
