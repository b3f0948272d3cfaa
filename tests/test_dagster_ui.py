"""The Dagster UI: `make ui` loads workspace.yaml and serves the asset graph and schedule."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from dagster import AssetCheckKey, AssetKey

from pbr_pipeline.definitions import defs
from pbr_pipeline.settings import VARIABLES

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


RESOURCE_QUERY = """
{
  topLevelResourceDetailsOrError(resourceSelector: {
      repositoryLocationName: "%s", repositoryName: "__repository__", resourceName: "pipeline"}) {
    __typename
    ... on ResourceDetails { configuredValues { key value type } }
  }
  runConfigSchemaOrError(selector: {
      repositoryLocationName: "%s", repositoryName: "__repository__", pipelineName: "monthly_payment_run"}) {
    ... on RunConfigSchema { rootDefaultYaml }
  }
}
"""

UI_KEY = "ui-test-pseudonym-key-never-shown"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
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
    # A warehouse of its own, and a key the UI must never show.
    env = {**os.environ, "PBR_WAREHOUSE": str(home / "pbr.duckdb"), "PBR_PSEUDONYM_KEY": UI_KEY}
    with open(log, "w") as output:  # a file, not a pipe: dagster dev logs a lot and would block on a full pipe
        server = subprocess.Popen(
            ["make", "--no-print-directory", "ui", f"UI_PORT={port}", f"UI_HOME={home}"],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
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
    assert {"monthly_payment_run", "simulate_tariff"} <= {job["name"] for job in repository["jobs"]}
    assert repository["schedules"] == [
        {"name": "monthly_payment_schedule", "cronSchedule": "0 6 5 * *", "executionTimezone": "UTC"}
    ]
    assert [sensor["name"] for sensor in repository["sensors"]] == ["landing_sensor"]


def test_the_resource_names_its_variables_and_never_shows_the_key(webserver):
    [entry] = graphql(webserver, WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"]
    data = graphql(webserver, RESOURCE_QUERY % (entry["name"], entry["name"]))
    resource = data["topLevelResourceDetailsOrError"]
    assert resource["__typename"] == "ResourceDetails", resource
    values = {value["key"]: (value["type"], value["value"]) for value in resource["configuredValues"]}
    # Set where the UI runs: the variable, by name. Unset: None, settings.py's default.
    assert values["pseudonym_key"] == ("ENV_VAR", "PBR_PSEUDONYM_KEY")
    assert values["warehouse"] == ("ENV_VAR", "PBR_WAREHOUSE")
    assert values["landing_dir"] == values["export_dir"] == ("VALUE", "null")
    assert set(values) == set(VARIABLES)
    # The launchpad's default run config names the variable too; the key is nowhere.
    assert "PBR_PSEUDONYM_KEY" in data["runConfigSchemaOrError"]["rootDefaultYaml"]
    assert UI_KEY not in json.dumps(data)


LAUNCH_RUN = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PythonError { message }
  }
}
"""

RUN_STATUS = """
query($runId: ID!) {
  runOrError(runId: $runId) { __typename ... on Run { status } }
}
"""

RUN_FAILURES = """
query($runId: ID!) {
  logsForRun(runId: $runId) {
    ... on EventConnection {
      events { __typename ... on ExecutionStepFailureEvent { stepKey error { message } } }
    }
  }
}
"""


def test_a_simulation_launched_with_run_config_fails_on_a_bad_configuration_in_one_line(webserver, tmp_path):
    """The launchpad's path: `simulate_tariff` launched with its run config, queued, started by
    the daemon in a run worker of its own. Its configuration's weights do not sum to 1, so the
    op fails with the ConfigError's one line before anything is written."""
    from pbr_pipeline.config import ConfigError, load_areas
    from tests.conftest import ACCEPTANCE

    config_dir = tmp_path / "config"
    shutil.copytree(ACCEPTANCE / "config", config_dir)
    oxf = config_dir / "oxf.yaml"
    oxf.write_text(oxf.read_text().replace("D4_SUSTAINED: 0.25", "D4_SUSTAINED: 0.35"))
    with pytest.raises(ConfigError) as refused:
        load_areas(config_dir)
    out = tmp_path / "simulation"
    [entry] = graphql(webserver, WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"]
    params = {
        "selector": {
            "repositoryLocationName": entry["name"],
            "repositoryName": "__repository__",
            "jobName": "simulate_tariff",
        },
        "runConfigData": {
            "ops": {
                "simulation": {
                    "config": {"config_dir": str(config_dir), "first": "2012-04", "last": "2012-09", "out": str(out)}
                }
            }
        },
    }
    launched = graphql(webserver, LAUNCH_RUN, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline, status = time.monotonic() + 240, None
    while time.monotonic() < deadline:
        status = graphql(webserver, RUN_STATUS, {"runId": run_id})["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(2)
    assert status == "FAILURE"
    events = graphql(webserver, RUN_FAILURES, {"runId": run_id})["logsForRun"]["events"]
    [failure] = [event for event in events if event["__typename"] == "ExecutionStepFailureEvent"]
    assert failure["stepKey"] == "simulation"
    assert failure["error"]["message"].strip().endswith(str(refused.value)), failure
    assert not out.exists()


def test_asset_graph_runs_from_configuration_to_statements(webserver):
    nodes = {"/".join(n["assetKey"]["path"]): n for n in graphql(webserver, ASSETS_QUERY)["assetNodes"]}
    expected = {
        "config/areas",
        "raw/assessments",
        "quality/submissions",
        "staging/stg_raw__top",
        "marts/journeys",
        "marts/outcome_attainment",
        "marts/entitlements",
        "marts/payment_lines",
        "marts/payment_runs",
        "marts/monitor_indicators",
        "exports/statements",
        "quality/record_issues",
    }
    assert expected <= set(nodes)
    assert len(nodes) == len(list(defs.resolve_all_asset_keys()))
    # Every asset is per window but the run's list of windows, which the dbt asset writes
    # before it builds (a dbt source: the models read the windows as data).
    assert [key for key, node in nodes.items() if not node["isPartitioned"]] == ["control/run_windows"]

    def deps(key):
        return {"/".join(d["path"]) for d in nodes[key]["dependencyKeys"]}

    # Ingest checks a submission against the declared submitters and loads a table's rows from
    # the submissions it accepted, each checked against the area's bands where it has a band.
    assert deps("quality/submissions") == {"config/submitters"}
    assert deps("raw/assessments") == {"quality/submissions", "config/schedule_bands"}
    assert deps("raw/top") == {"quality/submissions"}
    assert "raw/top" in deps("staging/stg_raw__top")
    assert "marts/payment_runs" in deps("exports/statements")
    # A window's payment run builds on the previous window's (assets/payments.py says why the
    # dependency is the statements').
    assert "exports/statements" in deps("exports/statements")
    assert "marts/payment_lines" in deps("marts/payment_runs")


def test_a_backfill_is_one_run_of_its_range_and_runs_wait_in_a_queue(tmp_path):
    from dagster import DagsterInstance
    from dagster._core.definitions.backfill_policy import BackfillPolicyType

    from pbr_pipeline.settings import instance_settings

    # One run computes every window of the backfill (one dbt build), oldest first within it.
    job = defs.resolve_job_def("monthly_payment_run")
    assert job.backfill_policy.policy_type == BackfillPolicyType.SINGLE_RUN
    # The project's settings, in an instance of the test's own (opening one creates its storage).
    instance_settings(tmp_path)
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        config = instance.get_concurrency_config()
        assert config.run_queue_config.max_concurrent_runs == 1
        # No concurrency pool: a killed run would keep its slot; the warehouse's OS lock keeps writers apart.
        assert config.pool_config.default_pool_limit is None
        assert instance.run_monitoring_enabled and instance.run_monitoring_max_runtime_seconds == 1800


def test_a_range_backfill_is_planned_as_one_run_of_every_asset(tmp_path):
    """A backfill of a range as the UI launches it, planned by the daemon's own backfill
    iteration: one run of every asset and check over the whole range. The statements' dependency
    on the previous window does not split it (a self-dependent asset with parents outside its
    step would get a run of its own, after the others'). The run is queued, not executed."""
    from dagster._core.execution.backfill import PartitionBackfill
    from dagster._core.test_utils import create_test_daemon_workspace_context, instance_for_test
    from dagster._core.workspace.load_target import ModuleTarget
    from dagster._daemon.backfill import execute_backfill_iteration

    queued = {"run_coordinator": {"module": "dagster._core.run_coordinator", "class": "QueuedRunCoordinator"}}
    target = ModuleTarget(
        module_name="pbr_pipeline.definitions",
        attribute="defs",
        working_directory=str(REPO),
        location_name="pbr_pipeline",
    )
    with (
        instance_for_test(overrides=queued, temp_dir=str(tmp_path), set_dagster_home=False) as instance,
        create_test_daemon_workspace_context(target, instance) as workspace,
    ):
        graph = workspace.create_request_context().asset_graph
        instance.add_backfill(
            PartitionBackfill.from_asset_partitions(
                backfill_id="range",
                asset_graph=graph,
                partition_names=["2012-04", "2012-05", "2012-06"],
                asset_selection=list(graph.materializable_asset_keys),
                backfill_timestamp=time.time(),
                tags={},
                dynamic_partitions_store=instance,
                all_partitions=False,
                title=None,
                description=None,
                run_config=None,
            )
        )
        list(execute_backfill_iteration(workspace, logging.getLogger("test_backfill")))
        [run] = instance.get_runs()
    assert (run.tags["dagster/asset_partition_range_start"], run.tags["dagster/asset_partition_range_end"]) == (
        "2012-04",
        "2012-06",
    )
    assert run.asset_selection == set(graph.materializable_asset_keys)
    assert AssetCheckKey(AssetKey(["marts", "payment_lines"]), "gx_payment_checkpoint") in run.asset_check_selection
    assert AssetCheckKey(AssetKey(["marts", "monitor_indicators"]), "monitor_flags") in run.asset_check_selection


def python_written_tables() -> set[str]:
    from data_contracts import CONTRACTS
    from pbr_pipeline.config.publish import CONFIG_TABLES
    from pbr_pipeline.warehouse import QUALITY_TABLES

    return {f"raw.{t}" for t in CONTRACTS} | {f"config.{t}" for t in CONFIG_TABLES} | set(QUALITY_TABLES)


SQL_COMMENTS = re.compile(r"--[^\n]*|\{#.*?#\}", re.S)


def test_models_read_the_tables_python_writes_as_dbt_sources_of_their_assets():
    from pbr_pipeline.assets.config import area_config
    from pbr_pipeline.assets.dbt import PbrDbtTranslator
    from pbr_pipeline.assets.ingest import landed_submissions
    from pbr_pipeline.assets.payments import payment_run
    from pbr_pipeline.dbt import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text())
    sources = {
        f"{source['source_name']}.{source['name']}": PbrDbtTranslator().get_asset_key(source)
        for source in manifest["sources"].values()
    }
    assert {"quality.submissions", "marts.payment_runs"} <= set(sources)
    # A source is a table Python writes, under the key of the Python asset that writes it; the
    # run's windows have no asset of their own (the dbt asset writes them before it builds).
    assert set(sources) <= python_written_tables()
    python_assets = area_config.keys | landed_submissions.keys | payment_run.keys
    assert {name for name, key in sources.items() if key not in python_assets} == {"control.run_windows"}
    # No model or macro of the project names such a table but by source(). The run's windows
    # are named directly on purpose (macros/as_of.sql says why).
    code = {
        node["name"]: SQL_COMMENTS.sub("", node.get("raw_code") or node.get("macro_sql") or "")
        for node in [*manifest["nodes"].values(), *manifest["macros"].values()]
        if node["package_name"] == "pbr"
    }
    assert len(code) > 50 and "stg_quality__submissions" in code
    named = [
        (name, table)
        for name, text in code.items()
        for table in python_written_tables() - {"control.run_windows"}
        if re.search(rf"\b{re.escape(table)}\b", text)
    ]
    assert named == []


def test_the_resource_has_a_field_per_variable_and_settings_py_gives_the_defaults(tmp_path, monkeypatch):
    from dagster import build_resources

    from pbr_pipeline.resources import PipelineSettings
    from pbr_pipeline.settings import Settings

    for variable in VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    assert set(PipelineSettings.model_fields) == set(VARIABLES)
    unset = PipelineSettings.from_environment()
    assert [field for field in VARIABLES if getattr(unset, field) is not None] == []
    with build_resources({"pipeline": unset}) as resources:
        assert resources.pipeline.settings() == Settings.from_env({})
        assert resources.pipeline.settings().warehouse == tmp_path / "data" / "warehouse" / "pbr.duckdb"


def test_the_resource_reads_its_variables_when_a_run_starts_and_creates_the_warehouse(tmp_path, monkeypatch):
    from dagster import build_resources

    from pbr_pipeline.resources import PipelineSettings
    from pbr_pipeline.settings import Settings, SettingsError
    from pbr_pipeline.warehouse import connect

    monkeypatch.setenv("PBR_WAREHOUSE", "first/pbr.duckdb")
    monkeypatch.setenv("PBR_PSEUDONYM_KEY", "k")
    monkeypatch.chdir(tmp_path)
    resource = PipelineSettings.from_environment()
    assert (resource.warehouse, resource.pseudonym_key) == ("PBR_WAREHOUSE", "PBR_PSEUDONYM_KEY")  # EnvVars, by name
    with pytest.raises(RuntimeError, match="PBR_PSEUDONYM_KEY, PBR_WAREHOUSE not read yet"):
        resource.settings()
    # One process, two warehouses: each run reads the variables as they are when it starts.
    for folder in ("first", "second"):
        monkeypatch.setenv("PBR_WAREHOUSE", f"{folder}/pbr.duckdb")
        with build_resources({"pipeline": resource}) as resources:
            settings = resources.pipeline.settings()
            assert settings == Settings.from_env() and settings.warehouse == tmp_path / folder / "pbr.duckdb"
            assert settings.export_dir == tmp_path / folder / "exports" and not settings.using_development_key
            # Created before the run's first step, which then only connects.
            with connect(settings.warehouse) as con:
                assert con.execute("SELECT count(*) FROM marts.payment_runs").fetchone() == (0,)
    monkeypatch.setenv("PBR_PSEUDONYM_KEY", " ")
    with pytest.raises(Exception) as refused, build_resources({"pipeline": resource}):
        pass
    assert isinstance(refused.value.__cause__, SettingsError), refused.value
    assert str(refused.value.__cause__).startswith("PBR_PSEUDONYM_KEY is set but empty")


# What a reader sees: each group's page of the asset graph, in a headless chromium, on a
# 1920 x 1080 screen with the navigation hidden. Dagster fits a group's graph to the width of the
# page; the screenshot is as tall as the graph, so it shows every asset of the group.
GROUPS = ("configuration", "returns", "journeys", "outcomes", "payments", "monitoring", "exports", "reference")
SCREEN = {"width": 1920, "height": 1080}
# The node facets the screenshots show (the graph's sliders button); Dagster's default has no
# description.
NODE_FACETS = ["description", "checks", "partitions"]
MOST_ASSETS_IN_A_GROUP = 25
# Below this zoom Dagster draws a node as its name cut to 18 characters (AssetGraphExplorer's
# MINIMAL_SCALE); above it, as its full name, description and facets. A name longer than 31
# characters is cut in the middle even then: name a model shorter.
FULL_NODE_ZOOM = 0.6
TALLEST_PAGE = 6000
DOCS_SCREENSHOT = REPO / "docs" / "asset-graph.png"
UI_SETTINGS = (
    "localStorage.setItem('communityNux', '\"1\"');"  # the welcome dialog, seen
    "localStorage.setItem('dagster-nav-collapsed', 'true');"
    f"localStorage.setItem('asset-node-facets', '{json.dumps(NODE_FACETS)}');"
)
# The graph's size and zoom: the <svg> Dagster lays it out in, inside the viewport it scales.
GRAPH_LAYOUT = """() => {
  const svg = [...document.querySelectorAll('svg')].find(s => s.parentElement.style.transform);
  if (!svg || !svg.querySelector('foreignObject')) return null;
  const frame = svg.parentElement.parentElement.getBoundingClientRect();
  return {width: +svg.getAttribute('width'), height: +svg.getAttribute('height'),
          zoom: new DOMMatrix(svg.parentElement.style.transform).a, frame: frame.height};
}"""
# Each asset node of the page: its full name (tooltip), the name shown, the description shown.
ASSET_NODES = """() => [...document.querySelectorAll('[data-tooltip]')].map(name => {
  const node = name.closest('[class*="assetNodeBox"]');
  const description = node && node.querySelector('[class*="assetDescription"]');
  return [name.getAttribute('data-tooltip'), name.innerText, description ? description.innerText : null];
})"""


@pytest.fixture(scope="module")
def browser():
    from tests.browser import chromium

    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def ui(webserver):
    [entry] = graphql(webserver, WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"]
    assets = graphql(webserver, ASSETS_QUERY)["assetNodes"]
    groups = {group: [a["assetKey"]["path"][-1] for a in assets if a["groupName"] == group] for group in GROUPS}
    return {"url": f"http://127.0.0.1:{webserver}", "location": entry["name"], "groups": groups}


def open_graph(browser, url: str):
    """The page, once its graph is drawn, on a screen as tall as the graph at the page's zoom."""
    context = browser.new_context(viewport=SCREEN)
    context.add_init_script(UI_SETTINGS)
    page = context.new_page()
    page.set_default_timeout(120_000)  # a loaded two-core machine: wait on what is drawn, never sleep
    page.goto(url)
    layout = page.wait_for_function(GRAPH_LAYOUT).json_value()
    height = round(SCREEN["height"] - layout["frame"] + layout["height"] * layout["zoom"]) + 2
    if height > SCREEN["height"]:
        page.set_viewport_size({"width": SCREEN["width"], "height": min(height, TALLEST_PAGE)})
        page.reload()  # laid out and centred anew on the taller screen
        layout = page.wait_for_function(GRAPH_LAYOUT).json_value()
    return page, layout


@pytest.mark.parametrize("group", GROUPS)
def test_each_group_page_shows_every_asset_by_its_full_name_and_description(ui, browser, group, tmp_path):
    from tests.browser import png_size

    names = ui["groups"][group]
    assert 0 < len(names) <= MOST_ASSETS_IN_A_GROUP, names
    page, layout = open_graph(browser, f"{ui['url']}/locations/{ui['location']}/asset-groups/{group}/lineage")
    for name in names:
        page.wait_for_selector(f'[data-tooltip="{name}"]', state="attached")
    page.wait_for_selector("text=Loading", state="detached")
    screenshot = tmp_path / f"{group}.png"
    page.screenshot(path=screenshot)
    shown = {full: (text, description) for full, text, description in page.evaluate(ASSET_NODES)}
    height = page.viewport_size["height"]
    page.context.close()
    assert png_size(screenshot) == (SCREEN["width"], height)
    assert layout["zoom"] >= FULL_NODE_ZOOM, f"{group} is drawn as cut names, at zoom {layout['zoom']:.2f}"
    assert sorted(shown) == sorted(names)  # every asset of the group on the page, none of another
    for name, (text, description) in shown.items():
        assert text == name, f"{name} is shown cut, as {text}: Dagster cuts names over 31 characters"
        assert description and description != "No description", name
    if group == "exports":  # Markdown no longer eats <PROVIDER>
        assert shown["statements"][1].startswith(
            "Under PBR_EXPORT_DIR/<window>/: each provider's statement as statement_<PROVIDER>.csv"
        )


def test_the_overview_shows_the_domains_and_the_statements_description_renders_literally(ui, browser, tmp_path):
    """The asset graph as the UI opens it: one box per group, with its assets' count, and the
    flow between them (docs/asset-graph.png, rewritten with PBR_UPDATE_SCREENSHOTS=1). Then the
    statements' page, whose description names `statement_<PROVIDER>.csv`."""
    from tests.browser import png_size

    page, layout = open_graph(browser, f"{ui['url']}/asset-groups")
    for group in GROUPS:
        count = len(ui["groups"][group])
        page.wait_for_selector(f'[data-tooltip="{group}"]', state="attached")
        page.get_by_text(f"{count} asset{'s' if count > 1 else ''}", exact=False).first.wait_for()
    page.wait_for_selector("text=fetching statuses", state="detached")
    screenshot = tmp_path / "asset-graph.png"
    page.screenshot(path=screenshot)
    assert png_size(screenshot) == (SCREEN["width"], SCREEN["height"])
    assert layout["zoom"] >= FULL_NODE_ZOOM, f"the groups are drawn small, at zoom {layout['zoom']:.2f}"
    if os.environ.get("PBR_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(screenshot, DOCS_SCREENSHOT)
    assert png_size(DOCS_SCREENSHOT) == (SCREEN["width"], SCREEN["height"])  # the README's picture

    page.goto(f"{ui['url']}/assets/exports/statements")
    description = page.get_by_text("statement_<PROVIDER>.csv", exact=True)
    description.wait_for()
    assert description.evaluate("e => e.tagName") == "CODE"
    assert page.get_by_text("statement_.csv").count() == 0
    page.context.close()
