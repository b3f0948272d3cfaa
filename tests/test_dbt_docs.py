"""The dbt docs: one static page that opens from the file system with the network off, the
project's overview as its home page, and a description for every column of the marts and of
quality.* (the tables of spec/outputs.md), checked against the relations a run builds."""

from __future__ import annotations

import json
import os

import duckdb
import pytest

from pbr_pipeline.dbt import DBT_PROJECT_DIR, dbt_project
from pbr_pipeline.dbt_prepare import NOT_INLINED, docs_are_current, prepare

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
        "marts.monitor_indicators",
        "marts.monitor_cases",
        "marts.payment_forecast",
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


def test_a_kept_docs_page_is_static_and_newer_than_every_dbt_file(tmp_path):
    index = tmp_path / "index.html"
    index.write_bytes(b"<html>all inlined</html>")
    assert docs_are_current(index)
    index.write_bytes(b'<html>"MANIFEST.JSON INLINE DATA"</html>')  # dbt's page before --static
    assert NOT_INLINED in index.read_bytes() and not docs_are_current(index)
    index.write_bytes(b"<html>all inlined</html>")
    oldest = min(p.stat().st_mtime for p in DBT_PROJECT_DIR.joinpath("models").rglob("*.sql"))
    os.utime(index, (oldest - 60, oldest - 60))
    assert not docs_are_current(index)


def inlined(page: str, name: str) -> dict:
    """The manifest or catalog that `dbt docs generate --static` wrote into the page."""
    start = page.index(f"{name}:{{")
    return json.JSONDecoder().raw_decode(page, start + len(name) + 1)[0]


def test_the_docs_page_holds_the_catalog_of_the_contract_tables(acceptance_run):
    page = (acceptance_run.root / "dbt_docs" / "index.html").read_text(encoding="utf-8")
    catalog, manifest = inlined(page, "catalog"), inlined(page, "manifest")
    tables = {f"{node['metadata']['schema']}.{node['metadata']['name']}" for node in catalog["nodes"].values()}
    assert {"marts.payment_lines", "marts.outcome_attainment", "marts.journeys", "quality.record_issues"} <= tables
    sources = {f"{node['metadata']['schema']}.{node['metadata']['name']}" for node in catalog["sources"].values()}
    assert {"quality.submissions", "quality.quarantine", "marts.payment_runs"} <= sources
    assert manifest["docs"]["doc.pbr.__overview__"]["block_contents"].startswith("# PbR recovery payment warehouse")
    # With usage statistics on, the page would load a tracking script from the internet.
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False


@pytest.fixture(scope="module")
def browser():
    from tests.browser import chromium

    with chromium() as browser:
        yield browser


def test_the_dbt_docs_are_one_page_that_opens_offline_on_the_projects_overview(acceptance_run, browser):
    docs = acceptance_run.root / "dbt_docs"
    assert [path.name for path in docs.iterdir()] == ["index.html"]
    assert NOT_INLINED not in (docs / "index.html").read_bytes()

    from tests.browser import OfflinePage

    # dbt's page asks for a favicon and icons it does not ship (its template's): failed file
    # requests inside the folder are allowed, nothing outside it.
    offline = OfflinePage(browser, docs)
    page = offline.page
    try:
        page.goto((docs / "index.html").as_uri())
        page.get_by_role("heading", name="PbR recovery payment warehouse").wait_for(timeout=60_000)
        home = page.inner_text("body")
        for heading in ("What the warehouse holds", "How the models are laid out", "Where to start"):
            assert heading in home
        assert "marts.payment_line_evidence" in home and "docs/analyst-guide.md" in home
        assert "Welcome to the auto-generated documentation" not in home

        page.goto((docs / "index.html").as_uri() + "#!/model/model.pbr.payment_lines")
        page.get_by_text("NEW and REVERSAL lines from comparing the entitlement").wait_for(timeout=30_000)
        model = page.inner_text("body")
        assert "pbr.marts.payment_lines" in model
        assert "journey_id|kind|outcome_code, with an empty last part for ATTACHMENT and CONVERSION" in model
        assert "DECIMAL(14,2)" in model  # the catalog (the built relation's types) is in the page too

        page.goto((docs / "index.html").as_uri() + "#!/source/source.pbr.quality.quarantine")
        page.get_by_text("One row per quarantined row and reason").wait_for(timeout=30_000)
        assert "The column whose value breaks the rule." in page.inner_text("body")
    finally:
        offline.close()
    assert sorted(set(offline.remote)) == [] and offline.outside == []
