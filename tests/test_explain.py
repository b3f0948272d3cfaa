"""`pbr explain`: the records behind a payment line, answered from the analysts' copy."""

from __future__ import annotations


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
    assert result.stderr.strip().splitlines()[-1] == "pbr: no payment line OXF-999999#1|ATTACHMENT| in the run for 2013-01"



def test_a_conversion_line_whose_conversion_has_gone_away_is_explained(acceptance_run, tmp_path):
    """marts.journeys is as of the latest run: a journey that no longer converts there has a
    null converted_on, while an earlier window's CONVERSION line still needs explaining."""
    import shutil

    import duckdb

    from pbr_pipeline.explain import explain_line

    copy = tmp_path / "pbr_analyst.duckdb"
    shutil.copyfile(acceptance_run.analyst_warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        [(window, key)] = con.execute(
            "SELECT payment_window, line_key FROM marts.payment_lines WHERE kind = 'CONVERSION' AND status = 'NEW'").fetchall()
        journey = key.split("|")[0]
        con.execute("UPDATE marts.journeys SET converted_on = NULL WHERE journey_id = ?", [journey])
        explained = explain_line(con, window, key)
    finally:
        con.close()
    assert [line[1] for line in explained.lines] == [key]
    assert not [record for record in explained.evidence if record[0] == "episodes"]
    assert [record[0] for record in explained.evidence] == ["assessments"]  # the INITIAL assessment alone
