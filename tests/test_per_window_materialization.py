"""The per_window materialisation (dbt_project/macros/materializations/per_window.sql), run by
real dbt on a real DuckDB file, on a one-model project that uses the project's own macros.

It replaces the slices of the run's windows and keeps the others', and it refuses a model
that no longer matches its table or its enforced contract, on every run and not only when it
creates the table (dbt's own contract check runs only at creation).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pbr_pipeline.dbt import DBT_PROJECT_DIR

DBT = str(Path(sys.executable).parent / "dbt")

PROJECT = """\
name: per_window_probe
version: "1.0.0"
profile: probe
config-version: 2
model-paths: ["models"]
macro-paths: ["macros"]
"""

PROFILES = """\
probe:
  target: t
  outputs:
    t: {type: duckdb, path: "{path}", threads: 1}
"""

MODEL_YML = """\
version: 2
models:
  - name: slices
    config:
      contract: {{enforced: true}}
    columns:
      - {{name: as_of_window, data_type: varchar}}
      - {{name: amount, data_type: "decimal(14,2)"}}
{extra}"""

# Each window's slice: the window and an amount; `{cast}` lets a test change the type.
MODEL_SQL = """\
{{{{ per_window_incremental('as_of_window') }}}}
select as_of_window, cast({amount} as {cast}) as amount{extra}
from control.run_windows
"""


@pytest.fixture
def probe(tmp_path):
    """A dbt project with the project's macros and one per_window model, and a warehouse."""
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    shutil.copytree(DBT_PROJECT_DIR / "macros", project / "macros")
    (project / "dbt_project.yml").write_text(PROJECT, encoding="utf-8")
    warehouse = tmp_path / "probe.duckdb"
    (project / "profiles.yml").write_text(PROFILES.replace("{path}", str(warehouse)), encoding="utf-8")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA control")
        con.execute("CREATE TABLE control.run_windows (as_of_window VARCHAR)")
    return project, warehouse


def build(
    project: Path,
    warehouse: Path,
    windows: list[str],
    amount: str = "1.50",
    cast: str = "decimal(14,2)",
    extra_column: str | None = None,
) -> subprocess.CompletedProcess:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("DELETE FROM control.run_windows")
        con.executemany("INSERT INTO control.run_windows VALUES (?)", [[w] for w in windows])
    extra_sql = f", 1 as {extra_column}" if extra_column else ""
    extra_yml = f"      - {{name: {extra_column}, data_type: integer}}\n" if extra_column else ""
    (project / "models" / "slices.sql").write_text(
        MODEL_SQL.format(amount=amount, cast=cast, extra=extra_sql), encoding="utf-8"
    )
    (project / "models" / "slices.yml").write_text(MODEL_YML.format(extra=extra_yml), encoding="utf-8")
    return subprocess.run(
        [DBT, "run", "--project-dir", str(project), "--profiles-dir", str(project)],
        capture_output=True,
        text=True,
        cwd=project,
        timeout=300,
    )


def rows(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT as_of_window, CAST(amount AS VARCHAR) FROM main.slices ORDER BY 1").fetchall()


def column_types(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'slices' ORDER BY ordinal_position"
        ).fetchall()


def test_a_run_replaces_its_windows_slices_and_keeps_the_others(probe):
    project, warehouse = probe
    assert build(project, warehouse, ["2012-04", "2012-05"]).returncode == 0
    assert column_types(warehouse) == [("as_of_window", "VARCHAR"), ("amount", "DECIMAL(14,2)")]
    assert build(project, warehouse, ["2012-05", "2012-06"], amount="2.25").returncode == 0
    assert rows(warehouse) == [("2012-04", "1.50"), ("2012-05", "2.25"), ("2012-06", "2.25")]


def test_a_model_that_breaks_its_contract_is_refused_on_a_later_run(probe):
    project, warehouse = probe
    assert build(project, warehouse, ["2012-04"]).returncode == 0
    # The model now yields a double where the contract says decimal(14,2): the table would
    # take it (DuckDB casts on insert), so only the contract check can catch it.
    refused = build(project, warehouse, ["2012-05"], amount="2.25", cast="double")
    assert refused.returncode == 1
    assert "contract" in refused.stdout and "amount" in refused.stdout and "DOUBLE" in refused.stdout
    assert rows(warehouse) == [("2012-04", "1.50")]  # nothing of the refused run written


def test_a_model_whose_columns_changed_is_refused_until_rebuilt(probe):
    project, warehouse = probe
    assert build(project, warehouse, ["2012-04"]).returncode == 0
    refused = build(project, warehouse, ["2012-05"], extra_column="lines")
    assert refused.returncode == 1
    assert "the columns of" in refused.stdout and "rebuild it whole with --full-refresh" in refused.stdout
    assert rows(warehouse) == [("2012-04", "1.50")]


def test_every_mart_and_quality_model_has_an_enforced_contract():
    """The tables of spec/outputs.md are an interface: none of them may drift unnoticed."""
    import json

    from pbr_pipeline.dbt import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    models = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") in ("marts", "quality")
    ]
    assert {node["name"] for node in models} >= {
        "journeys",
        "outcome_attainment",
        "entitlements",
        "payment_lines",
        "provider_statements",
        "conversion_counts",
        "monitor_indicators",
        "monitor_cases",
        "payment_forecast",
        "record_issues",
    }
    assert [node["name"] for node in models if not node["config"]["contract"]["enforced"]] == []
    untyped = [
        (node["name"], name)
        for node in models
        for name, column in node["columns"].items()
        if not column.get("data_type")
    ]
    assert untyped == []
