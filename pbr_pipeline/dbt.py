"""The dbt project as Dagster sees it, and the pure helpers for invoking it."""

from __future__ import annotations

import json
import sys
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"

# The dbt installed beside this interpreter: PATH may not include the virtual environment.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_vars(warehouse: Path) -> str:
    """The --vars argument: the warehouse, as an absolute path (dbt runs in the project folder,
    so a relative PBR_WAREHOUSE would name another file there). The windows are no var: they
    are data (control.run_windows), so the vars stay the same from run to run and dbt parses
    only what changed."""
    return json.dumps({"warehouse": str(warehouse.resolve())}, sort_keys=True)


def dbt_build_args(warehouse: Path) -> list[str]:
    """`dbt build` of every window of the run. Unit tests are left out: they test the rules on
    fixed inputs, so the test suite runs them once instead of in every run."""
    return ["build", "--vars", dbt_vars(warehouse), "--exclude", "resource_type:unit_test"]


class PbrDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, told dbt's version by the dbt-core installed beside it.

    The stock resource runs `dbt --version` in a subprocess for every Dagster run, two seconds
    each time here; DBT_EXECUTABLE is the dbt of this same environment, so its version is known.
    dagster-dbt 0.29 has no public way to give the version, hence the override of its private
    property (docs/decisions.md, issue 12).
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))
