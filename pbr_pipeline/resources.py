"""Dagster resources, configured from the environment (spec/outputs.md, "Where things are")."""

from __future__ import annotations

from dagster import ConfigurableResource

from pbr_pipeline.config import Areas, load_areas
from pbr_pipeline.settings import Settings


class PipelineSettings(ConfigurableResource):
    """The run's locations and pseudonymisation key, read from PBR_* variables when used.

    Reading at use rather than at import keeps the definitions loadable anywhere (UI, tests)
    and lets a test point one process at several warehouses.
    """

    def settings(self) -> Settings:
        return Settings.from_env()

    def areas(self) -> Areas:
        return load_areas(self.settings().config_dir)
