"""What a reader of the asset graph sees of each asset: its group and a short description."""

from __future__ import annotations

import json

from pbr_pipeline.assets.dbt import PbrDbtTranslator
from pbr_pipeline.assets.display import markdown_safe, short_description
from pbr_pipeline.dbt import dbt_project
from pbr_pipeline.definitions import defs

GROUPS = {"configuration", "returns", "journeys", "outcomes", "payments", "monitoring", "exports", "reference"}


def manifest() -> dict:
    return json.loads(dbt_project.manifest_path.read_text())


def assets() -> dict[str, object]:
    graph = defs.resolve_asset_graph()
    return {key.to_user_string(): graph.get(key) for key in graph.get_all_asset_keys()}


def test_every_dbt_model_and_seed_has_a_yml_description():
    nodes = [n for n in manifest()["nodes"].values() if n["resource_type"] in ("model", "seed")]
    assert len(nodes) > 50
    undescribed = sorted(n["original_file_path"] for n in nodes if not n["description"].strip())
    assert undescribed == [], f"dbt models and seeds with no description in their yml: {undescribed}"


def test_a_dbt_asset_shows_the_first_sentence_of_its_yml_description_never_its_sql():
    translator = PbrDbtTranslator()
    nodes = [n for n in manifest()["nodes"].values() if n["resource_type"] in ("model", "seed")]
    shown = assets()
    for node in nodes:
        key = translator.get_asset_key(node).to_user_string()
        assert shown[key].description == markdown_safe(short_description(node["description"])), key
    journeys = shown["marts/journeys"].description
    assert journeys.startswith("Treatment journeys as of the latest run (spec/outputs.md marts.journeys): one row per")
    assert journeys.endswith("conversion date.") and "Rebuilt" not in journeys  # the first sentence only
    assert "`int_*__current`" in shown["marts/payment_line_evidence"].description  # not emphasis


def test_every_asset_is_in_a_group_of_the_spec_with_a_description_markdown_shows_literally():
    shown = assets()
    assert {key: node.group_name for key, node in shown.items() if node.group_name not in GROUPS} == {}
    assert {node.group_name for node in shown.values()} == GROUPS
    for key, node in shown.items():
        description = node.description or ""
        assert description.strip(), f"{key} has no description"
        assert "Raw SQL" not in description and "select" not in description.lower().split(), key
        assert "\n" not in description, key  # one line: the graph shows the first
        assert markdown_safe(description) == description, f"{key}: Markdown would eat part of {description!r}"
    # The run's windows (a dbt source the dbt asset writes) sit with the configuration.
    assert shown["control/run_windows"].group_name == "configuration"
    assert shown["control/run_windows"].description.startswith("One row per window the run computes")
    assert "`statement_<PROVIDER>.csv`" in shown["exports/statements"].description
