"""The `simulate_tariff` job: `pbr simulate` launched from the Dagster UI with its options as
run config, the comparison shown as the output's metadata (pbr_pipeline/simulate/job.py)."""

from __future__ import annotations

import csv
import hashlib
import shutil
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from dagster import DagsterEventType, DagsterInstance

from pbr_pipeline.assets.display import money
from pbr_pipeline.config import ConfigError, load_areas
from pbr_pipeline.definitions import defs
from tests.conftest import ACCEPTANCE, PipelineRun

HISTORY = ("2012-04", "2012-09")
# Weight moved from a completed treatment to sustained abstinence, in both of oxf.yaml's schedules.
WEIGHTS = "D3_COMPLETED: 0.20, D4_SUSTAINED: 0.25"
CHANGED = "D3_COMPLETED: 0.10, D4_SUSTAINED: 0.35"
UNBALANCED = "D3_COMPLETED: 0.20, D4_SUSTAINED: 0.35"  # the weights sum to 1.10


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> PipelineRun:
    """The real runs: a `pbr run` of the acceptance scenario's first six windows."""
    run = PipelineRun(tmp_path_factory.mktemp("real"), ACCEPTANCE / "landing", ACCEPTANCE / "config")
    run.pbr("run", "--from", *HISTORY[:1], "--to", HISTORY[1])
    return run


def config_with(folder: Path, old: str, new: str) -> Path:
    shutil.copytree(ACCEPTANCE / "config", folder)
    oxf = folder / "oxf.yaml"
    text = oxf.read_text()
    assert text.count(old) == 2  # both schedules
    oxf.write_text(text.replace(old, new))
    return folder


def digests(*folders: Path) -> dict[str, str]:
    return {
        str(path): hashlib.sha256(path.read_bytes()).hexdigest()
        for folder in folders
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def run_config(config_dir: Path, out: Path, first: str = HISTORY[0], last: str = HISTORY[1]) -> dict:
    return {
        "ops": {
            "simulation": {"config": {"config_dir": str(config_dir), "first": first, "last": last, "out": str(out)}}
        }
    }


def launch(history: PipelineRun, monkeypatch, instance: DagsterInstance, config: dict):
    for name, value in history.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    job = defs.resolve_job_def("simulate_tariff")
    return job.execute_in_process(run_config=config, instance=instance, raise_on_error=False)


def csv_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_job_needs_no_pipeline_resource_and_asks_for_the_options_with_descriptions():
    job = defs.resolve_job_def("simulate_tariff")
    assert job.description.startswith("Simulate another configuration")
    assert "pipeline" not in job.get_required_resource_defs()  # it locks and creates the real warehouse
    fields = job.run_config_schema.config_type.fields["ops"].config_type.fields["simulation"]
    options = fields.config_type.fields["config"].config_type.fields
    assert set(options) == {"config_dir", "first", "last", "out"}
    assert all(option.description for option in options.values())


def test_a_simulation_from_the_job_shows_the_comparison_and_leaves_the_real_runs_alone(history, tmp_path, monkeypatch):
    config_dir = config_with(tmp_path / "config", WEIGHTS, CHANGED)
    out = tmp_path / "simulation"
    real = [history.root / "warehouse", history.exports]
    before = digests(*real)
    assert str(history.warehouse) in before and str(history.analyst_warehouse) in before

    with DagsterInstance.ephemeral() as instance:
        result = launch(history, monkeypatch, instance, run_config(config_dir, out))
        assert result.success
        messages = [entry.user_message for entry in instance.all_logs(result.run_id)]

    assert digests(*real) == before  # the real warehouse, exports, analysts' copy and instance
    [output] = [event for event in result.all_events if event.event_type == DagsterEventType.STEP_OUTPUT]
    metadata = output.step_output_data.metadata

    rows = csv_rows(out / "comparison.csv")
    actual, simulated = (sum(Decimal(row[column]) for row in rows) for column in ("actual_amount", "simulated_amount"))
    assert actual > 0 and simulated != actual
    assert metadata["total_actual"].value == money(actual)
    assert metadata["total_simulated"].value == money(simulated)
    assert metadata["difference"].value == money(simulated - actual)
    table = [record.data for record in metadata["comparison"].value.records]
    assert table == [
        {
            "area": row["area"],
            "provider": row["provider"],
            "kind": row["kind"],
            "outcome_code": row["outcome_code"],
            "actual": money(row["actual_amount"]),
            "simulated": money(row["simulated_amount"]),
            "difference": money(row["difference"]),
        }
        for row in rows
    ]
    largest = [record.data for record in metadata["largest_differences"].value.records]
    assert 0 < len(largest) <= 3
    biggest = max(rows, key=lambda row: abs(Decimal(row["difference"])))
    assert largest[0]["difference"] == money(biggest["difference"])
    assert biggest["provider"] in largest[0]["line"] and biggest["outcome_code"] in largest[0]["line"]

    assert Path(metadata["comparison_csv"].value) == out / "comparison.csv"
    html = Path(unquote(urlparse(metadata["comparison_html"].value).path))
    assert html == out / "comparison.html"
    assert Path(metadata["simulation_warehouse"].value) == out / "simulation.duckdb"
    assert all(path.is_file() for path in (out / "comparison.csv", html, out / "simulation.duckdb"))
    assert metadata["windows_compared"].value == metadata["windows_paid_by_real_runs"].value == 6
    assert metadata["windows_run"].value == 6

    # The simulation's own lines, then the monthly run's progress lines, in the run's log.
    assert any(message.startswith("simulating 2012-04..2012-09 with") for message in messages)
    assert any(message.startswith("[2012-04..2012-09] payments:") for message in messages)
    assert any(message.startswith("  total simulated") for message in messages)


def test_a_configuration_that_fails_validation_fails_the_op_in_one_line_and_writes_nothing(
    history, tmp_path, monkeypatch
):
    config_dir = config_with(tmp_path / "config", WEIGHTS, UNBALANCED)
    with pytest.raises(ConfigError) as refused:
        load_areas(config_dir)
    out = tmp_path / "simulation"
    with DagsterInstance.ephemeral() as instance:
        result = launch(history, monkeypatch, instance, run_config(config_dir, out))
    assert not result.success
    [failure] = [event for event in result.all_events if event.event_type == DagsterEventType.STEP_FAILURE]
    data = failure.step_failure_data
    assert data.user_failure_data.description == str(refused.value)
    assert "\n" not in str(refused.value) and "oxf.yaml" in str(refused.value)
    assert not out.exists()


def test_a_bad_window_fails_the_op_in_one_line(history, tmp_path, monkeypatch):
    out = tmp_path / "simulation"
    with DagsterInstance.ephemeral() as instance:
        result = launch(history, monkeypatch, instance, run_config(ACCEPTANCE / "config", out, "2012-13", "2012-09"))
    [failure] = [event for event in result.all_events if event.event_type == DagsterEventType.STEP_FAILURE]
    assert failure.step_failure_data.user_failure_data.description == "not a window YYYY-MM: '2012-13'"
    assert not out.exists()
