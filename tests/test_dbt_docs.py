"""Every column of the marts and of quality.* (the tables of spec/outputs.md) has a description,
checked against the relations a run builds."""

from __future__ import annotations

import json

import duckdb

from pbr_pipeline.dbt import dbt_project
from pbr_pipeline.dbt_prepare import prepare

DESCRIBED_SCHEMAS = ("marts", "quality")


def declared_relations(manifest: dict) -> dict[str, dict]:
    """schema.table -> the model or source that declares it, for the schemas described."""
    declared = {}
    for node in manifest["nodes"].values():
        schema = node["config"].get("schema")
        if node["resource_type"] == "model" and schema in DESCRIBED_SCHEMAS:
            declared[f"{schema}.{node.get('alias') or node['name']}"] = node
    for source in manifest["sources"].values():
        if source["schema"] in DESCRIBED_SCHEMAS:
            declared[f"{source['schema']}.{source['identifier']}"] = source
    return declared


def built_relations(warehouse) -> dict[str, list[str]]:
    """schema.table -> its columns, as the run built them."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            """SELECT table_schema || '.' || table_name, column_name FROM information_schema.columns
               WHERE table_catalog = current_database() AND list_contains(?, table_schema)
               ORDER BY table_schema, table_name, ordinal_position""",
            [list(DESCRIBED_SCHEMAS)],
        ).fetchall()
    finally:
        con.close()
    built: dict[str, list[str]] = {}
    for relation, column in rows:
        built.setdefault(relation, []).append(column)
    return built


def what_is_missing(node: dict | None, built: list[str] | None) -> list[str]:
    if node is None:
        return ["in the warehouse, but neither a dbt model nor a dbt source declares it"]
    missing = []
    if not node["description"].strip():
        missing.append("no description")
    if node["resource_type"] == "model" and not node["config"]["contract"]["enforced"]:
        missing.append("its contract is not enforced")
    columns = node["columns"]
    empty = [name for name, column in columns.items() if not column["description"].strip()]
    if empty:
        missing.append(f"columns without a description: {', '.join(empty)}")
    unrendered = [name for name, column in columns.items() if "{{" in column["description"]]
    if unrendered:
        missing.append(f"descriptions not rendered: {', '.join(unrendered)}")
    if built is None:
        missing.append("not in the warehouse a run builds")
    else:
        undeclared = [name for name in built if name not in columns]
        if undeclared:
            missing.append(f"columns the yml does not declare: {', '.join(undeclared)}")
        absent = [name for name in columns if name not in built]
        if absent:
            missing.append(f"declared columns the relation does not have: {', '.join(absent)}")
    return missing


def test_every_column_of_the_marts_and_of_quality_is_described(acceptance_run):
    prepare()  # the manifest of the project as it is now
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    declared = declared_relations(manifest)
    built = built_relations(acceptance_run.warehouse)
    # The test sees the tables of spec/outputs.md, whoever writes them (dbt or Python).
    assert {
        "marts.journeys",
        "marts.outcome_attainment",
        "marts.entitlements",
        "marts.payment_lines",
        "marts.provider_statements",
        "marts.conversion_counts",
        "marts.payment_runs",
        "quality.submissions",
        "quality.quarantine",
        "quality.record_issues",
    } <= set(declared) & set(built)
    problems = {
        relation: missing
        for relation in sorted(set(declared) | set(built))
        if (missing := what_is_missing(declared.get(relation), built.get(relation)))
    }
    assert problems == {}, "\n".join(f"{relation}: {'; '.join(missing)}" for relation, missing in problems.items())
