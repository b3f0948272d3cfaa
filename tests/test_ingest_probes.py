"""Hostile landings (issue: reliability): each probe rejects or records, nothing stops ingest,
nothing outside the landing is read, and every entry of the landing is accounted for."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import zipfile

import pytest

from pbr_pipeline.ingest.run import internal_error_detail
from tests.returns_builder import csv_bytes, write_submission
from tests.test_ingest import (
    ACCEPTANCE,
    ASSESSMENT,
    EPISODE,
    good_assessments,
    status_of,
)

SUBMISSION_ROW = "SELECT status, reason, detail, source FROM quality.submissions WHERE submission_id = ?"


def recorded(env):
    return {
        row[0]: row[1:]
        for row in env.query("SELECT submission_id, status, reason, source FROM quality.submissions ORDER BY 1")
    }


def test_symbolic_links_are_never_followed(env, tmp_path):
    outside = tmp_path / "outside"
    good = write_submission(outside, "OXF-AQUARIUS", "2012-04", 1, good_assessments())
    (env.landing / "2012-04").mkdir(parents=True)
    (env.landing / "2012-04" / "OXF-AQUARIUS_2012-04_01").symlink_to(good)
    (env.landing / "loop").symlink_to(env.landing)
    (env.landing / "passwd.zip").symlink_to("/etc/passwd")
    linked = write_submission(
        env.landing, "OXF-LIFELINE", "2012-04", 1, {"episodes.csv": csv_bytes("episodes", [EPISODE])}
    )
    (linked / "episodes.csv").unlink()
    (linked / "episodes.csv").symlink_to(good / "assessments.csv")
    env.ingest()
    rows = recorded(env)
    assert rows == {
        "OXF-AQUARIUS_2012-04_01": ("REJECTED", "ENCODING", "2012-04/OXF-AQUARIUS_2012-04_01"),
        "OXF-LIFELINE_2012-04_01": ("REJECTED", "ENCODING", "2012-04/OXF-LIFELINE_2012-04_01"),
        "loop": ("REJECTED", "ENCODING", "loop"),
        "passwd.zip": ("REJECTED", "ENCODING", "passwd.zip"),
    }
    details = dict(env.query("SELECT submission_id, detail FROM quality.submissions"))
    assert details["OXF-LIFELINE_2012-04_01"] == "episodes.csv is a symbolic link: links are not followed"
    assert details["loop"] == "loop: a symbolic link: links are not followed"
    assert env.query("SELECT count(*) FROM raw.assessments") == [(0,)]
    env.ingest()  # a re-scan records nothing twice
    assert env.query("SELECT count(*) FROM quality.submissions") == [(4,)]


def test_every_landed_entry_that_is_no_submission_is_recorded(env):
    write_submission(
        env.landing, "OXF-AQUARIUS", "2012-04", 1, good_assessments(), folder_name="OXF-AQUARIUS_2012-13_01"
    )
    bad_window = env.landing / "2012-04" / "OXF-LIFELINE_2012-13_01"
    bad_window.mkdir(parents=True)
    (bad_window / "episodes.csv").write_bytes(csv_bytes("episodes", [EPISODE]))
    unreadable = os.fsdecode(b"OXF-POLICE_2012-04_\xff")
    (env.landing / "2012-04" / unreadable).mkdir()
    (env.landing / "2012-04" / "notes.txt").write_text("call the provider")
    with zipfile.ZipFile(env.landing / "upload.zip", "w") as archive:
        archive.writestr("assessments.csv", csv_bytes("assessments", [ASSESSMENT]))
    env.ingest()
    assert recorded(env) == {
        "OXF-AQUARIUS_2012-13_01": ("REJECTED", "NAME_MISMATCH", "2012-04/OXF-AQUARIUS_2012-13_01"),
        "OXF-LIFELINE_2012-13_01": ("REJECTED", "MANIFEST_MISSING", "2012-04/OXF-LIFELINE_2012-13_01"),
        "OXF-POLICE_2012-04_\\xff": ("REJECTED", "MANIFEST_MISSING", "2012-04/OXF-POLICE_2012-04_\\xff"),
        "notes.txt": ("REJECTED", "MANIFEST_MISSING", "2012-04/notes.txt"),
        "upload": ("REJECTED", "MANIFEST_MISSING", "upload.zip"),
    }


def test_a_zip_with_two_entries_of_one_name_is_rejected(env):
    (env.landing / "2012-04").mkdir(parents=True)
    path = write_submission(env.landing, "OXF-AQUARIUS", "2012-04", 1, good_assessments(), as_zip=True)
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(path, "a") as archive:
        archive.writestr("assessments.csv", csv_bytes("assessments", [ASSESSMENT.replace("AQ1", "AQ2")]))
    env.ingest()
    assert env.query(SUBMISSION_ROW, ["OXF-AQUARIUS_2012-04_01"])[0][:3] == (
        "REJECTED",
        "ENCODING",
        "the zip holds two entries named assessments.csv",
    )


def test_a_header_with_a_column_twice_is_encoding_before_its_row_count(env):
    content = csv_bytes(
        "assessments",
        [ASSESSMENT],
        header="assessment_id,pbr_id,pbr_id,initials,date_of_birth,sex,assessment_date,assessment_type,tariff_band,primary_substance,secondary_substance,pathway,referred_to",
    )
    write_submission(
        env.landing,
        "OXF-AQUARIUS",
        "2012-04",
        1,
        {"assessments.csv": content},
        listed={"assessments.csv": {"rows": 5, "sha256": __import__("hashlib").sha256(content).hexdigest()}},
    )
    env.ingest()
    assert env.query(SUBMISSION_ROW, ["OXF-AQUARIUS_2012-04_01"])[0][:2] == ("REJECTED", "ENCODING")


@pytest.mark.parametrize("rows", [True, False, 1.0, "1"])
def test_a_row_count_that_is_not_a_whole_number_is_manifest_missing(env, rows):
    write_submission(
        env.landing,
        "OXF-AQUARIUS",
        "2012-04",
        1,
        good_assessments(),
        listed={
            "assessments.csv": {
                "rows": rows,
                "sha256": __import__("hashlib").sha256(good_assessments()["assessments.csv"]).hexdigest(),
            }
        },
    )
    env.ingest()
    assert env.query(SUBMISSION_ROW, ["OXF-AQUARIUS_2012-04_01"])[0][:2] == ("REJECTED", "MANIFEST_MISSING")


def test_a_retraction_is_read_for_its_key_and_pbr_id_only(env):
    write_submission(env.landing, "OXF-AQUARIUS", "2012-04", 1, good_assessments())
    retraction = "AQ1,OXF-000001,??,19x0-13-45,Q,not-a-date,,,,,,,Y"
    write_submission(
        env.landing, "OXF-AQUARIUS", "2012-05", 1, {"assessments.csv": csv_bytes("assessments", [retraction])}
    )
    env.ingest("2012-05")
    assert env.query(SUBMISSION_ROW, ["OXF-AQUARIUS_2012-05_01"])[0][:2] == ("LOADED", None)
    assert env.query(
        "SELECT assessment_id, deleted, attributor_hash, age_band FROM raw.assessments WHERE \"window\" = '2012-05'"
    ) == [("AQ1", True, None, None)]


def test_an_unexpected_error_rejects_only_its_submission_and_names_no_value(env, monkeypatch):
    """A window's top.csv files are validated together; the call fails, so each is validated
    alone, and only the one that fails alone is rejected: the other provider's loads."""
    from pbr_pipeline.ingest import load

    original = load.contract_failures

    def fail_on_t9(table, frame):
        if table == "top" and frame["top_id"].eq("T9").any():
            raise ValueError("invalid literal for int() with base 10: '1971-11-29'")
        return original(table, frame)

    monkeypatch.setattr(load, "contract_failures", fail_on_t9)
    write_submission(env.landing, "OXF-AQUARIUS", "2012-04", 1, good_assessments())
    write_submission(
        env.landing,
        "OXF-LIFELINE",
        "2012-04",
        1,
        {
            "top.csv": csv_bytes("top", ["T1,OXF-000001,L1,2012-04-10,S,20,10,,,,,,,12,,,,,8,Y,N,,,"]),
        },
    )
    write_submission(
        env.landing,
        "OXF-OXHEALTH",
        "2012-04",
        1,
        {
            "episodes.csv": csv_bytes("episodes", [EPISODE]),
            "top.csv": csv_bytes("top", ["T9,OXF-000001,H1,2012-04-10,S,20,10,,,,,,,12,,,,,8,Y,N,,,"]),
        },
    )
    env.ingest()
    assert status_of(env, "OXF-AQUARIUS_2012-04_01") == [("LOADED", None, 1, 1, 0)]
    assert status_of(env, "OXF-LIFELINE_2012-04_01") == [("LOADED", None, 1, 1, 0)]
    status, reason, detail, _ = env.query(SUBMISSION_ROW, ["OXF-OXHEALTH_2012-04_01"])[0]
    assert (status, reason) == ("REJECTED", "ENCODING")
    assert re.fullmatch(
        r"could not be checked: internal error ValueError at load\.py:\d+; nothing of it was loaded", detail
    )
    assert "1971" not in detail
    assert env.query("SELECT count(*) FROM raw.episodes") == [(0,)]
    assert env.query("SELECT top_id FROM raw.top") == [("T1",)]


def test_internal_error_detail_keeps_the_kind_and_place_not_the_text():
    try:
        int("1971-11-29")
    except ValueError as error:
        detail = internal_error_detail(error)
    assert "1971" not in detail and detail.startswith(
        "could not be checked: internal error ValueError at test_ingest_probes.py:"
    )


BOMB_SCRIPT = textwrap.dedent("""
    import resource, sys
    from pathlib import Path
    limit = int(sys.argv[3]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from pbr_pipeline.config import load_areas
    from pbr_pipeline.ingest.run import ingest_up_to
    from pbr_pipeline.warehouse import connect
    with connect(Path(sys.argv[1])) as con:
        summary = ingest_up_to(con, Path(sys.argv[2]), load_areas(Path(sys.argv[4])), "2012-04", b"k")
        print([(o.submission_id, str(o.status), o.reason, o.detail) for o in summary.outcomes])
""")


def write_bomb(path, name: str, gib: int) -> None:
    """A zip whose one entry expands to `gib` GiB of zeros (it compresses about 1000 times)."""
    zero = bytes(64 * 1024 * 1024)
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open(name, "w", force_zip64=True) as entry,
    ):
        for _ in range(gib * 16):
            entry.write(zero)


def test_a_zip_bomb_is_rejected_within_bounded_memory(env, tmp_path):
    """The ingest runs in a process whose address space is capped at 1.5 GiB: reading the
    2 GiB inside the bomb would fail it with MemoryError."""
    folder = env.landing / "2012-04"
    folder.mkdir(parents=True)
    write_bomb(folder / "OXF-AQUARIUS_2012-04_01.zip", "assessments.csv", 2)
    write_submission(env.landing, "OXF-LIFELINE", "2012-04", 1, {"episodes.csv": csv_bytes("episodes", [EPISODE])})
    script = tmp_path / "bomb.py"
    script.write_text(BOMB_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), str(env.warehouse), str(env.landing), "1536", str(ACCEPTANCE / "config")],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    outcomes = {o[0]: o[1:] for o in eval(done.stdout.strip().splitlines()[-1])}
    assert outcomes["OXF-LIFELINE_2012-04_01"] == ("LOADED", None, None)
    status, reason, detail = outcomes["OXF-AQUARIUS_2012-04_01"]
    assert (status, reason) == ("REJECTED", "ENCODING")
    assert detail == "assessments.csv would expand to 2048.0 MiB, over the limit of 512 MiB"


def test_a_file_over_the_size_limit_is_rejected_however_well_it_compresses(env, monkeypatch):
    monkeypatch.setenv("PBR_MAX_FILE_MIB", "1")
    big = csv_bytes("assessments", [ASSESSMENT.replace("AQ1", f"A{i}") for i in range(30_000)])
    assert len(big) > 1024 * 1024
    write_submission(env.landing, "OXF-AQUARIUS", "2012-04", 1, {"assessments.csv": big})
    write_submission(env.landing, "OXF-AQUARIUS", "2012-05", 1, {"assessments.csv": big}, as_zip=True)
    env.ingest("2012-05")
    details = dict(env.query("SELECT submission_id || ' ' || source, detail FROM quality.submissions"))
    assert details == {
        "OXF-AQUARIUS_2012-04_01 2012-04/OXF-AQUARIUS_2012-04_01": "assessments.csv holds more than 1 MiB",
        "OXF-AQUARIUS_2012-05_01 2012-05/OXF-AQUARIUS_2012-05_01.zip": f"assessments.csv would expand to {len(big) / 2**20:.1f} MiB, over the limit of 1 MiB",
    }
