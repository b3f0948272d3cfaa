"""Build the dbt manifest that the Dagster definitions load (`dbt parse`).

`DbtProject.prepare_if_dev()` does this only under `dagster dev`; tests, CI and `pbr` call this.
"""

from __future__ import annotations

import subprocess
import sys

from pbr_pipeline.dbt import DBT_PROJECT_DIR


def prepare() -> None:
    command = [
        sys.executable, "-m", "dbt.cli.main", "parse", "--quiet",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
    ]
    subprocess.run(command, check=True, cwd=DBT_PROJECT_DIR)


if __name__ == "__main__":
    prepare()
