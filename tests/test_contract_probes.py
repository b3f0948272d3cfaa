"""Probes of the row contracts (spec/returns.md, "Row-level quarantine") at their edges.

Dates outside pandas' Timestamp range and control characters in text. Most cases call
`row_failures` on a frame built as ingest builds it; one per fix goes through a whole ingest.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from data_contracts import SubmissionContext, row_failures
from data_contracts.tables import RETURN_TABLES, ColumnType
from pbr_pipeline.config import load_areas
from pbr_pipeline.ingest.run import ingest_up_to
from pbr_pipeline.warehouse import connect, create_warehouse
from tests.returns_builder import csv_bytes, write_submission

ACCEPTANCE = Path(__file__).resolve().parents[2] / "shared" / "spec" / "acceptance" / "01-oxfordshire"
CONTEXT = SubmissionContext("OXF", "2012-04-30", (1, 2, 3), ("OXF-LIFELINE", "OXF-OXHEALTH"))

# One valid row per table, every column filled, so that a probe can spoil any one of them.
VALID = {
    "assessments": {
        "assessment_id": "AQ1",
        "pbr_id": "OXF-000001",
        "initials": "AB",
        "date_of_birth": "1980-05-01",
        "sex": "M",
        "assessment_date": "2012-04-02",
        "assessment_type": "INITIAL",
        "tariff_band": "2",
        "primary_substance": "OPIATES",
        "secondary_substance": "CRACK",
        "pathway": "HARM_MIN",
        "referred_to": "OXF-OXHEALTH",
        "deleted": "N",
    },
    "episodes": {
        "episode_id": "H1",
        "pbr_id": "OXF-000001",
        "pathway": "HARM_MIN",
        "referral_date": "2012-04-03",
        "triage_date": "2012-04-10",
        "discharge_date": "2012-04-20",
        "discharge_reason": "80",
        "deleted": "N",
    },
    "top": {
        "top_id": "T1",
        "pbr_id": "OXF-000001",
        "episode_id": "H1",
        "top_date": "2012-04-10",
        "stage": "S",
        **{column.name: "3" for column in RETURN_TABLES["top"].columns if column.type is ColumnType.INTEGER},
        "alcohol_units": "2.5",
        "acute_housing_problem": "Y",
        "risk_of_eviction": "N",
        "deleted": "N",
    },
    "interventions": {
        "intervention_id": "I1",
        "pbr_id": "OXF-000001",
        "intervention": "HEPC_TEST",
        "intervention_date": "2012-04-05",
        "deleted": "N",
    },
    "offences": {
        "offence_id": "P1",
        "pbr_id": "OXF-000001",
        "offence_date": "2012-03-01",
        "disposal_date": "2012-03-02",
        "offence_group": "DRUGS",
        "deleted": "N",
    },
    "employment": {
        "spell_id": "W1",
        "pbr_id": "OXF-000001",
        "start_date": "2012-03-01",
        "end_date": "2012-03-05",
        "deleted": "N",
    },
}

CONTROL_CHARACTERS = [chr(code) for code in range(0x110000) if unicodedata.category(chr(code)) == "Cc"]


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """Rows as ingest hands them over: every spec column as text or None, indexed by line number."""
    columns = [column.name for column in RETURN_TABLES[table].file_columns]
    data = {column: [row.get(column) for row in rows] for column in columns}
    return pd.DataFrame(data, index=pd.Index(range(2, len(rows) + 2), name="line_number"), dtype=object)


def failures(table: str, *changes: dict) -> set[tuple[int, str, str]]:
    """(line, column, reason) for one valid row per change, each with those values replaced.

    Each row has a key of its own unless the change gives one.
    """
    key = RETURN_TABLES[table].key
    rows = [{**VALID[table], key: f"K{i}", **change} for i, change in enumerate(changes)]
    return set(row_failures(table, frame(table, rows), CONTEXT).itertuples(index=False, name=None))


def test_the_valid_rows_are_valid():
    for table, row in VALID.items():
        assert set(row) == {column.name for column in RETURN_TABLES[table].file_columns}, table
        assert failures(table, {}) == set(), table


# Dates outside pandas' nanosecond Timestamp range (1677-09-21 to 2262-04-11) are real dates.


def test_a_date_of_birth_in_1600_is_an_age_out_of_range():
    assert failures("assessments", {"date_of_birth": "1600-01-01"}) == {(2, "date_of_birth", "RANGE")}


@pytest.mark.parametrize(
    "table, change, column",
    [
        ("top", {"top_date": "2300-06-01"}, "top_date"),
        ("top", {"top_date": "9999-12-31"}, "top_date"),
        ("episodes", {"discharge_date": "9999-12-31"}, "discharge_date"),
        ("interventions", {"intervention_date": "2300-06-01"}, "intervention_date"),
        ("offences", {"disposal_date": "9999-12-31"}, "disposal_date"),
        ("employment", {"end_date": "2300-06-01"}, "end_date"),
        ("assessments", {"date_of_birth": "2270-01-01", "assessment_date": "2300-06-01"}, "assessment_date"),
    ],
)
def test_an_event_date_after_2262_is_a_future_date(table, change, column):
    assert failures(table, change) == {(2, column, "FUTURE_DATE")}


@pytest.mark.parametrize(
    "table, change, column",
    [
        ("episodes", {"discharge_date": "1600-01-01"}, "discharge_date"),
        ("offences", {"disposal_date": "1600-01-01"}, "disposal_date"),
        ("employment", {"end_date": "1600-01-01"}, "end_date"),
    ],
)
def test_a_date_in_1600_before_the_one_it_must_follow_is_date_order(table, change, column):
    assert failures(table, change) == {(2, column, "DATE_ORDER")}


def test_dates_before_1677_that_keep_their_order_load():
    assert (
        failures(
            "episodes",
            {"referral_date": "1600-01-01"},
            {"referral_date": "1600-01-01", "triage_date": "1600-01-02", "discharge_date": "1600-02-29"},
        )
        == set()
    )


def test_age_is_counted_in_completed_years_before_1677():
    assert failures(
        "assessments",
        {"date_of_birth": "1570-03-01", "assessment_date": "1600-06-01"},  # 30: loads
        {"date_of_birth": "1582-06-01", "assessment_date": "1600-06-01"},  # 18 that day: loads
        {"date_of_birth": "1582-06-02", "assessment_date": "1600-06-01"},  # 17 until the next day
        {"date_of_birth": "1500-06-01", "assessment_date": "1600-06-01"},  # 100: loads
        {"date_of_birth": "1499-06-01", "assessment_date": "1600-06-01"},  # 101
        {"date_of_birth": "1499-06-02", "assessment_date": "1600-06-01"},  # 100 until the next day
    ) == {(4, "date_of_birth", "RANGE"), (6, "date_of_birth", "RANGE")}


def test_age_on_leap_days():
    assert failures(
        "assessments",
        {"date_of_birth": "1994-02-28", "assessment_date": "2012-02-28"},  # 18 that day
        {"date_of_birth": "1992-02-29", "assessment_date": "2010-02-28"},  # 17 until 1 March
        {"date_of_birth": "1992-02-29", "assessment_date": "2010-03-01"},  # 18
        {"date_of_birth": "1582-02-28", "assessment_date": "1600-02-29"},  # 18, on a leap day of 1600
    ) == {(3, "date_of_birth", "RANGE")}


@pytest.mark.parametrize(
    "value",
    [
        "2012-02-30",
        "2013-02-29",
        "1900-02-29",
        "1700-02-29",
        "2012-13-01",
        "2012-00-10",
        "2012-04-00",
        "2012-04-31",
        "0000-01-01",
        "12-01-2012",
        "2012-4-01",
        "2012-04-01T00:00",
        "20120401",
        "٢٠١٢-٠٤-٠١",
    ],
)
def test_an_impossible_date_is_type_and_checked_no_further(value):
    # discharge_date must also follow triage_date and not be in the future: TYPE alone is reported.
    assert failures("episodes", {"discharge_date": value}) == {(2, "discharge_date", "TYPE")}


def test_leap_days_of_leap_years_are_dates():
    assert failures(
        "offences",
        {"offence_date": "2012-02-29", "disposal_date": "2012-03-01"},
        {"offence_date": "2000-02-29", "disposal_date": "2000-03-01"},
        {"offence_date": "1600-02-29", "disposal_date": "0001-01-01"},  # year 1 is a date: DATE_ORDER
    ) == {(4, "disposal_date", "DATE_ORDER")}


def test_the_last_day_of_the_window_is_not_in_the_future():
    assert failures("top", {"top_date": "2012-04-30"}, {"top_date": "2012-05-01"}) == {(3, "top_date", "FUTURE_DATE")}


def test_a_date_column_with_no_values_is_not_a_failure():
    assert failures("employment", {"end_date": None}, {"end_date": None}) == set()


# Control characters (Unicode category Cc) in text.


def test_the_control_characters_are_those_of_unicode_category_cc():
    expected = [chr(code) for code in (*range(0x20), *range(0x7F, 0xA0))]
    assert expected == CONTROL_CHARACTERS


@pytest.mark.parametrize("table", list(VALID))
def test_a_control_character_in_a_key_is_pattern(table):
    key = RETURN_TABLES[table].key
    changes = [{key: f"K{i}{ch}X"} for i, ch in enumerate(CONTROL_CHARACTERS)]
    lines = range(2, len(changes) + 2)
    assert failures(table, *changes) == {(line, key, "PATTERN") for line in lines}


def test_a_control_character_in_a_retracted_rows_key_is_pattern():
    assert failures("top", {"top_id": "T\x001", "deleted": "Y", "episode_id": None}) == {(2, "top_id", "PATTERN")}


def test_a_key_of_32_characters_without_control_characters_loads():
    assert failures("top", {"top_id": "ÀB-c d/é€" + "x" * 23}, {"top_id": "x" * 33}) == {(3, "top_id", "PATTERN")}


def test_a_control_character_in_a_tops_episode_id_is_pattern():
    changes = [{"episode_id": f"H{ch}1"} for ch in CONTROL_CHARACTERS]
    lines = range(2, len(changes) + 2)
    assert failures("top", *changes) == {(line, "episode_id", "PATTERN") for line in lines}


def test_a_retracted_tops_episode_id_is_not_checked():
    assert failures("top", {"episode_id": "H\x001", "deleted": "Y"}) == set()


@pytest.mark.parametrize("table, column", [(table, column) for table in VALID for column in VALID[table]])
@pytest.mark.parametrize("control", ["\x00", "\x1f", "\x7f", "\x85", "\n"])
def test_a_control_character_in_any_column_quarantines_the_row_on_that_column(table, column, control):
    # Typed columns give TYPE, coded ones CODE, patterned and free-text ones PATTERN; nothing else.
    value = VALID[table][column]
    [(line, name, reason)] = failures(table, {column: value[:1] + control + value[1:]})
    assert (line, name) == (2, column) and reason in ("TYPE", "CODE", "PATTERN")


# The same through a whole ingest.


@pytest.fixture
def ingest(tmp_path):
    """Ingest one submission of one table for window 2012-04; its quarantine, sorted."""
    landing = tmp_path / "landing"

    def run(submitter: str, table: str, rows: list[str]) -> list[tuple[int, str, str]]:
        write_submission(landing, submitter, "2012-04", 1, {f"{table}.csv": csv_bytes(table, rows)})
        create_warehouse(tmp_path / "w.duckdb")
        with connect(tmp_path / "w.duckdb") as con:
            ingest_up_to(con, landing, load_areas(ACCEPTANCE / "config"), "2012-04", b"k")
            return con.execute(
                "SELECT line_number, column_name, reason FROM quality.quarantine ORDER BY ALL"
            ).fetchall()

    return run


def test_an_ingest_loads_an_assessment_of_1600_and_quarantines_dates_beyond_2262(tmp_path, ingest):
    quarantine = ingest(
        "OXF-AQUARIUS",
        "assessments",
        [
            "AQ1,OXF-000001,AB,1570-03-01,M,1600-06-01,INITIAL,2,OPIATES,,HARM_MIN,OXF-OXHEALTH,",
            "AQ2,OXF-000002,AB,1600-01-01,M,2012-04-02,INITIAL,2,OPIATES,,HARM_MIN,OXF-OXHEALTH,",
            "AQ3,OXF-000003,AB,1980-05-01,M,9999-12-31,INITIAL,2,OPIATES,,HARM_MIN,OXF-OXHEALTH,",
        ],
    )
    assert quarantine == [
        (3, "date_of_birth", "RANGE"),
        (4, "assessment_date", "FUTURE_DATE"),
        (4, "date_of_birth", "RANGE"),
    ]
    with connect(tmp_path / "w.duckdb") as con:
        loaded = con.execute(
            "SELECT assessment_id, CAST(assessment_date AS VARCHAR), age_band FROM raw.assessments"
        ).fetchall()
    assert loaded == [("AQ1", "1600-06-01", "25-34")]


def test_an_ingest_quarantines_a_nul_inside_a_key_and_an_episode_id(ingest):
    quarantine = ingest(
        "OXF-OXHEALTH",
        "top",
        [
            "T\x001,OXF-000001,H1,2012-04-10,S,,,,,,,,,,,,,,,,,,,",
            "T2,OXF-000001,H\x001,2012-04-10,S,,,,,,,,,,,,,,,,,,,",
            "T3,OXF-000001,H1,2012-04-10,S,,,,,,,,,,,,,,,,,,,",
        ],
    )
    assert quarantine == [(2, "top_id", "PATTERN"), (3, "episode_id", "PATTERN")]
