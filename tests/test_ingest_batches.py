"""A window's submissions are validated together and applied in one transaction (issue 11,
"windows as data"): the warehouse and the log come out exactly as when each submission is
ingested alone, whatever fails on the way."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pbr_pipeline.config import load_areas
from pbr_pipeline.generate import generate_returns
from pbr_pipeline.ingest import load, run
from pbr_pipeline.warehouse import connect, create_warehouse
from tests.returns_builder import csv_bytes, write_submission
from tests.test_ingest import ACCEPTANCE, EPISODE, good_assessments, status_of

REPO = Path(__file__).resolve().parents[1]
KEY = b"test-key"
CLOCK_COLUMNS = {"received_at", "loaded_at"}  # when it ran: differs between any two runs


def snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    """Every raw.* and quality.* table, rows in the order they were written, clocks left out."""
    tables = {}
    with connect(warehouse) as con:
        names = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name IN ('raw', 'quality') ORDER BY ALL"
        ).fetchall()
        for schema, table in names:
            columns = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
                    [schema, table],
                ).fetchall()
                if c not in CLOCK_COLUMNS
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            tables[f"{schema}.{table}"] = con.execute(
                f"SELECT {select} FROM {schema}.{table} ORDER BY rowid"
            ).fetchall()
    return tables


def ingest(landing: Path, config: Path, window: str, warehouse: Path) -> tuple[dict, list[str]]:
    lines: list[str] = []

    class Lines(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    logger = logging.getLogger(f"test_ingest_batches.{warehouse.stem}")
    logger.addHandler(Lines())
    logger.setLevel(logging.INFO)
    logger.propagate = False
    create_warehouse(warehouse)
    with connect(warehouse) as con:
        run.ingest_up_to(con, landing, load_areas(config), window, KEY, logger)
    return snapshot(warehouse), lines


def fails_together(function):
    """`function` as it is, except that it raises when given more than one submission."""

    def wrapped(con, submissions, *args):
        if len(submissions) > 1:
            raise RuntimeError("batched validation failed")
        return function(con, submissions, *args)

    return wrapped


WAYS = ("alone", "validated alone", "applied alone")


def every_way(landing: Path, config: Path, window: str, tmp_path: Path, monkeypatch, ways=WAYS) -> dict[str, tuple]:
    """The ingest of the landing up to `window` as it runs ("batched"), and in other `ways`:
    - "alone": each submission a batch of its own (validated alone, applied alone);
    - "validated alone": the batch's validation fails, so each submission is validated alone;
    - "applied alone": the batch's transaction fails at its end, so it is rolled back and each
      submission is applied in a transaction of its own."""
    results = {"batched": ingest(landing, config, window, tmp_path / "batched.duckdb")}
    original_batch = run.ingest_batch

    def one_at_a_time(con, sightings, *args):
        for sighting in sightings:
            original_batch(con, [sighting], *args)

    def write_then_fail(con, validated, files):
        raise RuntimeError("the batch's transaction failed")

    patches = {
        "alone": ("ingest_batch", one_at_a_time),
        "validated alone": ("validate_batch", fails_together(load.validate_batch)),
        "applied alone": ("write_rows", write_then_fail),
    }
    for way in ways:
        with monkeypatch.context() as patch:
            patch.setattr(run, *patches[way])
            results[way] = ingest(landing, config, window, tmp_path / f"{way.replace(' ', '_')}.duckdb")
    return results


@pytest.fixture(scope="module")
def generated_landing(tmp_path_factory) -> Path:
    """Six windows of generated pilot returns: rejections (ENCODING, MANIFEST_MISSING,
    FILE_MISSING, STALE_SEQ), resubmissions, retractions and quarantined rows among them."""
    landing = tmp_path_factory.mktemp("generated") / "landing"
    generate_returns(landing, "2012-04", "2012-09", scale="pilot", seed=7)
    return landing


def test_generated_windows_ingest_as_if_each_submission_came_alone(generated_landing, tmp_path, monkeypatch):
    config = REPO / "pbr_pipeline" / "config" / "areas"
    # Validated alone is what "alone" does too; the hand-made landing below takes that way.
    results = every_way(generated_landing, config, "2012-09", tmp_path, monkeypatch, ways=("alone", "applied alone"))
    tables, lines = results["batched"]
    # The comparison means something: rejections, supersessions and quarantined rows are there.
    statuses = {(status, reason) for _, _, _, _, _, status, reason, *_ in tables["quality.submissions"]}
    assert {
        ("LOADED", None),
        ("SUPERSEDED", None),
        ("REJECTED", "ENCODING"),
        ("REJECTED", "STALE_SEQ"),
        ("REJECTED", "MANIFEST_MISSING"),
        ("REJECTED", "FILE_MISSING"),
    } <= statuses
    assert len({reason for _, _, _, _, _, reason, _, _ in tables["quality.quarantine"]}) >= 5
    assert len(lines) == len(tables["quality.submissions"])
    for way, result in results.items():
        assert result == results["batched"], way


def cross_submission_landing(landing: Path) -> None:
    """Submissions of one window whose rows are judged by their own submission's context."""
    # Band 3 is defined for OXF, not for WIG; each LASAR refers to a provider of its own area.
    oxf = "AQ1,OXF-000001,AB,1980-05-01,M,2012-04-02,INITIAL,3,OPIATES,,HARM_MIN,OXF-OXHEALTH,"
    write_submission(
        landing,
        "OXF-AQUARIUS",
        "2012-04",
        1,
        {
            "assessments.csv": csv_bytes(
                "assessments",
                [
                    oxf,
                    oxf.replace("AQ1", "AQ2").replace("OXF-000001", "WIG-000001"),  # AREA_MISMATCH here
                    oxf.replace("AQ1", "AQ3").replace("OXF-OXHEALTH,", "WIG-ADS,"),  # a provider of another area
                ],
            )
        },
    )
    wig = oxf.replace("OXF-000001", "WIG-000001").replace("OXF-OXHEALTH,", "WIG-ADS,")
    write_submission(
        landing,
        "WIG-LASAR",
        "2012-04",
        1,
        {
            "assessments.csv": csv_bytes(
                "assessments",
                [
                    wig,  # the same key as OXF's first: no duplicate, another file; band 3: CODE here
                    wig.replace("AQ1", "AQ2").replace(",3,", ",2,"),
                    wig.replace("AQ1", "AQ4")
                    .replace("WIG-000001", "OXF-000001")
                    .replace(",3,", ",2,"),  # AREA_MISMATCH
                ],
            )
        },
    )
    # The same episode key in two providers' files, and twice in a third file.
    write_submission(landing, "OXF-LIFELINE", "2012-04", 1, {"episodes.csv": csv_bytes("episodes", [EPISODE])})
    write_submission(landing, "OXF-OXHEALTH", "2012-04", 1, {"episodes.csv": csv_bytes("episodes", [EPISODE])})
    write_submission(
        landing,
        "WIG-ADS",
        "2012-04",
        1,
        {
            "episodes.csv": csv_bytes(
                "episodes",
                [
                    EPISODE.replace("OXF-", "WIG-"),
                    EPISODE.replace("OXF-", "WIG-"),
                ],
            )
        },
    )
    # DWP: any area; seq 01 as a folder and again as a zip (a duplicate), then seq 02 (supersedes).
    employment = {
        "employment.csv": csv_bytes("employment", ["W1,OXF-000001,2012-04-01,,", "W2,WIG-000001,2012-04-01,,"])
    }
    write_submission(landing, "DWP", "2012-04", 1, employment)
    write_submission(landing, "DWP", "2012-04", 1, employment, as_zip=True)
    write_submission(
        landing,
        "DWP",
        "2012-04",
        2,
        {"employment.csv": csv_bytes("employment", ["W1,OXF-000001,2012-04-01,2012-04-30,"])},
    )
    # A later window in the same call: its rows are judged against its own window's end.
    write_submission(
        landing,
        "OXF-LIFELINE",
        "2012-05",
        1,
        {
            "episodes.csv": csv_bytes(
                "episodes",
                [
                    "L5,OXF-000005,RECOVERY,2012-05-01,2012-05-31,,,",
                    "L6,OXF-000006,RECOVERY,2012-05-01,2012-06-01,,,",
                ],
            )
        },
    )


def test_rows_of_a_window_are_judged_by_their_own_submission(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    cross_submission_landing(landing)
    results = every_way(landing, ACCEPTANCE / "config", "2012-05", tmp_path, monkeypatch)
    tables, _ = results["batched"]
    quarantine = {
        (submission, line, column, reason)
        for submission, _, _, line, column, reason, _, _ in tables["quality.quarantine"]
    }
    assert quarantine == {
        ("OXF-AQUARIUS_2012-04_01", 3, "pbr_id", "AREA_MISMATCH"),
        ("OXF-AQUARIUS_2012-04_01", 4, "referred_to", "CODE"),
        ("WIG-LASAR_2012-04_01", 2, "tariff_band", "CODE"),
        ("WIG-LASAR_2012-04_01", 4, "pbr_id", "AREA_MISMATCH"),
        ("WIG-ADS_2012-04_01", 2, "episode_id", "DUPLICATE_KEY"),
        ("WIG-ADS_2012-04_01", 3, "episode_id", "DUPLICATE_KEY"),
        ("OXF-LIFELINE_2012-05_01", 3, "triage_date", "FUTURE_DATE"),
    }
    statuses = {
        (submission_id, source.endswith(".zip")): status
        for submission_id, _, _, _, _, status, *_, source, _, _ in tables["quality.submissions"]
    }
    assert statuses[("DWP_2012-04_01", False)] == "SUPERSEDED"
    assert statuses[("DWP_2012-04_01", True)] == "DUPLICATE"
    assert statuses[("DWP_2012-04_02", False)] == "LOADED"
    for way, result in results.items():
        assert result == results["batched"], way


def test_a_submission_that_fails_in_the_batch_transaction_is_rejected_alone(env, monkeypatch):
    """The batch's one transaction fails on one submission's rows: it is rolled back, each
    submission is applied in a transaction of its own, and only that one is rejected."""
    original = load._insert_raw

    def fail_for_oxhealth(con, table, validated):
        applied = con.execute(
            "SELECT list(submission_id) FROM ingest_applied WHERE table_name = ?", [table]
        ).fetchone()[0]
        if table == "top" and "OXF-OXHEALTH_2012-04_01" in applied:
            raise ValueError("Conversion Error: could not convert '1971-11-29'")
        original(con, table, validated)

    monkeypatch.setattr(load, "_insert_raw", fail_for_oxhealth)
    top = "T1,OXF-000001,H1,2012-04-10,S,20,10,,,,,,,12,,,,,8,Y,N,,,"
    write_submission(env.landing, "OXF-LIFELINE", "2012-04", 1, {"top.csv": csv_bytes("top", [top])})
    write_submission(
        env.landing,
        "OXF-OXHEALTH",
        "2012-04",
        1,
        {
            "episodes.csv": csv_bytes("episodes", [EPISODE]),
            "top.csv": csv_bytes("top", [top]),
        },
    )
    env.ingest()
    assert status_of(env, "OXF-LIFELINE_2012-04_01") == [("LOADED", None, 1, 1, 0)]
    assert status_of(env, "OXF-OXHEALTH_2012-04_01") == [("REJECTED", "ENCODING", 0, 0, 0)]
    [(detail,)] = env.query("SELECT detail FROM quality.submissions WHERE submission_id = 'OXF-OXHEALTH_2012-04_01'")
    assert detail.startswith("could not be checked: internal error ValueError at load.py:") and "1971" not in detail
    assert env.query("SELECT submission_id FROM raw.top") == [("OXF-LIFELINE_2012-04_01",)]
    assert env.query("SELECT count(*) FROM raw.episodes") == [(0,)]
    assert env.query("SELECT count(*) FROM quality.submission_files") == [(1,)]


def test_a_window_killed_midway_leaves_nothing_of_it(env):
    """kill -9 inside the window's one transaction, after one submission's bookkeeping and the
    first table's rows: nothing of the window is in the warehouse; the next run loads it all."""
    write_submission(env.landing, "OXF-AQUARIUS", "2012-04", 1, good_assessments())
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
            os._exit(9)
        load._insert_raw = insert_then_die
        with connect(Path({str(env.warehouse)!r})) as con:
            ingest_up_to(con, Path({str(env.landing)!r}), load_areas(Path({str(ACCEPTANCE / "config")!r})), "2012-04", b"k")
    """)
    died = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True)
    assert died.returncode == 9, died.stderr.decode()
    for table in ("raw.assessments", "raw.episodes", "raw.top", "quality.submissions", "quality.submission_files"):
        assert env.query(f"SELECT count(*) FROM {table}") == [(0,)], table
    outcomes = [(o.submission_id, o.status, o.rows_loaded) for o in env.ingest().outcomes]
    assert outcomes == [("OXF-AQUARIUS_2012-04_01", "LOADED", 1), ("OXF-OXHEALTH_2012-04_01", "LOADED", 2)]
