"""Build the dbt manifest that the Dagster definitions load (`dbt parse`).

`DbtProject.prepare_if_dev()` does this only under `dagster dev`; tests, CI and `pbr` call this.
The raw tables' sources are written from the tables' specification first (`dbt_sources`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from pbr_pipeline.dbt import DBT_EXECUTABLE, DBT_PROJECT_DIR, dbt_project, dbt_vars
from pbr_pipeline.dbt_sources import write_raw_sources
from pbr_pipeline.settings import Settings


def manifest_is_current(project_dir: Path, manifest: Path) -> bool:
    """The manifest is newer than every file dbt parses (as make would judge it)."""
    if not manifest.exists():
        return False
    parsed_at = manifest.stat().st_mtime
    sources = [
        path
        for path in project_dir.rglob("*")
        if path.is_file()
        and path.suffix in {".sql", ".yml", ".yaml", ".md", ".csv"}
        and not path.is_relative_to(manifest.parent)
    ]
    return all(path.stat().st_mtime <= parsed_at for path in sources)


def prepare() -> None:
    """Parse the project, unless the manifest is already newer than its files (a parse costs
    about five seconds, and `pbr` prepares before every run)."""
    write_raw_sources()
    if manifest_is_current(DBT_PROJECT_DIR, dbt_project.manifest_path):
        return
    command = [
        DBT_EXECUTABLE,
        "parse",
        "--quiet",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    subprocess.run(command, check=True, cwd=DBT_PROJECT_DIR)


def prepare_if_dev() -> None:
    """Under `dagster dev` (`make ui`), parse when the manifest is stale, so that a reload picks
    up edited models. dagster-dbt's own `DbtProject.prepare_if_dev` looks for `dbt` on PATH,
    which need not include the virtual environment, and parses on every load."""
    if os.environ.get("DAGSTER_IS_DEV_CLI"):
        prepare()


# What `dbt docs generate` writes that the docs site needs.
DOCS_FILES = ("index.html", "catalog.json", "manifest.json")


def generate_docs(settings: Settings) -> Path:
    """`dbt docs generate` against the warehouse, kept in PBR_DBT_DOCS_DIR (index.html,
    catalog.json, manifest.json). It works in the runs' target folder, whose partial parse it
    reuses, and does not compile the models again: the run has just built them. Docs newer
    than every dbt file are kept as they are: what they show (models, columns, descriptions,
    lineage) changes only with the project, and the monthly run saves the ten seconds."""
    index = settings.dbt_docs_dir / "index.html"
    if index.exists() and manifest_is_current(DBT_PROJECT_DIR, settings.dbt_docs_dir / "manifest.json"):
        return index
    command = [
        DBT_EXECUTABLE,
        "docs",
        "generate",
        "--quiet",
        "--no-compile",
        "--vars",
        dbt_vars(settings.warehouse),
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(settings.dbt_target_dir),
    ]
    subprocess.run(command, check=True, cwd=DBT_PROJECT_DIR, capture_output=True)
    settings.dbt_docs_dir.mkdir(parents=True, exist_ok=True)
    for name in DOCS_FILES:
        shutil.copyfile(settings.dbt_target_dir / name, settings.dbt_docs_dir / name)
    return index


if __name__ == "__main__":
    prepare()
