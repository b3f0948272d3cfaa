"""The Dagster UI: `make ui` loads workspace.yaml and serves the asset graph and schedule."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from pbr_pipeline.definitions import defs

REPO = Path(__file__).resolve().parents[1]

WORKSPACE_QUERY = """
{
  workspaceOrError {
    ... on Workspace {
      locationEntries {
        name
        locationOrLoadError {
          __typename
          ... on RepositoryLocation {
            repositories {
              jobs { name }
              schedules { name cronSchedule executionTimezone }
              sensors { name }
            }
          }
          ... on PythonError { message }
        }
      }
    }
  }
}
"""

ASSETS_QUERY = """
{
  assetNodes {
    assetKey { path }
    groupName
    isPartitioned
    dependencyKeys { path }
  }
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    """The UI as `make ui` starts it (`dagster dev`: webserver, daemon and code server), on a free
    loopback port, with a Dagster instance of its own configured like dagster_home/."""
    port = free_port()
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copyfile(REPO / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    log = home / "ui.log"
    with open(log, "w") as output:  # a file, not a pipe: dagster dev logs a lot and would block on a full pipe
        server = subprocess.Popen(
            ["make", "--no-print-directory", "ui", f"UI_PORT={port}", f"UI_HOME={home}"],
            cwd=REPO, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if server.poll() is not None:
                pytest.fail(f"make ui exited: {log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail(f"the UI did not answer within 180 s: {log.read_text()[-3000:]}")
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # make, dagster dev and the processes it started
        server.wait(timeout=60)


def test_workspace_loads_with_job_schedule_and_sensor(webserver):
    [entry] = graphql(webserver, WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"]
    location = entry["locationOrLoadError"]
    assert location["__typename"] == "RepositoryLocation", location
    [repository] = location["repositories"]
    assert "monthly_payment_run" in {job["name"] for job in repository["jobs"]}
    assert repository["schedules"] == [
        {"name": "monthly_payment_schedule", "cronSchedule": "0 6 5 * *", "executionTimezone": "UTC"}
    ]
    assert [sensor["name"] for sensor in repository["sensors"]] == ["landing_sensor"]


def test_asset_graph_runs_from_configuration_to_statements(webserver):
    nodes = {"/".join(n["assetKey"]["path"]): n for n in graphql(webserver, ASSETS_QUERY)["assetNodes"]}
    expected = {
        "config/areas", "raw/assessments", "quality/submissions", "staging/stg_raw__top",
        "marts/journeys", "marts/outcome_attainment", "marts/entitlements", "marts/payment_lines",
        "marts/payment_runs", "exports/statements", "quality/record_issues",
    }
    assert expected <= set(nodes)
    assert len(nodes) == len(list(defs.resolve_all_asset_keys()))
    # Every asset is per window but the run's list of windows, which the dbt asset writes
    # before it builds (a dbt source: the models read the windows as data).
    assert [key for key, node in nodes.items() if not node["isPartitioned"]] == ["control/run_windows"]

    def deps(key):
        return {"/".join(d["path"]) for d in nodes[key]["dependencyKeys"]}

    assert "config/areas" in deps("raw/assessments")
    assert "raw/top" in deps("staging/stg_raw__top")
    assert "marts/payment_runs" in deps("exports/statements")
    assert "marts/payment_lines" in deps("marts/payment_runs")


def test_a_backfill_is_one_run_of_its_range_and_runs_wait_in_a_queue(monkeypatch):
    from dagster import DagsterInstance
    from dagster._core.definitions.backfill_policy import BackfillPolicyType

    # One run computes every window of the backfill (one dbt build), oldest first within it.
    job = defs.resolve_job_def("monthly_payment_run")
    assert job.backfill_policy.policy_type == BackfillPolicyType.SINGLE_RUN
    monkeypatch.setenv("DAGSTER_HOME", str(REPO / "dagster_home"))
    with DagsterInstance.get() as instance:
        config = instance.get_concurrency_config()
        assert config.run_queue_config.max_concurrent_runs == 1
        # No concurrency pool: a killed run would keep its slot; the warehouse's OS lock keeps writers apart.
        assert config.pool_config.default_pool_limit is None
        assert instance.run_monitoring_enabled and instance.run_monitoring_max_runtime_seconds == 1800
