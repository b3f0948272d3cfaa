"""The dbt project as Dagster sees it, and the pure helpers for invoking it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from pbr_pipeline.settings import Settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"

# The dbt installed beside this interpreter: PATH may not include the virtual environment.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_vars(window: str) -> str:
    """The --vars argument for a run as of `window`."""
    return json.dumps({"window": window}, sort_keys=True)


def dbt_build_args(window: str) -> list[str]:
    """`dbt build` as of a window. Unit tests are left out: they test the rules on fixed inputs,
    whatever the window, so the test suite runs them once instead of every window's run."""
    return ["build", "--vars", dbt_vars(window), "--exclude", "resource_type:unit_test"]


def dbt_env(settings: Settings) -> dict[str, str]:
    """Environment for a dbt process: the warehouse path made absolute, whatever the cwd."""
    return {**os.environ, "PBR_WAREHOUSE": str(settings.warehouse)}
