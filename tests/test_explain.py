"""`pbr explain`: the records behind a payment line, answered from the analysts' copy."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from pbr_pipeline.explain import explain_line


def evidence_of(output: str) -> set[tuple[str, str, str, str]]:
    """(table, key, submission, line) of the evidence section of `pbr explain` output."""
    section = output.split("evidence:\n", 1)[1].split("the person's other records", 1)[0]
    rows = [line.strip().split(" | ") for line in section.strip().splitlines()[1:]]
    return {(r[0], r[1], r[5], r[7]) for r in rows}


def test_a_late_review_outcome_is_traced_to_its_tops(acceptance_run):
    result = acceptance_run.pbr("explain", "--window", "2012-12", "--line-key", "OXF-000001#1|OUTCOME|D1_REDUCED_USE")
    assert "2012-12 | OXF-000001#1|OUTCOME|D1_REDUCED_USE" in result.stdout and "| NEW | 100.00" in result.stdout
    assert evidence_of(result.stdout) == {
        ("assessments", "AQ1", "OXF-AQUARIUS_2012-04_01", "2"),
        # the resubmission (seq 02) replaced seq 01: its line is the one in force
        ("top", "HT2", "OXF-OXHEALTH_2012-07_02", "2"),
        ("top", "HT5", "OXF-OXHEALTH_2012-12_01", "2"),
    }


def test_an_offending_outcome_lists_the_offences_counted(acceptance_run):
    result = acceptance_run.pbr("explain", "--window", "2014-03", "--line-key", "OXF-000004#2|OUTCOME|O1_OFFENDING")
    assert evidence_of(result.stdout) == {
        ("offences", "P3", "OXF-POLICE_2012-08_02", "2"),
        ("assessments", "AQ7", "OXF-AQUARIUS_2013-03_01", "2"),
    }


def test_an_unknown_line_is_a_one_line_error(acceptance_run):
    result = acceptance_run.pbr("explain", "--window", "2013-01", "--line-key", "OXF-999999#1|ATTACHMENT|", check=False)
    assert result.returncode == 2
    assert (
        result.stderr.strip().splitlines()[-1] == "pbr: no payment line OXF-999999#1|ATTACHMENT| in the run for 2013-01"
    )


@pytest.fixture
def analysts_copy(acceptance_run, tmp_path):
    """A copy of the acceptance run's analysts' warehouse, for the tests that change it."""
    copy = tmp_path / "pbr_analyst.duckdb"
    shutil.copyfile(acceptance_run.analyst_warehouse, copy)
    con = duckdb.connect(str(copy))
    yield con
    con.close()


def test_a_conversion_line_is_explained_as_of_its_window(analysts_copy):
    """marts.journeys describes the latest run only: a journey that no longer converts there
    keeps, for its earlier CONVERSION line, the episodes up to the conversion as of that line's
    window (the discharged HARM_MIN episode and the RECOVERY episode that converted it)."""
    con = analysts_copy
    [(window, key)] = con.execute(
        "SELECT payment_window, line_key FROM marts.payment_lines WHERE kind = 'CONVERSION' AND status = 'NEW'"
    ).fetchall()
    assert (window, key) == ("2013-02", "OXF-000001#1|CONVERSION|")
    con.execute("UPDATE marts.journeys SET converted_on = NULL WHERE journey_id = 'OXF-000001#1'")
    explained = explain_line(con, window, key)
    assert [line[1] for line in explained.lines] == [key]
    assert [(r[0], r[1], r[4], r[5]) for r in explained.evidence] == [
        ("assessments", "AQ1", "INITIAL band 2", "OXF-AQUARIUS_2012-04_01"),
        ("episodes", "H1", "HARM_MIN discharged 2013-02-01 (83)", "OXF-OXHEALTH_2013-02_01"),
        ("episodes", "L1", "RECOVERY open", "OXF-LIFELINE_2013-02_01"),
    ]
    assert "HT6" in [r[1] for r in explained.context]


def test_an_earlier_window_is_explained_after_a_later_run(analysts_copy):
    """The models compute only the windows of the latest run (control.run_windows); a line of
    any window run before is explained the same, from what that window's run kept."""
    con = analysts_copy
    key = "OXF-000001#1|OUTCOME|D1_REDUCED_USE"
    before = explain_line(con, "2012-12", key)
    con.execute("DELETE FROM control.run_windows")
    con.execute("INSERT INTO control.run_windows VALUES ('2014-06')")
    after = explain_line(con, "2012-12", key)
    assert after == before
    assert {r[1] for r in after.evidence} == {"AQ1", "HT2", "HT5"}


def test_an_outcome_lines_evidence_is_the_outcome_attainments(acceptance_run):
    """Every OUTCOME line whose evidence is record ids is proved by exactly those records of
    marts.outcome_attainment as of its window (in the table the outcome_codes seed names),
    and the journey's INITIAL assessment: explain and the models that paid it agree."""
    con = duckdb.connect(str(acceptance_run.analyst_warehouse), read_only=True)
    try:
        lines = con.execute(
            """SELECT DISTINCT lines.payment_window, lines.line_key, codes.evidence_table, attainment.evidence
               FROM marts.payment_lines AS lines
               JOIN marts.outcome_attainment AS attainment
                 ON attainment.as_of_window = lines.payment_window AND attainment.journey_id = lines.journey_id
                AND attainment.outcome_code = lines.outcome_code
               JOIN reference.outcome_codes AS codes ON codes.outcome_code = lines.outcome_code
               WHERE codes.evidence_ids AND attainment.attained ORDER BY 1, 2"""
        ).fetchall()
        assert len(lines) >= 10
        for window, key, table, ids in lines:
            evidence = con.execute(
                """SELECT table_name, record_key FROM marts.payment_line_evidence
                   WHERE payment_window = ? AND line_key = ? AND is_evidence AND table_name <> 'assessments'""",
                [window, key],
            ).fetchall()
            assert sorted(evidence) == sorted((table, record) for record in ids.split(",")), (window, key)
    finally:
        con.close()
