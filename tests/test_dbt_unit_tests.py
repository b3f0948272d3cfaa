"""The dbt unit tests (`unit_tests:` in the model YAML), run once: they do not depend on the window."""

from __future__ import annotations

import json
import shutil
import subprocess

from pbr_pipeline.dbt import DBT_EXECUTABLE, DBT_PROJECT_DIR, dbt_vars


def test_every_dbt_unit_test_passes(acceptance_run, tmp_path):
    # Unit tests need their input models to exist: the acceptance warehouse has them all.
    # The same file name: dbt-duckdb names the database after it, and the views refer to it.
    warehouse = tmp_path / acceptance_run.warehouse.name
    shutil.copyfile(acceptance_run.warehouse, warehouse)
    result = subprocess.run(
        [
            DBT_EXECUTABLE,
            "test",
            "--select",
            "test_type:unit",
            "--vars",
            dbt_vars(warehouse),
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(tmp_path / "target"),
        ],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    unit_tests = [r for r in results if r["unique_id"].startswith("unit_test.")]
    assert len(unit_tests) >= 20
    assert all(r["status"] == "pass" for r in unit_tests)
