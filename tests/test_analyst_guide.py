"""The ten queries of docs/analyst-guide.md, run against the acceptance scenario's analysts' copy."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "analyst-guide.md"
QUERIES = re.findall(r"```sql\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)


def test_the_guide_has_ten_queries():
    assert len(QUERIES) == 10


@pytest.fixture(scope="module")
def analyst(acceptance_run):
    con = duckdb.connect(str(acceptance_run.analyst_warehouse), read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("number", range(1, 11))
def test_each_query_runs_and_returns_rows(analyst, number):
    assert analyst.execute(QUERIES[number - 1]).fetchall(), f"query {number} returned no rows"


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
