"""Ingest (spec/returns.md) on small hand-made submissions: every rejection code and quarantine reason."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from pbr_pipeline.ingest.conservation import conservation_breaches
from pbr_pipeline.ingest.discovery import SubmissionName, parse_submission_name
from pbr_pipeline.ingest.pseudonymise import age_band, attributor_hash
from pbr_pipeline.warehouse import connect
from tests.returns_builder import csv_bytes, write_submission

ACCEPTANCE = Path(__file__).resolve().parents[2] / "shared" / "spec" / "acceptance" / "01-oxfordshire"

ASSESSMENT = "AQ1,OXF-000001,AB,1980-05-01,M,2012-04-02,INITIAL,2,OPIATES,CRACK,HARM_MIN,OXF-OXHEALTH,"
EPISODE = "H1,OXF-000001,HARM_MIN,2012-04-03,2012-04-10,,,"


def status_of(env, submission_id):
    return env.query(
        "SELECT status, reason, rows_in, rows_loaded, rows_quarantined FROM quality.submissions WHERE submission_id = ? ORDER BY received_at",
        [submission_id],
    )


def test_submission_names_parse():
    assert parse_submission_name("OXF-LIFELINE_2012-06_01") == SubmissionName("OXF-LIFELINE", "2012-06", 1)
    assert parse_submission_name("DWP_2013-02_12.zip") == SubmissionName("DWP", "2013-02", 12)
    for bad in (
        "OXF-LIFELINE_2012-13_01",
        "OXF-LIFELINE_2012-06_1",
        "OXF-LIFELINE_2012-06_00",
        "oxf_2012-06_01",
        "notes",
    ):
        assert parse_submission_name(bad) is None, bad


def test_pseudonymisation_helpers():
    assert attributor_hash(b"k", "AB", "1980-05-01", "M") == attributor_hash(b"k", "AB", "1980-05-01", "M")
    assert attributor_hash(b"k", "AB", "1980-05-01", "M") != attributor_hash(b"other", "AB", "1980-05-01", "M")
    assert len(attributor_hash(b"k", "AB", "1980-05-01", "M")) == 64
    assert [age_band(a) for a in (18, 24, 25, 44, 64, 65, 100)] == [
        "18-24",
        "18-24",
        "25-34",
        "35-44",
        "55-64",
        "65+",
        "65+",
    ]


def good_assessments():
    return {"assessments.csv": csv_bytes("assessments", [ASSESSMENT])}


REJECTIONS = {
    "MANIFEST_MISSING": lambda landing: write_submission(
        landing, "OXF-AQUARIUS", "2012-04", 1, good_assessments(), omit_manifest=True
    ),
    "NAME_MISMATCH": lambda landing: write_submission(
        landing, "OXF-AQUARIUS", "2012-04", 1, good_assessments(), manifest_overrides={"seq": 2}
    ),
    "UNKNOWN_SUBMITTER": lambda landing: write_submission(landing, "OXF-NOBODY", "2012-04", 1, good_assessments()),
    "TABLE_NOT_ALLOWED": lambda landing: write_submission(
        landing, "OXF-AQUARIUS", "2012-04", 1, {"episodes.csv": csv_bytes("episodes", [EPISODE])}
    ),
    "FILE_MISSING": lambda landing: write_submission(
        landing, "OXF-AQUARIUS", "2012-04", 1, {}, listed={"assessments.csv": {"rows": 1, "sha256": "0" * 64}}
    ),
    "CHECKSUM_MISMATCH": lambda landing: write_submission(
        landing,
        "OXF-AQUARIUS",
        "2012-04",
        1,
        good_assessments(),
        listed={"assessments.csv": {"rows": 1, "sha256": "0" * 64}},
    ),
    "ENCODING": lambda landing: write_submission(
        landing,
        "OXF-AQUARIUS",
        "2012-04",
        1,
        {"assessments.csv": csv_bytes("assessments", [ASSESSMENT]).replace(b"AB", b"\xc9B")},
    ),
    "ROWCOUNT_MISMATCH": lambda landing: write_submission(
        landing,
        "OXF-AQUARIUS",
        "2012-04",
        1,
        good_assessments(),
        listed={
            "assessments.csv": {
                "rows": 2,
                "sha256": __import__("hashlib").sha256(csv_bytes("assessments", [ASSESSMENT])).hexdigest(),
            }
        },
    ),
    "MISSING_COLUMN": lambda landing: write_submission(
        landing,
        "OXF-AQUARIUS",
        "2012-04",
        1,
        {
            "assessments.csv": csv_bytes(
                "assessments",
                [ASSESSMENT.replace(",M,", ",")],
                header="assessment_id,pbr_id,initials,date_of_birth,assessment_date,assessment_type,tariff_band,primary_substance,secondary_substance,pathway,referred_to,deleted",
            )
        },
    ),
}


@pytest.mark.parametrize("code", list(REJECTIONS))
def test_each_rejection_code_rejects_the_whole_submission(env, code):
    path = REJECTIONS[code](env.landing)
    summary = env.ingest()
    assert [(o.status, o.reason) for o in summary.outcomes] == [("REJECTED", code)]
    assert status_of(env, path.name.removesuffix(".zip")) == [("REJECTED", code, 0, 0, 0)]
    assert env.query("SELECT count(*) FROM raw.assessments") == [(0,)]


def test_a_corrupt_zip_and_a_file_that_is_not_csv_are_rejected_with_encoding(env):
    (env.landing / "2012-04").mkdir(parents=True)
    (env.landing / "2012-04" / "OXF-AQUARIUS_2012-04_01.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    write_submission(
        env.landing, "OXF-LIFELINE", "2012-04", 1, {"episodes.csv": b'episode_id,pbr_id\n"H1,OXF-000001\n'}
    )
    outcomes = {o.submission_id: (o.status, o.reason) for o in env.ingest().outcomes}
    assert outcomes == {
        "OXF-AQUARIUS_2012-04_01": ("REJECTED", "ENCODING"),
        "OXF-LIFELINE_2012-04_01": ("REJECTED", "ENCODING"),
    }


def test_the_first_applicable_code_in_spec_order_is_recorded(env):
    # Both a wrong checksum and a missing column: CHECKSUM_MISMATCH comes first in the table.
    content = csv_bytes("assessments", ["AQ1,OXF-000001"], header="assessment_id,pbr_id")
    write_submission(
        env.landing,
        "OXF-AQUARIUS",
        "2012-04",
        1,
        {"assessments.csv": content},
        listed={"assessments.csv": {"rows": 1, "sha256": "f" * 64}},
    )
    assert [(o.reason) for o in env.ingest().outcomes] == ["CHECKSUM_MISMATCH"]


def test_stale_seq_duplicate_and_supersession(env):
    write_submission(env.landing, "OXF-AQUARIUS", "2012-04", 2, good_assessments())
    env.ingest()
    # Seq 01 after seq 02: stale. The identical seq 02 again, as a zip: a no-op duplicate.
    write_submission(env.landing, "OXF-AQUARIUS", "2012-04", 1, good_assessments())
    write_submission(env.landing, "OXF-AQUARIUS", "2012-04", 2, good_assessments(), as_zip=True)
    outcomes = {(o.submission_id, o.status, o.reason) for o in env.ingest().outcomes}
    assert outcomes == {
        ("OXF-AQUARIUS_2012-04_01", "REJECTED", "STALE_SEQ"),
        ("OXF-AQUARIUS_2012-04_02", "DUPLICATE", None),
    }
    assert env.query("SELECT count(*) FROM raw.assessments") == [(1,)]
    # Seq 03 replaces seq 02 entirely.
    write_submission(
        env.landing,
        "OXF-AQUARIUS",
        "2012-04",
        3,
        {"assessments.csv": csv_bytes("assessments", [ASSESSMENT.replace("AQ1", "AQ9")])},
    )
    env.ingest()
    statuses = dict(
        env.query(
            "SELECT submission_id || ':' || status, seq FROM quality.submissions WHERE status IN ('LOADED', 'SUPERSEDED')"
        )
    )
    assert statuses == {"OXF-AQUARIUS_2012-04_02:SUPERSEDED": 2, "OXF-AQUARIUS_2012-04_03:LOADED": 3}


def test_window_closed_after_a_final_run(env):
    with connect(env.warehouse) as con:
        con.execute("INSERT INTO marts.payment_runs (payment_window, status) VALUES ('2012-05', 'FINAL')")
    write_submission(env.landing, "OXF-AQUARIUS", "2012-05", 1, good_assessments())
    write_submission(
        env.landing,
        "OXF-LIFELINE",
        "2012-06",
        1,
        {"episodes.csv": csv_bytes("episodes", ["L1,OXF-000001,RECOVERY,2012-06-01,2012-06-02,,,"])},
    )
    outcomes = {o.submission_id: (o.status, o.reason) for o in env.ingest("2012-06").outcomes}
    assert outcomes == {
        "OXF-AQUARIUS_2012-05_01": ("REJECTED", "WINDOW_CLOSED"),
        "OXF-LIFELINE_2012-06_01": ("LOADED", None),
    }


def test_submissions_for_later_windows_wait_for_their_run(env):
    write_submission(env.landing, "OXF-AQUARIUS", "2012-05", 1, good_assessments())
    assert env.ingest("2012-04").outcomes == []
    assert [o.status for o in env.ingest("2012-05").outcomes] == ["LOADED"]


# Each row breaks exactly one rule: (line, column, reason).
QUARANTINE_CASES = {
    "assessments": (
        [
            ASSESSMENT,
            "AQ2,OXF-000002,AB,1980-05-01,M,2012-04-02,INITIAL,,OPIATES,,HARM_MIN,OXF-OXHEALTH,",
            "AQ3,OXF-000003,AB,1980-05-01,M,2012-04-02,INITIAL,two,OPIATES,,HARM_MIN,OXF-OXHEALTH,",
            "AQ4,OXF-000004,AB,2000-05-01,M,2012-04-02,INITIAL,2,OPIATES,,HARM_MIN,OXF-OXHEALTH,",
            "AQ5,OXF-000005,AB,1980-05-01,M,2012-04-02,INITIAL,4,OPIATES,,HARM_MIN,OXF-OXHEALTH,",
            "AQ6,OXF-000006,Ab,1980-05-01,M,2012-04-02,INITIAL,2,OPIATES,,HARM_MIN,OXF-OXHEALTH,",
            "AQ7,OXF-000007,AB,1980-05-01,M,2012-05-02,INITIAL,2,OPIATES,,HARM_MIN,OXF-OXHEALTH,",
            "AQ8,WIG-000008,AB,1980-05-01,M,2012-04-02,INITIAL,2,OPIATES,,HARM_MIN,OXF-OXHEALTH,",
            "AQ9,OXF-000009,AB,1980-05-01,M,2012-04-02,INITIAL,2,OPIATES,OPIATES,HARM_MIN,OXF-OXHEALTH,",
            "AQ10,OXF-000010,AB,1980-05-01,M,2012-04-02,INITIAL,2,OPIATES,,HARM_MIN,OXF-POLICE,",
            "AQ11,OXF-000011,AB,1980-05-01,M,2012-04-02,INITIAL,2,OPIATES,,HARM_MIN,OXF-OXHEALTH,",
            "AQ11,OXF-000011,AB,1980-05-01,M,2012-04-02,INITIAL,2,OPIATES,,HARM_MIN,OXF-OXHEALTH,",
            "AQ12,OXF-12,,,,,,,,,,,Y",
        ],
        {
            (3, "tariff_band", "REQUIRED"),
            (4, "tariff_band", "TYPE"),
            (5, "date_of_birth", "RANGE"),
            (6, "tariff_band", "CODE"),
            (7, "initials", "PATTERN"),
            (8, "assessment_date", "FUTURE_DATE"),
            (9, "pbr_id", "AREA_MISMATCH"),
            (10, "secondary_substance", "CODE"),
            (11, "referred_to", "CODE"),
            (12, "assessment_id", "DUPLICATE_KEY"),
            (13, "assessment_id", "DUPLICATE_KEY"),
            (14, "pbr_id", "PATTERN"),
        },
    ),
    "episodes": (
        [
            EPISODE,
            "H2,OXF-000002,HARM_MIN,2012-04-10,2012-04-03,,,",
            "H3,OXF-000003,HARM_MIN,2012-04-03,2012-04-10,2012-04-20,,",
            "H4,OXF-000004,HARM_MIN,2012-04-03,2012-04-10,,80,",
            "H5,OXF-000005,HARM_MIN,2012-04-03,2012-04-10,2012-04-20,79,",
            "H6,OXF-000006,HARM_MIN,2012-04-03,2012-04-10,2012-04-05,85,",
            "H7,OXF-000007,HARM_MIN,2012-04-03,2012-04-31,,,",
            "H8,OXF-000008,,,,,,Y",
        ],
        {
            (3, "triage_date", "DATE_ORDER"),
            (4, "discharge_reason", "REQUIRED"),
            (5, "discharge_date", "REQUIRED"),
            (6, "discharge_reason", "CODE"),
            (7, "discharge_date", "DATE_ORDER"),
            (8, "triage_date", "TYPE"),
        },
    ),
    "top": (
        [
            "T1,OXF-000001,H1,2012-04-10,S,20,10,,,,,,,12,,,,,8,Y,N,,,",
            "T2,OXF-000002,H1,2012-04-10,S,35,,,,,,,,,,,,,,,,,,",
            "T3,OXF-000003,H1,2012-04-10,X,,,,,,,,,,,,,,,,,,,",
            "T4,OXF-000004,H1,2012-04-10,S,,,,,,,,250.5,,,,,,,,,,,",
            "T5,OXF-000005,H1,2012-04-10,S,,,,,,,,,,,,,,21,,,,,",
            "T6,OXF-000006,H1,2012-04-10,S,,,,,,,,,,,,,,,y,,,,",
            "T7,OXF-000007,,2012-04-10,S,,,,,,,,,,,,,,,,,,,",
            "T8,OXF-000008,H1,2012-04-10,S,2.5,,,,,,,,,,,,,,,,,,",
        ],
        {
            (3, "opiates_days", "RANGE"),
            (4, "stage", "CODE"),
            (5, "alcohol_units", "RANGE"),
            (6, "quality_of_life", "RANGE"),
            (7, "acute_housing_problem", "CODE"),
            (8, "episode_id", "REQUIRED"),
            (9, "opiates_days", "TYPE"),
        },
    ),
}


@pytest.mark.parametrize("table", list(QUARANTINE_CASES))
def test_each_quarantine_reason_on_its_own_row(env, table):
    rows, expected = QUARANTINE_CASES[table]
    submitter = "OXF-AQUARIUS" if table == "assessments" else "OXF-OXHEALTH"
    write_submission(env.landing, submitter, "2012-04", 1, {f"{table}.csv": csv_bytes(table, rows)})
    [outcome] = env.ingest().outcomes
    bad_lines = {line for line, _, _ in expected}
    assert (outcome.status, outcome.rows_in, outcome.rows_quarantined) == ("LOADED", len(rows), len(bad_lines))
    assert set(env.query("SELECT line_number, column_name, reason FROM quality.quarantine")) == expected
    loaded_lines = {line for (line,) in env.query(f"SELECT line_number FROM raw.{table}")}
    assert loaded_lines == set(range(2, len(rows) + 2)) - bad_lines
    with connect(env.warehouse) as con:
        assert conservation_breaches(con) == []


def test_other_tables_reasons(env):
    write_submission(
        env.landing,
        "OXF-POLICE",
        "2012-04",
        1,
        {
            "offences.csv": csv_bytes(
                "offences",
                [
                    "P1,OXF-000001,2012-03-01,2012-02-01,ACQUISITIVE,",
                    "P2,OXF-000001,2012-03-01,2012-03-02,THEFT,",
                ],
            )
        },
    )
    write_submission(
        env.landing,
        "DWP",
        "2012-04",
        1,
        {
            "employment.csv": csv_bytes(
                "employment",
                [
                    "W1,WIG-000001,2012-03-01,,",
                    "W2,OXF-000001,2012-03-01,2012-02-01,",
                ],
            )
        },
    )
    write_submission(
        env.landing,
        "OXF-OXHEALTH",
        "2012-04",
        1,
        {
            "interventions.csv": csv_bytes(
                "interventions",
                [
                    "I1,OXF-000001,HEPB_COURSE_COMPLETED,2012-04-05,",
                    "I2,OXF-000001,FLU_JAB,2012-04-05,",
                ],
            )
        },
    )
    env.ingest()
    assert set(env.query("SELECT file, line_number, column_name, reason FROM quality.quarantine")) == {
        ("offences.csv", 2, "disposal_date", "DATE_ORDER"),
        ("offences.csv", 3, "offence_group", "CODE"),
        ("employment.csv", 3, "end_date", "DATE_ORDER"),
        ("interventions.csv", 3, "intervention", "CODE"),
    }
    # DWP rows may name any area's pbr_id.
    assert env.query("SELECT pbr_id, area FROM raw.employment") == [("WIG-000001", None)]


def test_a_row_with_several_faults_gets_every_reason_and_type_stops_further_checks(env):
    write_submission(
        env.landing,
        "OXF-AQUARIUS",
        "2012-04",
        1,
        {
            "assessments.csv": csv_bytes(
                "assessments",
                [
                    "AQ1,OXF-000001,abc,1980-05-01,X,2012-04-02,INITIAL,2,OPIATES,,HARM_MIN,OXF-OXHEALTH,",
                    "AQ2,OXF-000002,AB,1980-05-01,M,2012-04-40,INITIAL,2,OPIATES,,HARM_MIN,OXF-OXHEALTH,",
                ],
            )
        },
    )
    env.ingest()
    assert set(env.query("SELECT line_number, column_name, reason FROM quality.quarantine")) == {
        (2, "initials", "PATTERN"),
        (2, "sex", "CODE"),
        (3, "assessment_date", "TYPE"),
    }


def test_quarantined_rows_keep_the_row_with_personal_columns_blanked(env):
    write_submission(
        env.landing,
        "OXF-AQUARIUS",
        "2012-04",
        1,
        {
            "assessments.csv": csv_bytes(
                "assessments",
                [
                    "AQ1,OXF-000001,AB,1980-05-01,M,2012-04-02,INITIAL,9,OPIATES,,HARM_MIN,OXF-OXHEALTH,",
                ],
            )
        },
    )
    env.ingest()
    [(raw,)] = env.query("SELECT raw_record FROM quality.quarantine")
    record = json.loads(raw)
    assert record["initials"] == record["date_of_birth"] == record["sex"] == ""
    assert record["tariff_band"] == "9" and record["assessment_id"] == "AQ1"


def test_retraction_and_header_conventions(env):
    header = " Assessment_ID ,PBR_ID,initials,date_of_birth,sex,assessment_date,assessment_type,tariff_band,primary_substance,secondary_substance,pathway,referred_to,notes"
    write_submission(
        env.landing,
        "OXF-AQUARIUS",
        "2012-04",
        1,
        {
            "assessments.csv": b"\xef\xbb\xbf"
            + csv_bytes(
                "assessments",
                [
                    " AQ1 ,OXF-000001,AB,1980-05-01,M,2012-04-02,INITIAL,2,OPIATES,,HARM_MIN,OXF-OXHEALTH,a note",
                ],
                header=header,
            )
        },
    )
    write_submission(
        env.landing,
        "OXF-AQUARIUS",
        "2012-05",
        1,
        {"assessments.csv": csv_bytes("assessments", ["AQ1,OXF-000001,,,,,,,,,,,Y"])},
    )
    [first] = env.ingest("2012-04").outcomes
    assert first.status == "LOADED" and "notes" in first.detail
    env.ingest("2012-05")
    rows = env.query(
        'SELECT assessment_id, "window", deleted, tariff_band, attributor_hash IS NOT NULL, age_band FROM raw.assessments ORDER BY "window"'
    )
    assert rows == [("AQ1", "2012-04", False, 2, True, "25-34"), ("AQ1", "2012-05", True, None, False, None)]


def test_ingesting_the_same_landing_twice_changes_nothing(env):
    for window, seq in (("2012-04", 1), ("2012-04", 2)):
        write_submission(env.landing, "OXF-AQUARIUS", window, seq, good_assessments())
    env.ingest()

    def snapshot():
        return (
            env.query(
                "SELECT submission_id, status, reason, rows_in, received_at FROM quality.submissions ORDER BY ALL"
            ),
            env.query("SELECT * FROM raw.assessments ORDER BY ALL"),
            env.query("SELECT * FROM quality.quarantine ORDER BY ALL"),
        )

    before = snapshot()
    summary = env.ingest()
    assert summary.outcomes == [] and summary.skipped == 2
    assert snapshot() == before


def test_a_load_killed_midway_leaves_no_partial_submission(env):
    write_submission(
        env.landing,
        "OXF-OXHEALTH",
        "2012-04",
        1,
        {
            "episodes.csv": csv_bytes("episodes", [EPISODE]),
            "top.csv": csv_bytes("top", ["T1,OXF-000001,H1,2012-04-10,S,20,10,,,,,,,12,,,,,8,Y,N,,,"]),
        },
    )
    # The child process dies (no clean-up, no rollback) after the first table is inserted.
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        import pbr_pipeline.ingest.load as load
        from pbr_pipeline.config import load_areas
        from pbr_pipeline.ingest.run import ingest_up_to
        from pbr_pipeline.warehouse import connect
        original = load._insert_raw
        def insert_then_die(con, table, *args):
            original(con, table, *args)
            if table == "top":
                os._exit(9)
        load._insert_raw = insert_then_die
        with connect(Path({str(env.warehouse)!r})) as con:
            ingest_up_to(con, Path({str(env.landing)!r}), load_areas(Path({str(ACCEPTANCE / "config")!r})), "2012-04", b"k")
    """)
    died = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True)
    assert died.returncode == 9, died.stderr.decode()
    assert env.query("SELECT count(*) FROM raw.episodes") == [(0,)]
    assert env.query("SELECT count(*) FROM raw.top") == [(0,)]
    assert env.query("SELECT count(*) FROM quality.submissions") == [(0,)]
    [outcome] = env.ingest().outcomes
    assert (outcome.status, outcome.rows_loaded) == ("LOADED", 2)


def test_no_personal_data_reaches_the_warehouse(env):
    write_submission(
        env.landing,
        "OXF-AQUARIUS",
        "2012-04",
        1,
        {
            "assessments.csv": csv_bytes(
                "assessments",
                [
                    "AQ1,OXF-000001,QZ,1971-11-29,M,2012-04-02,INITIAL,2,OPIATES,,HARM_MIN,OXF-OXHEALTH,",
                    "AQ2,OXF-000002,QZ,1971-11-29,F,2012-04-02,INITIAL,9,OPIATES,,HARM_MIN,OXF-OXHEALTH,",
                ],
            )
        },
    )
    env.ingest()
    assert scan_text_columns(env.warehouse, ["QZ", "1971-11-29"]) == []


def scan_text_columns(warehouse: Path, needles: list[str]) -> list[str]:
    """Every table.column holding one of the needles in a text value (views derive from these)."""
    pattern = "|".join(re.escape(needle) for needle in sorted(set(needles)))
    hits = []
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        columns = con.execute(
            """SELECT c.table_schema, c.table_name, c.column_name
               FROM information_schema.columns c
               JOIN information_schema.tables t USING (table_schema, table_name)
               WHERE c.data_type = 'VARCHAR' AND t.table_type = 'BASE TABLE'"""
        ).fetchall()
        for schema, table, column in columns:
            found = con.execute(
                f'SELECT any_value("{column}") FROM "{schema}"."{table}" WHERE regexp_matches("{column}", ?)', [pattern]
            ).fetchone()[0]
            if found is not None:
                hits.append(f"{schema}.{table}.{column}: {found}")
    finally:
        con.close()
    return hits
