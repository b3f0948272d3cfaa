"""Build the dbt manifest that the Dagster definitions load (`dbt parse`).

`DbtProject.prepare_if_dev()` does this only under `dagster dev`; tests, CI and `pbr` call this.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from pbr_pipeline.dbt import DBT_EXECUTABLE, DBT_PROJECT_DIR, dbt_env, dbt_vars
from pbr_pipeline.settings import Settings


def prepare() -> None:
    command = [
        DBT_EXECUTABLE, "parse", "--quiet",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
    ]
    subprocess.run(command, check=True, cwd=DBT_PROJECT_DIR)


def generate_docs(settings: Settings, window: str) -> Path:
    """`dbt docs generate` against the warehouse, kept in PBR_DBT_DOCS_DIR (index.html, catalog.json)."""
    command = [
        DBT_EXECUTABLE, "docs", "generate", "--quiet", "--vars", dbt_vars(window),
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(settings.dbt_docs_dir),
    ]
    subprocess.run(command, check=True, cwd=DBT_PROJECT_DIR, env=dbt_env(settings), capture_output=True)
    return settings.dbt_docs_dir / "index.html"


if __name__ == "__main__":
    prepare()
