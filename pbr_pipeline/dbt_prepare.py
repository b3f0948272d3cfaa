"""Build the dbt manifest that the Dagster definitions load (`dbt parse`).

`DbtProject.prepare_if_dev()` does this only under `dagster dev`; tests, CI and `pbr` call this.
"""

from __future__ import annotations

import subprocess

from pbr_pipeline.dbt import DBT_EXECUTABLE, DBT_PROJECT_DIR


def prepare() -> None:
    command = [
        DBT_EXECUTABLE, "parse", "--quiet",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
    ]
    subprocess.run(command, check=True, cwd=DBT_PROJECT_DIR)


if __name__ == "__main__":
    prepare()
