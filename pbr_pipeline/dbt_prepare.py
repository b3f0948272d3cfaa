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


# The page dbt leaves waiting for its data when it is not static (`index.html` fetches the two
# files beside it, which a browser refuses to do from the file system).
NOT_INLINED = b'"MANIFEST.JSON INLINE DATA"'


def docs_are_current(index: Path) -> bool:
    """The docs page is one static page, newer than every dbt file."""
    if not manifest_is_current(DBT_PROJECT_DIR, index):
        return False
    return NOT_INLINED not in index.read_bytes()


def generate_docs(settings: Settings) -> Path:
    """The dbt docs as one static page, PBR_DBT_DOCS_DIR/index.html: `dbt docs generate
    --static` against the warehouse, with the manifest and the catalog inlined, so it opens from
    the file system with no server and no network. It works in the runs' target folder, whose
    partial parse it reuses, and does not compile the models again: the run has just built
    them. A page newer than every dbt file is kept as it is: what it shows (models, columns,
    descriptions, lineage) changes only with the project, and the monthly run saves the time."""
    index = settings.dbt_docs_dir / "index.html"
    if index.exists() and docs_are_current(index):
        return index
    command = [
        DBT_EXECUTABLE,
        "docs",
        "generate",
        "--static",
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
    shutil.copyfile(settings.dbt_target_dir / "static_index.html", index)
    for former in ("catalog.json", "manifest.json"):  # what the docs folder held before the page was static
        (settings.dbt_docs_dir / former).unlink(missing_ok=True)
    return index


if __name__ == "__main__":
    prepare()
