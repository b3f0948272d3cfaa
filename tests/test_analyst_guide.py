"""The examples of docs/analyst-guide.md, run on the demo's data (the generated run: the pilot
areas' returns of `make demo`, 2012-04..2014-03, seed 1) and on the acceptance scenario's
analysts' copy."""

from __future__ import annotations

import re
import shlex
import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pbr_pipeline.cli import DEMO_FIRST, DEMO_LAST
from pbr_pipeline.windows import window_range
from tests.conftest import GENERATED_WINDOWS

GUIDE_TEXT = (Path(__file__).resolve().parents[1] / "docs" / "analyst-guide.md").read_text(encoding="utf-8")
QUERIES = re.findall(r"```sql\n(.*?)```", GUIDE_TEXT, flags=re.S)
(EXPLAIN,) = re.findall(r"^\.venv/bin/pbr (explain .*)$", GUIDE_TEXT, flags=re.M)
(MONITOR,) = re.findall(r"^\.venv/bin/pbr (monitor .*)$", GUIDE_TEXT, flags=re.M)
(WHAT_IF,) = re.findall(r"```sh\n(cp -r pbr_pipeline/config/areas .*?)```", GUIDE_TEXT, flags=re.S)
(WHAT_IF_SUMMARY,) = re.findall(r"```text\n(simulation .*?)```", GUIDE_TEXT, flags=re.S)
(WHAT_IF_LINES,) = re.findall(r"```sh\n(\.venv/bin/python - <<'PY'\n.*?)```", GUIDE_TEXT, flags=re.S)
REPO = Path(__file__).resolve().parents[1]


def test_the_guide_has_twelve_queries():
    assert len(QUERIES) == 12


def test_the_guide_names_only_windows_of_the_demo():
    assert GENERATED_WINDOWS == (DEMO_FIRST, DEMO_LAST)  # the generated run is the demo's range
    named = re.findall(r"'(\d{4}-\d{2})'", "\n".join(QUERIES)) + re.findall(r"--window (\S+)", EXPLAIN + MONITOR)
    assert len(named) >= 5 and set(named) <= set(window_range(DEMO_FIRST, DEMO_LAST))


@pytest.fixture(scope="module")
def analyst(acceptance_run):
    con = duckdb.connect(str(acceptance_run.analyst_warehouse), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def demo_analyst(generated_run):
    con = duckdb.connect(str(generated_run.analyst_warehouse), read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("number", range(1, 13))
def test_each_query_returns_rows_on_the_demos_data(demo_analyst, number):
    assert demo_analyst.execute(QUERIES[number - 1]).fetchall(), f"query {number} returned no rows"


@pytest.mark.parametrize("number", range(1, 13))
def test_each_query_returns_rows_on_the_acceptance_scenario(analyst, number):
    assert analyst.execute(QUERIES[number - 1]).fetchall(), f"query {number} returned no rows"


def test_the_explain_example_shows_its_line_and_evidence_on_the_demos_data(generated_run):
    args = shlex.split(EXPLAIN)
    window, key = args[args.index("--window") + 1], args[args.index("--line-key") + 1]
    lines = generated_run.pbr(*args).stdout.splitlines()
    assert any(line.startswith(f"  {window} | {key} | ") and " | NEW | " in line for line in lines)
    evidence = lines[lines.index("evidence:") + 2 : lines.index("the person's other records in force:")]
    tables = [line.split(" | ")[0].strip() for line in evidence]
    assert tables.count("assessments") == 1 and tables.count("top") == 2  # INITIAL, and the two review TOPs


def test_query_answers_match_the_scenario(analyst):
    def run(number):
        return analyst.execute(QUERIES[number - 1]).fetchall()

    assert run(1) == [("OXF", "OXF-LIFELINE", 4, Decimal("250.00")), ("OXF", "OXF-OXHEALTH", 2, Decimal("250.00"))]
    assert run(2) == [
        ("OUTCOME", "D1_REDUCED_USE", "REVERSAL", 1, Decimal("-50.00")),
        ("OUTCOME", "D2_ABSTINENT", "REVERSAL", 1, Decimal("-150.00")),
        ("OUTCOME", "H2_HOUSING_RESOLVED", "REVERSAL", 1, Decimal("-50.00")),
        ("OUTCOME", "H4_QOL_NORMATIVE", "REVERSAL", 1, Decimal("0.00")),
    ]
    late = {(w, e, key) for w, e, key, _, _ in run(6)}
    assert ("2012-12", "2012-10", "OXF-000001#1|OUTCOME|D1_REDUCED_USE") in late
    assert run(8) == [("OXF-LIFELINE", "RECEIVING", 1, 1), ("OXF-OXHEALTH", "CONVERTING", 1, 1)]
    quality = {row[0]: row[1:] for row in run(10)}
    assert quality["OXF-POLICE"] == (1, "CHECKSUM_MISMATCH", 0)
    assert quality["OXF-OXHEALTH"][0] == 0 and quality["OXF-OXHEALTH"][2] == 1


def test_the_monitor_example_lists_what_query_12_selects(generated_run, demo_analyst):
    listed = generated_run.pbr(*shlex.split(MONITOR)).stdout.splitlines()
    cases = demo_analyst.execute(QUERIES[11]).fetchall()
    # the command lists each pathway's row; the query every case of the provider and indicator
    rows = [line for line in listed if line.startswith("  ") and not line.startswith("  pbr_id")]
    assert sorted(rows) == sorted(
        f"  {p} | {j} | {e or ''} | {d.isoformat()} | {str(n).lower()}" for p, j, e, d, n in cases
    )
    assert len(rows) > 10
    assert any(" | true" in row for row in rows) and any(" | false" in row for row in rows)


@pytest.fixture(scope="module")
def what_if(generated_run, tmp_path_factory) -> tuple[Path, str]:
    """The guide's what-if commands as written, run in a folder laid out as the repository is
    (its package, its .venv and the demo's warehouse folder under data/)."""
    folder = tmp_path_factory.mktemp("what-if")
    (folder / "pbr_pipeline").symlink_to(REPO / "pbr_pipeline")
    (folder / ".venv").symlink_to(REPO / ".venv")
    (folder / "data").mkdir()
    (folder / "data" / "warehouse").symlink_to(generated_run.warehouse.parent)
    result = subprocess.run(
        ["bash", "-e", "-c", WHAT_IF], cwd=folder, env=generated_run.env(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return folder, result.stdout


def test_the_what_if_example_prints_the_summary_the_guide_shows(what_if):
    folder, out = what_if
    printed = out[out.index("simulation 2013-04..2014-03") :].splitlines()
    shown = WHAT_IF_SUMMARY.strip().splitlines()
    assert printed[0] == shown[0].replace("data/what-if-config", str(folder / "data" / "what-if-config"))
    assert printed[1 : len(shown)] == shown[1:]
    assert (folder / "data" / "what-if" / "comparison.html").is_file()


def test_the_what_if_line_by_line_query_lists_lines_that_differ(what_if):
    folder, _ = what_if
    result = subprocess.run(["bash", "-e", "-c", WHAT_IF_LINES], cwd=folder, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "2014-03" in result.stdout and "OUTCOME|D4_SUSTAINED" in result.stdout
