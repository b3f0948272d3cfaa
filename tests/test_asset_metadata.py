"""The UI's metadata of a real run: money as money, counts as integers, to the penny.

`pbr run` over the acceptance scenario's first eight windows (2012-04..2012-11) into a Dagster
instance of the test's own; the metadata is read back from that instance's event log, as the
UI reads it. 2012-11 is the window whose net is negative (a reversal of £250.00).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    IntMetadataValue,
    TableMetadataValue,
    TextMetadataValue,
    UrlMetadataValue,
)

from tests.conftest import ACCEPTANCE, PipelineRun

FIRST, LAST = "2012-04", "2012-11"


@pytest.fixture(scope="module")
def metadata(tmp_path_factory):
    root = tmp_path_factory.mktemp("metadata")
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    run = PipelineRun(root, ACCEPTANCE / "landing", ACCEPTANCE / "config")
    run.pbr("run", "--from", FIRST, "--to", LAST, env={"DAGSTER_HOME": str(home)})
    with DagsterInstance.from_config(str(home)) as instance:

        def latest(*path: str) -> dict:
            event = instance.get_latest_materialization_event(AssetKey(list(path)))
            assert event is not None, f"{'/'.join(path)} was not materialised"
            return dict(event.asset_materialization.metadata)

        yield latest


def rows(table: TableMetadataValue) -> list[dict]:
    return [record.data for record in table.records]


def test_the_payment_run_shows_its_net_amount_as_money_and_its_lines_as_a_count(metadata):
    runs = metadata("marts", "payment_runs")
    assert runs["windows"] == IntMetadataValue(8)
    assert runs["lines"] == IntMetadataValue(4)  # 2012-11: OXF-LIFELINE's four lines
    assert runs["net_amount"] == TextMetadataValue("-£250.00")


def test_the_statements_show_net_due_per_provider_as_money(metadata):
    statements = metadata("exports", "statements")
    assert isinstance(statements["files"], IntMetadataValue) and statements["files"].value >= 4
    table = statements["net_due_by_provider"]
    assert [(c.name, c.type) for c in table.schema.columns] == [
        ("area", "string"),
        ("provider", "string"),
        ("lines", "int"),
        ("net_due", "string"),
    ]
    by_provider = {row["provider"]: row for row in rows(table)}
    assert by_provider["OXF-LIFELINE"] == {"area": "OXF", "provider": "OXF-LIFELINE", "lines": 4, "net_due": "-£250.00"}
    assert by_provider["OXF-OXHEALTH"] == {"area": "OXF", "provider": "OXF-OXHEALTH", "lines": 0, "net_due": "£0.00"}
    assert all(type(row["lines"]) is int for row in by_provider.values())


def test_the_statements_link_each_providers_html_and_pdf_and_the_summary(metadata):
    statements = metadata("exports", "statements")
    folder = Path(statements["folder"].path)
    assert folder.name == LAST
    summary = statements["summary"]
    assert isinstance(summary, UrlMetadataValue) and summary.url == (folder / "summary.html").as_uri()
    links = re.findall(r"\[(HTML|PDF)\]\((file://[^)]+)\)", statements["statements"].md_str)
    assert len(links) == 2 * len(rows(statements["net_due_by_provider"]))  # an HTML and a PDF each
    lifeline = next(line for line in statements["statements"].md_str.splitlines() if "OXF-LIFELINE" in line)
    assert "| -£250.00 |" in lifeline
    found = re.findall(r"\[(HTML|PDF)\]\((file://[^)]+)\)", lifeline)
    assert [kind for kind, _ in found] == ["HTML", "PDF"]
    for kind, uri in found:
        path = Path(unquote(urlparse(uri).path))
        assert path == folder / f"statement_OXF-LIFELINE.{kind.lower()}" and path.is_file()


def test_ingest_and_configuration_show_counts_as_integers(metadata):
    submissions = metadata("quality", "submissions")
    counts = {
        name: value.value
        for name, value in submissions.items()
        if name not in ("by_area",) and isinstance(value, IntMetadataValue)
    }
    # expected/2012-11/submissions.csv: 17 submissions seen, one rejected, one later superseded.
    assert counts == {
        "submissions_new": 17,
        "submissions_loaded": 16,
        "submissions_rejected": 1,
        "rows_loaded": 30,
        "rows_quarantined": 1,
        "already_seen": 0,
    }
    table = submissions["by_area"]
    assert [c.type for c in table.schema.columns] == ["string", "int", "int", "int", "int", "int"]
    assert rows(table) == [
        {"area": "OXF", "loaded": 16, "rejected": 1, "duplicate": 0, "rows_loaded": 30, "rows_quarantined": 1}
    ]
    assert metadata("config", "areas")["rows"] == IntMetadataValue(2)
    assert metadata("config", "submitters")["rows"] == IntMetadataValue(8)  # five in oxf.yaml, three in wig.yaml
    floats = [
        (key, name)
        for key in (
            ("marts", "payment_runs"),
            ("exports", "statements"),
            ("quality", "submissions"),
            ("config", "areas"),
        )
        for name, value in metadata(*key).items()
        if type(getattr(value, "value", None)) is float
    ]
    assert floats == []
