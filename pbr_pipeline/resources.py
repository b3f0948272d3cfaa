"""The pipeline's Dagster resource: the locations and key of spec/outputs.md ("Where things are").

Each field is the PBR_* variable of settings.py's VARIABLES, as an `EnvVar` when the variable is
set where the definitions load: Dagster reads its value when a run starts and the UI (resource
page, launchpad) shows the variable's name, never its value, so the pseudonym key is not shown.
A field left None stands for an unset variable, whose default settings.py gives (Dagster
refuses to start a run whose EnvVar names an unset variable), so the definitions load with no
variable set. Which variables are set is seen when the definitions load, their values when each
run starts: a process can point its runs at another warehouse by changing PBR_WAREHOUSE, but a
variable set only after loading needs the definitions loaded again (`pbr` loads them per
command, the UI on a reload of the code location).
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from dagster import ConfigurableResource, EnvVar, InitResourceContext
from pydantic import Field

from pbr_pipeline.config import Areas, load_areas
from pbr_pipeline.lock import warehouse_lock
from pbr_pipeline.settings import VARIABLES, Settings
from pbr_pipeline.warehouse import create_warehouse


class PipelineSettings(ConfigurableResource):
    """The run's locations and pseudonymisation key. For the length of a run it holds the
    warehouse's lock (`lock.py`), so a run from the UI and a `pbr run` can never interleave,
    and before the run's first step it creates the warehouse's tables that Python writes."""

    landing_dir: str | None = Field(default=None, description="PBR_LANDING_DIR: where submissions arrive.")
    config_dir: str | None = Field(default=None, description="PBR_CONFIG_DIR: the area configuration files.")
    warehouse: str | None = Field(default=None, description="PBR_WAREHOUSE: the DuckDB warehouse.")
    export_dir: str | None = Field(default=None, description="PBR_EXPORT_DIR: statement files.")
    validation_dir: str | None = Field(default=None, description="PBR_VALIDATION_DIR: the checkpoint's Data Docs.")
    analyst_warehouse: str | None = Field(default=None, description="PBR_ANALYST_WAREHOUSE: the analysts' copy.")
    log_dir: str | None = Field(default=None, description="PBR_LOG_DIR: run logs and dbt's target folder.")
    dbt_docs_dir: str | None = Field(default=None, description="PBR_DBT_DOCS_DIR: the dbt docs, one static page.")
    pseudonym_key: str | None = Field(
        default=None,
        description="PBR_PSEUDONYM_KEY: key of the attributor hash. Give it only as {env: PBR_PSEUDONYM_KEY}: "
        "a value typed here would be stored with the run.",
    )

    @classmethod
    def from_environment(cls, **locations: str) -> PipelineSettings:
        """The resource with an EnvVar for each PBR_* variable set now, None for the others;
        `locations` (field -> path) take the place of their variables: a simulation's own
        warehouse and configuration (simulate/run.py), the landing folder and key still the
        environment's."""
        fields = {field: EnvVar(variable) for field, variable in VARIABLES.items() if variable in os.environ}
        return cls(**{**fields, **locations})

    def settings(self) -> Settings:
        """The settings the fields give, with settings.py's defaults for those left None. Only
        in a run: before Dagster resolves an EnvVar, the field holds the variable's name."""
        values = {VARIABLES[field]: getattr(self, field) for field in VARIABLES}
        unresolved = sorted(value.env_var_name for value in values.values() if isinstance(value, EnvVar))
        if unresolved:
            raise RuntimeError(
                f"{', '.join(unresolved)} not read yet: use the resource inside a run, "
                "or Settings.from_env() outside one"
            )
        return Settings.from_env({variable: value for variable, value in values.items() if value is not None})

    def areas(self) -> Areas:
        return load_areas(self.settings().config_dir)

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext):
        run_id = context.run.run_id if context.run else "unknown"
        settings = self.settings()
        with warehouse_lock(settings.warehouse, f"Dagster run {run_id[:8]}"):
            # The one place a run creates the schema: once, under the lock, whichever assets it
            # materialises (the UI can run any of them alone).
            create_warehouse(settings.warehouse)
            yield self
