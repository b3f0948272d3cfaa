"""The synthetic returns generator (`pbr generate`): format, defects, determinism and realism.

A 24-month pilot dataset is generated once per session. It is then read back with an
independent checker (tests/conftest_generate_helpers.py, written from spec/returns.md only),
which decides for every submission the rejection code the ingest must give, and for every row
of a loaded submission its quarantine reasons. defects.json must match those verdicts exactly:
every rejected submission and every quarantined row listed, nothing else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import re
import subprocess
import sys
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from data_contracts.tables import DAY_COLUMN_OF_SUBSTANCE, RETURN_TABLES, ColumnType
from pbr_pipeline.generate import GenerationSummary, generate_returns
from pbr_pipeline.generate.artefacts import DROPPED_COLUMN
from pbr_pipeline.generate.defects import VARIANTS
from pbr_pipeline.generate.tables import columns as generated_columns
from pbr_pipeline.generate.tables import key_column
from pbr_pipeline.generate.writer import defects_path, extras_dir
from pbr_pipeline.settings import PILOT_CONFIG_DIR
from tests.conftest_generate_helpers import (
    KEYS,
    ROLE_TABLES,
    TABLES,
    Config,
    Landed,
    duplicate_keys,
    file_rows,
    first_rejection,
    last_day,
    read_config,
    read_landing,
    row_problems,
)

FIRST, LAST, SEED = "2012-04", "2014-03", 11
SUBMISSION_CODES = {
    "MANIFEST_MISSING",
    "NAME_MISMATCH",
    "UNKNOWN_SUBMITTER",
    "TABLE_NOT_ALLOWED",
    "FILE_MISSING",
    "CHECKSUM_MISMATCH",
    "ENCODING",
    "ROWCOUNT_MISMATCH",
    "MISSING_COLUMN",
    "STALE_SEQ",
}
ROW_CODES = {
    "REQUIRED",
    "TYPE",
    "RANGE",
    "CODE",
    "PATTERN",
    "DATE_ORDER",
    "FUTURE_DATE",
    "AREA_MISMATCH",
    "DUPLICATE_KEY",
}
DEFECT_KEYS = {"submission_id", "window", "file", "line", "column", "code", "level", "path"}


@dataclass
class Dataset:
    root: Path
    summary: GenerationSummary
    messages: list[str]
    config: Config
    landed: list[Landed]
    defects: list[dict]
    verdicts: dict[str, str | None] = field(default_factory=dict)  # path -> rejection code
    files: dict[tuple[str, str], tuple[list[str], list[dict]]] = field(default_factory=dict)  # loaded
    quarantined: set[tuple] = field(default_factory=set)  # (path, file, line, column, code)
    final: dict[str, dict[tuple, dict]] = field(default_factory=dict)  # table -> key -> row

    def loaded(self) -> list[Landed]:
        return [s for s in self.landed if self.verdicts[s.path] is None]


def _judge(data: Dataset) -> None:
    """Run the independent checker over the whole tree, in the ingest's order."""
    by_window = defaultdict(list)
    for sub in data.landed:
        by_window[sub.folder_window].append(sub)
    for window in sorted(by_window):
        loaded_seqs: dict = {}
        for sub in sorted(by_window[window], key=Landed.ingest_order):
            data.verdicts[sub.path] = first_rejection(sub, data.config, loaded_seqs)
    for sub in data.loaded():
        submitter, window, _ = sub.name_parts
        for name, content in sorted(sub.members.items()):
            if name == "manifest.json":
                continue
            table = name.removesuffix(".csv")
            header, rows = file_rows(content)
            data.files[(sub.path, name)] = (header, rows)
            doubled = duplicate_keys(table, rows)
            for line, row in enumerate(rows, start=2):
                found = row_problems(table, row, submitter, window, data.config)
                if row[KEYS[table]].strip() in doubled:
                    found.add((KEYS[table], "DUPLICATE_KEY"))
                data.quarantined |= {(sub.path, name, line, column, code) for column, code in found}


def _final_state(data: Dataset) -> None:
    """The records a run as of the last window would see: supersession and retractions applied."""
    latest_seq: dict = {}
    for sub in data.loaded():
        submitter, window, seq = sub.name_parts
        latest_seq[(submitter, window)] = max(seq, latest_seq.get((submitter, window), 0))
    quarantined_lines = {(p, f, line) for p, f, line, _, _ in data.quarantined}
    order = sorted(data.loaded(), key=lambda s: (s.name_parts[1], s.name_parts[2]))
    for sub in order:
        submitter, window, seq = sub.name_parts
        if seq != latest_seq[(submitter, window)]:
            continue  # replaced entirely by the higher seq
        for name in sorted(n for n in sub.members if n != "manifest.json"):
            table = name.removesuffix(".csv")
            _, rows = data.files[(sub.path, name)]
            for line, row in enumerate(rows, start=2):
                if (sub.path, name, line) in quarantined_lines:
                    continue
                record = dict(row, _submitter=submitter, _window=window)
                data.final.setdefault(table, {})[(submitter, row[KEYS[table]])] = record
    for table, records in data.final.items():
        data.final[table] = {k: r for k, r in records.items() if r.get("deleted") != "Y"}


@pytest.fixture(scope="session")
def pilot(tmp_path_factory) -> Dataset:
    root = tmp_path_factory.mktemp("generate") / "landing"
    messages: list[str] = []
    summary = generate_returns(root, FIRST, LAST, scale="pilot", seed=SEED, progress=messages.append)
    data = Dataset(
        root,
        summary,
        messages,
        read_config(PILOT_CONFIG_DIR),
        read_landing(root),
        json.loads(defects_path(root).read_text(encoding="utf-8")),
    )
    _judge(data)
    _final_state(data)
    return data


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _window_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


# --- layout and format ---------------------------------------------------------------------


def test_every_window_is_written_and_reported(pilot):
    windows = sorted(p.name for p in pilot.root.iterdir() if p.is_dir())
    assert len(windows) == 24 and windows[0] == FIRST and windows[-1] == LAST
    assert pilot.summary.windows == 24
    assert pilot.summary.submissions == len(pilot.landed)
    assert pilot.summary.config_dir == PILOT_CONFIG_DIR
    assert not (pilot.root / "config").exists()
    assert len(pilot.messages) == 24
    assert all(re.match(r"^\d{4}-\d{2}: [\d,]+ submissions, [\d,]+ rows$", m) for m in pilot.messages)
    assert str(pilot.summary).count("\n") >= 3 and "defects.json" in str(pilot.summary)


def test_loaded_submissions_follow_the_layout(pilot):
    loaded = pilot.loaded()
    assert len(loaded) >= 24 * 26  # 27 submitters a window, all but a few sending every month
    for sub in loaded:
        manifest = json.loads(sub.members["manifest.json"])
        assert set(manifest) == {"spec_version", "submitter", "window", "seq", "created_at", "files"}
        assert manifest["spec_version"] == "1" and isinstance(manifest["seq"], int)
        assert sub.submission_id == f"{manifest['submitter']}_{manifest['window']}_{manifest['seq']:02d}"
        assert manifest["window"] == sub.folder_window
        created = dt.datetime.strptime(manifest["created_at"], "%Y-%m-%dT%H:%M:%SZ")
        assert created.date() > last_day(manifest["window"])
        role = pilot.config.roles[manifest["submitter"]]
        files = {n: d for n, d in sub.members.items() if n != "manifest.json"}
        assert files and set(files) == set(manifest["files"])
        for name, data in files.items():
            assert name.removesuffix(".csv") in ROLE_TABLES[role]
            assert b"\r" not in data and data.endswith(b"\n")
            header, rows = pilot.files[(sub.path, name)]
            assert manifest["files"][name]["rows"] == len(rows) > 0
            assert set(header) == set(TABLES[name.removesuffix(".csv")]) | {"deleted"}


def test_each_role_sends_its_tables(pilot):
    sent = defaultdict(set)
    for sub in pilot.loaded():
        role = pilot.config.roles[sub.name_parts[0]]
        sent[role] |= {n.removesuffix(".csv") for n in sub.members if n != "manifest.json"}
    assert dict(sent) == ROLE_TABLES
    dwp = [s for s in pilot.loaded() if s.name_parts[0] == "DWP"]
    assert sorted({s.folder_window for s in dwp}) == sorted(p.name for p in pilot.root.iterdir() if p.is_dir())
    areas = {r["pbr_id"][:3] for s in dwp for r in pilot.files[(s.path, "employment.csv")][1]}
    assert len(areas) == 8  # one national file for every area


def test_zipped_resubmitted_and_retracted_returns_are_present(pilot):
    zipped = [s for s in pilot.loaded() if s.zipped]
    assert len(zipped) >= 10 and all(set(s.members) >= {"manifest.json"} for s in zipped)
    assert not any((pilot.root / s.path.removesuffix(".zip")).exists() for s in zipped)  # no folder beside
    seqs = defaultdict(list)
    for sub in pilot.loaded():
        seqs[sub.name_parts[:2]].append(sub.name_parts[2])
    resubmitted = [k for k, v in seqs.items() if sorted(v) == [1, 2]]
    assert len(resubmitted) >= 3  # seq 02 replacing a loaded seq 01 completely
    retractions = [
        (s.path, r[KEYS[n.removesuffix(".csv")]])
        for s in pilot.loaded()
        for n in s.members
        if n != "manifest.json"
        for r in pilot.files[(s.path, n)][1]
        if r["deleted"] == "Y"
    ]
    assert len(retractions) >= 10
    sent_before = {
        (s.name_parts[0], r[KEYS[n.removesuffix(".csv")]])
        for s in pilot.loaded()
        for n in s.members
        if n != "manifest.json"
        for r in pilot.files[(s.path, n)][1]
        if r["deleted"] == ""
    }
    for path, key in retractions:
        assert (path.split("/")[1].split("_")[0], key) in sent_before


# --- defects -------------------------------------------------------------------------------


def test_defects_json_lists_exactly_the_rejected_submissions(pilot):
    listed = {(d["path"], d["code"]) for d in pilot.defects if d["level"] == "submission"}
    judged = {(path, code) for path, code in pilot.verdicts.items() if code is not None}
    assert listed == judged
    assert {code for _, code in judged} == SUBMISSION_CODES  # every code but WINDOW_CLOSED


def test_defects_json_lists_exactly_the_quarantined_rows(pilot):
    listed = {(d["path"], d["file"], d["line"], d["column"], d["code"]) for d in pilot.defects if d["level"] == "row"}
    assert listed == pilot.quarantined
    assert {entry[4] for entry in listed} == ROW_CODES
    # One reason per defective row (a DUPLICATE_KEY pair is two rows).
    per_line = Counter((p, f, line) for p, f, line, _, _ in listed)
    assert max(per_line.values()) == 1


def test_defect_entries_are_well_formed_and_point_at_real_things(pilot):
    assert pilot.defects == sorted(
        pilot.defects,
        key=lambda d: (
            d["window"],
            d["submission_id"],
            d["path"],
            d["file"] or "",
            d["line"] or 0,
            d["column"] or "",
            d["code"],
        ),
    )
    assert pilot.summary.defects == len(pilot.defects)
    landed = {s.path: s for s in pilot.landed}
    for entry in pilot.defects:
        assert set(entry) == DEFECT_KEYS and entry["level"] in ("submission", "row")
        sub = landed[entry["path"]]
        assert sub.submission_id == entry["submission_id"] and sub.folder_window == entry["window"]
        if entry["level"] == "row":
            header, rows = pilot.files[(entry["path"], entry["file"])]
            assert 2 <= entry["line"] <= len(rows) + 1 and entry["column"] in header
        elif entry["code"] == "FILE_MISSING":
            assert entry["file"] in json.loads(sub.members["manifest.json"])["files"]
            assert entry["file"] not in sub.members
        elif entry["file"] is not None:
            assert entry["file"] in sub.members and entry["line"] is None


def test_rejected_submissions_are_sent_again_correctly(pilot):
    for entry in pilot.defects:
        if entry["level"] != "submission" or entry["code"] in ("STALE_SEQ", "UNKNOWN_SUBMITTER"):
            continue
        submitter, window, seq = entry["submission_id"].rsplit("_", 2)
        again = f"{window}/{submitter}_{window}_{int(seq) + 1:02d}"
        assert pilot.verdicts.get(again, "absent") is None, entry
    stale = [d for d in pilot.defects if d["code"] == "STALE_SEQ"]
    assert stale and all(d["path"].endswith(".zip") for d in stale)
    assert all(pilot.verdicts[d["path"].removesuffix(".zip")] is None for d in stale)
    encoding = [d for d in pilot.defects if d["code"] == "ENCODING"]
    assert {d["path"].endswith(".zip") for d in encoding} == {True, False}  # corrupt zip and latin-1
    latin = next(d for d in encoding if d["file"])
    raw = {s.path: s for s in pilot.landed}[latin["path"]].members[latin["file"]]
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


# --- determinism ---------------------------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_a_byte_identical_tree_and_another_seed_does_not(tmp_path):
    first = generate_returns(tmp_path / "a", "2013-01", "2013-03", seed=5)
    generate_returns(tmp_path / "b", "2013-01", "2013-03", seed=5)
    generate_returns(tmp_path / "c", "2013-01", "2013-03", seed=6)
    a, b, c = _tree(tmp_path / "a"), _tree(tmp_path / "b"), _tree(tmp_path / "c")
    assert len(a) > 100 and first.windows == 3
    assert a == b
    shared = set(a) & set(c)
    assert sum(a[name] != c[name] for name in shared) > len(shared) // 2


def _content_digest(root: Path) -> str:
    """A digest of every file written, in the landing and beside it, a zip by its members' bytes
    (its own bytes depend on the machine's zlib), the half zip that cannot be opened by its name."""
    digest = hashlib.sha256()
    for folder in (root, extras_dir(root)):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode())
            if path.suffix != ".zip":
                digest.update(path.read_bytes())
                continue
            try:
                with zipfile.ZipFile(path) as archive:
                    for name in sorted(archive.namelist()):
                        digest.update(name.encode() + archive.read(name))
            except zipfile.BadZipFile:
                pass
    return digest.hexdigest()


# The pilot dataset as the generator wrote it before `--gaming` existed (commit 02e1ab6).
PILOT_DIGEST = "6df1fcbe1f0c6397939f2a47b7f3111771bba06e6a953e80603f01413f2e60ab"


def test_without_gaming_the_pilot_dataset_is_what_it_always_was(pilot):
    assert _content_digest(pilot.root) == PILOT_DIGEST


def test_refuses_a_non_empty_folder_and_unknown_scales(tmp_path):
    (tmp_path / "old.txt").write_text("x")
    with pytest.raises(ValueError, match="not an empty folder"):
        generate_returns(tmp_path, "2012-04", "2012-04")
    assert [p.name for p in tmp_path.iterdir()] == ["old.txt"]  # nothing written
    with pytest.raises(ValueError):
        generate_returns(tmp_path / "new", "2012-04", "2012-04", scale="galactic")
    with pytest.raises(ValueError):
        generate_returns(tmp_path / "new", "2012-05", "2012-04")


# --- realism -------------------------------------------------------------------------------


def _share(hits: int, total: int) -> float:
    assert total > 0
    return hits / total


def test_journeys_per_year_are_about_ten_thousand(pilot):
    initials = [r for r in pilot.final["assessments"].values() if r["assessment_type"] == "INITIAL"]
    assert 10_000 * 0.85 <= len(initials) / 2 <= 10_000 * 1.15
    by_area = Counter(r["pbr_id"][:3] for r in initials)
    assert by_area.most_common(1)[0][0] == "KNT" and len(by_area) == 8
    assert abs(pilot.summary.journeys - len(initials)) < 0.02 * len(initials)


def test_discharge_mix_matches_ndtms(pilot):
    reasons = Counter(r["discharge_reason"] for r in pilot.final["episodes"].values() if r["discharge_reason"])
    total = sum(reasons.values())
    assert total > 5000
    assert abs(_share(reasons["80"] + reasons["81"] + reasons["82"], total) - 0.47) <= 0.05
    assert abs(_share(reasons["83"], total) - 0.14) <= 0.04
    assert abs(_share(reasons["84"], total) - 0.11) <= 0.04
    assert set(reasons) == {str(c) for c in range(80, 90)}
    still_open = sum(1 for r in pilot.final["episodes"].values() if not r["discharge_date"])
    assert still_open > 1000


def _primary_at(pilot: Dataset) -> dict[str, list[tuple[dt.date, str]]]:
    by_pbr = defaultdict(list)
    for r in pilot.final["assessments"].values():
        if r["assessment_type"] == "INITIAL":
            by_pbr[r["pbr_id"]].append((_day(r["assessment_date"]), r["primary_substance"]))
    return by_pbr


def _six_month_abstinence(pilot: Dataset, substance: str) -> float:
    assessments = _primary_at(pilot)
    tops = defaultdict(list)
    for r in pilot.final["top"].values():
        tops[(r["_submitter"], r["episode_id"])].append(r)
    column = f"{substance.lower()}_days"
    hits = total = 0
    for records in tops.values():
        starts = [r for r in records if r["stage"] == "S"]
        if not starts or not starts[0][column] or int(starts[0][column]) == 0:
            continue
        start = starts[0]
        start_day = _day(start["top_date"])
        primary = [s for d, s in sorted(assessments[start["pbr_id"]]) if d <= start_day]
        if not primary or primary[-1] != substance:
            continue
        reviews = sorted(
            (r for r in records if r["stage"] == "R" and 150 <= (_day(r["top_date"]) - start_day).days <= 215),
            key=lambda r: r["top_date"],
        )
        if reviews and reviews[0][column] != "":
            total += 1
            hits += int(reviews[0][column]) == 0
    assert total > 100
    return hits / total


def test_abstinence_at_the_six_month_review(pilot):
    assert abs(_six_month_abstinence(pilot, "OPIATES") - 0.51) <= 0.08
    assert abs(_six_month_abstinence(pilot, "CRACK") - 0.63) <= 0.12


def test_one_in_five_successful_completers_re_presents_within_a_year(pilot):
    person = {}
    initial_days = defaultdict(list)
    for r in pilot.final["assessments"].values():
        attributes = (r["initials"], r["date_of_birth"], r["sex"])
        person[r["pbr_id"]] = attributes
        if r["assessment_type"] == "INITIAL":
            initial_days[attributes].append((_day(r["assessment_date"]), r["pbr_id"]))
    cutoff = last_day(LAST) - dt.timedelta(days=365)
    completed = [
        r
        for r in pilot.final["episodes"].values()
        if r["discharge_reason"] in ("80", "81", "82") and _day(r["discharge_date"]) <= cutoff and r["pbr_id"] in person
    ]
    assert len(completed) > 500
    back = [
        [pbr for day, pbr in initial_days[person[r["pbr_id"]]] if 0 < (day - _day(r["discharge_date"])).days <= 365]
        for r in completed
    ]
    assert abs(_share(sum(bool(b) for b in back), len(completed)) - 0.20) <= 0.06
    elsewhere = [b for b, r in zip(back, completed) if any(p[:3] != r["pbr_id"][:3] for p in b)]
    assert elsewhere  # some came back in another area, under a new pbr_id


def test_assessments_look_like_the_real_ones(pilot):
    rows = list(pilot.final["assessments"].values())
    ages = []
    for r in rows:
        born, on = _day(r["date_of_birth"]), _day(r["assessment_date"])
        ages.append(on.year - born.year - ((on.month, on.day) < (born.month, born.day)))
    assert min(ages) >= 18 and max(ages) <= 100 and 30 <= sum(ages) / len(ages) <= 45
    assert {r["tariff_band"] for r in rows} == {"1", "2", "3"}
    assert {r["sex"] for r in rows} == {"M", "F", "U"}
    harm_min = Counter(r["primary_substance"] for r in rows if r["pathway"] == "HARM_MIN")
    assert harm_min.most_common(1)[0][0] == "OPIATES"
    assert _share(harm_min["OPIATES"], sum(harm_min.values())) > 0.7
    for r in rows:
        if r["pbr_id"].startswith("OXF"):
            expected = {"HARM_MIN": "OXF-OXHEALTH", "RECOVERY": "OXF-LIFELINE"}[r["pathway"]]
            assert r["referred_to"] == expected
    initial_band = {r["pbr_id"]: r["tariff_band"] for r in rows if r["assessment_type"] == "INITIAL"}
    reviews = [r for r in rows if r["assessment_type"] == "REVIEW"]
    assert len(reviews) > 500
    assert _share(sum(r["tariff_band"] != initial_band.get(r["pbr_id"]) for r in reviews), len(reviews)) > 0.9


def test_oxfordshire_users_convert_from_harm_minimisation_to_recovery(pilot):
    episodes = defaultdict(list)
    for r in pilot.final["episodes"].values():
        episodes[r["pbr_id"]].append(r)
    conversions = 0
    for records in episodes.values():
        harm_min = [e for e in records if e["_submitter"] == "OXF-OXHEALTH" and e["pathway"] == "HARM_MIN"]
        recovery = [e for e in records if e["_submitter"] == "OXF-LIFELINE" and e["pathway"] == "RECOVERY"]
        conversions += any(r["triage_date"] > h["triage_date"] for h in harm_min for r in recovery)
    assert conversions >= 30


def test_health_and_offending_move_the_right_way(pilot):
    tops = list(pilot.final["top"].values())
    starts = [t for t in tops if t["stage"] == "S"]
    later = [t for t in tops if t["stage"] in ("R", "E")]

    def mean(rows, column):
        values = [int(r[column]) for r in rows if r[column] != ""]
        return sum(values) / len(values)

    assert mean(later, "quality_of_life") > mean(starts, "quality_of_life") + 1
    injecting_start = _share(sum(t["injecting_days"] not in ("", "0") for t in starts), len(starts))
    injecting_later = _share(sum(t["injecting_days"] not in ("", "0") for t in later), len(later))
    assert injecting_start > 0.1 and injecting_later < injecting_start / 2
    housing_start = _share(sum(t["acute_housing_problem"] == "Y" for t in starts), len(starts))
    housing_later = _share(sum(t["acute_housing_problem"] == "Y" for t in later), len(later))
    assert housing_later < housing_start * 0.7
    units = [float(t["alcohol_units"]) for t in tops if t["alcohol_units"]]
    assert max(units) <= 200 and max(units) > 20
    hepb = [i for i in pilot.final["interventions"].values() if i["intervention"] == "HEPB_COURSE_COMPLETED"]
    assert len(hepb) > 200
    triage = {r["pbr_id"]: _day(r["triage_date"]) for r in pilot.final["episodes"].values()}
    before = after = 0
    for offence in pilot.final["offences"].values():
        started = triage.get(offence["pbr_id"])
        if started and started <= last_day(LAST) - dt.timedelta(days=365):
            gap = (_day(offence["offence_date"]) - started).days
            before += -365 <= gap < 0
            after += 0 < gap <= 365
    assert before > 500 and after < before * 0.8
    spells = list(pilot.final["employment"].values())
    assert len(spells) > 500 and any(s["end_date"] == "" for s in spells) and any(s["end_date"] for s in spells)


def test_most_records_arrive_on_time_and_a_few_late(pilot):
    late = Counter()
    for record in pilot.final["top"].values():
        event = _window_of(_day(record["top_date"]))
        late[
            (int(record["_window"][:4]) * 12 + int(record["_window"][5:])) - (int(event[:4]) * 12 + int(event[5:]))
        ] += 1
    total = sum(late.values())
    assert min(late) == 0 and max(late) == 3
    assert abs(_share(total - late[0], total) - 0.06) <= 0.02


# --- gaming (--gaming SUBMITTER=BEHAVIOUR) -------------------------------------------------

# One provider of each behaviour; the rest of the pilot providers are their peers.
GAMING = [("OXF-LIFELINE", "cream-skim"), ("KNT-KCA", "park"), ("WIG-ADS", "drop")]
GAMING_END = pd.Timestamp(last_day(LAST))  # E of the last window


@dataclass
class Gamed:
    root: Path
    summary: GenerationSummary
    assessments: pd.DataFrame
    episodes: pd.DataFrame
    top: pd.DataFrame


def _latest(landed: list[Landed], table: str) -> pd.DataFrame:
    """The table's records as a run of the last window would hold them: the latest version of
    each key (by window and seq), retractions applied; the defective rows are too few to matter."""
    frames = []
    for sub in landed:
        content = (sub.members or {}).get(f"{table}.csv")
        if content is None or sub.name_parts is None:
            continue
        frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False, encoding_errors="replace")
        submitter, window, seq = sub.name_parts
        frames.append(frame.assign(_submitter=submitter, _window=window, _seq=seq))
    records = pd.concat(frames, ignore_index=True).sort_values(["_window", "_seq"], kind="stable")
    records = records.drop_duplicates(["_submitter", KEYS[table]], keep="last")
    records = records[records["deleted"] != "Y"].copy()
    for column in records.columns:
        if column.endswith("_date"):
            records[column] = pd.to_datetime(records[column], format="%Y-%m-%d", errors="coerce")
    return records


@pytest.fixture(scope="module")
def gamed(tmp_path_factory) -> Gamed:
    root = tmp_path_factory.mktemp("gaming") / "landing"
    summary = generate_returns(root, FIRST, LAST, seed=SEED, gaming=GAMING)
    landed = read_landing(root)
    return Gamed(root, summary, *(_latest(landed, t) for t in ("assessments", "episodes", "top")))


def _days(n: int) -> pd.Timedelta:
    return pd.Timedelta(days=n)


def _z(numerator: int, denominator: int, peer_numerator: int, peer_denominator: int) -> float:
    """spec/monitoring.md: the two-proportion z-score of a provider against its peers (NaN where
    the spec's is null)."""
    pooled = (numerator + peer_numerator) / (denominator + peer_denominator)
    if pooled in (0, 1) or not peer_denominator:
        return math.nan
    spread = math.sqrt(pooled * (1 - pooled) * (1 / denominator + 1 / peer_denominator))
    return (numerator / denominator - peer_numerator / peer_denominator) / spread


def _flags(cases: pd.DataFrame, who: str, provider: str, adverse: int) -> dict[str, tuple]:
    """Per pathway of the provider: (numerator, denominator, value, peer value, z, flagged) with
    the monitor's defaults (denominator >= 20, |z| >= 3 in the adverse direction: +1 higher)."""
    result = {}
    for pathway, group in cases.groupby("pathway"):
        mine, peers = group[group[who] == provider], group[group[who] != provider]
        if not len(mine) or pathway == "":
            continue
        counts = int(mine["hit"].sum()), len(mine), int(peers["hit"].sum()), len(peers)
        z = _z(*counts)
        flagged = counts[1] >= 20 and abs(z) >= 3 and z * adverse > 0
        result[pathway] = (*counts[:2], counts[0] / counts[1], counts[2] / counts[3], round(z, 2), flagged)
    return result


def _band_3_referrals(gamed: Gamed, end: pd.Timestamp) -> pd.DataFrame:
    """START_RATE's cases on band 3: INITIAL assessments dated in (E - 455, E - 90], and whether
    an episode of the provider referred to starts within 90 days."""
    initial = gamed.assessments
    initial = initial[
        (initial["assessment_type"] == "INITIAL")
        & (initial["tariff_band"] == "3")
        & (initial["assessment_date"] > end - _days(455))
        & (initial["assessment_date"] <= end - _days(90))
    ]
    starts = initial.merge(
        gamed.episodes[["pbr_id", "_submitter", "triage_date"]],
        left_on=["pbr_id", "referred_to"],
        right_on=["pbr_id", "_submitter"],
        how="left",
    )
    starts["hit"] = (starts["triage_date"] >= starts["assessment_date"]) & (
        starts["triage_date"] <= starts["assessment_date"] + _days(90)
    )
    hits = starts.groupby("assessment_id")["hit"].any()
    return initial.assign(hit=initial["assessment_id"].map(hits))


def test_cream_skim_never_starts_about_half_of_its_band_3_referrals(gamed):
    referrals = _band_3_referrals(gamed, GAMING_END)
    skimmer = referrals[referrals["referred_to"] == "OXF-LIFELINE"]
    peers = referrals[referrals["referred_to"] != "OXF-LIFELINE"]
    assert len(skimmer) > 100
    assert 0.40 <= 1 - skimmer["hit"].mean() <= 0.60  # about half never started
    assert 1 - peers["hit"].mean() <= 0.12
    # Its band 1 and 2 referrals start as everyone's do.
    initial = gamed.assessments[gamed.assessments["assessment_type"] == "INITIAL"]
    assert (initial["referred_to"] == "OXF-LIFELINE").sum() > 3 * len(skimmer)
    flags = _flags(referrals, "referred_to", "OXF-LIFELINE", adverse=-1)
    assert flags and all(flag[-1] for flag in flags.values()), flags


def _long_open(gamed: Gamed, end: pd.Timestamp) -> pd.DataFrame:
    """NO_RECENT_REVIEW's cases: episodes open on E that started 180 days or more before it, and
    whether no TOP of theirs is dated in (E - 180, E]."""
    episodes = gamed.episodes
    episodes = episodes[
        (episodes["triage_date"] <= end - _days(180))
        & (episodes["discharge_date"].isna() | (episodes["discharge_date"] > end))
    ]
    tops = gamed.top[(gamed.top["top_date"] > end - _days(180)) & (gamed.top["top_date"] <= end)]
    reviewed = set(zip(tops["_submitter"], tops["episode_id"]))
    return episodes.assign(hit=[(s, e) not in reviewed for s, e in zip(episodes["_submitter"], episodes["episode_id"])])


def test_park_leaves_about_a_third_of_long_episodes_without_tops_and_open(gamed):
    episodes = gamed.episodes
    # Open past day 180, and started early enough that a review after it is due by E.
    past_180 = episodes[
        (episodes["triage_date"] <= GAMING_END - _days(290))
        & (episodes["discharge_date"].isna() | (episodes["discharge_date"] > episodes["triage_date"] + _days(180)))
    ]
    later = gamed.top[["_submitter", "episode_id", "top_date"]].merge(
        past_180[["_submitter", "episode_id", "triage_date"]]
    )
    later = later[later["top_date"] > later["triage_date"] + _days(180)]
    reviewed = set(zip(later["_submitter"], later["episode_id"]))
    unreviewed = np.array([(s, e) not in reviewed for s, e in zip(past_180["_submitter"], past_180["episode_id"])])
    # Parked: no TOP after day 180 and not discharged either.
    parked = past_180[unreviewed & past_180["discharge_date"].isna().to_numpy()]["_submitter"]
    parker = past_180["_submitter"] == "KNT-KCA"
    assert parker.sum() > 300
    assert 0.27 <= (parked == "KNT-KCA").sum() / parker.sum() <= 0.40  # about a third
    assert (parked != "KNT-KCA").sum() / (~parker).sum() <= 0.03
    flags = _flags(_long_open(gamed, GAMING_END), "_submitter", "KNT-KCA", adverse=1)
    assert set(flags) == {"HARM_MIN", "RECOVERY"} and all(flag[-1] for flag in flags.values()), flags


def _discharges(gamed: Gamed, end: pd.Timestamp) -> pd.DataFrame:
    """DECLINED_OR_DROPPED's cases: discharges in the lookback but transfers, and whether 85 or 88."""
    episodes = gamed.episodes
    discharged = episodes[
        (episodes["discharge_date"] > end - _days(365))
        & (episodes["discharge_date"] <= end)
        & ~episodes["discharge_reason"].isin(["83", "84"])
    ]
    return discharged.assign(hit=discharged["discharge_reason"].isin(["85", "88"]))


def test_drop_discharges_about_twice_its_peers_share_as_85_or_88(gamed):
    discharged = gamed.episodes[gamed.episodes["discharge_reason"] != ""]
    dropped = discharged["discharge_reason"].isin(["85", "88"])
    dropper = discharged["_submitter"] == "WIG-ADS"
    assert dropper.sum() > 500
    ratio = dropped[dropper].mean() / dropped[~dropper].mean()
    assert 1.7 <= ratio <= 2.3, ratio  # about twice
    # Transfers (conversions among them) are left as they were.
    transfers = discharged["discharge_reason"].isin(["83", "84"])
    assert abs(transfers[dropper].mean() - transfers[~dropper].mean()) <= 0.05
    flags = _flags(_discharges(gamed, GAMING_END), "_submitter", "WIG-ADS", adverse=1)
    assert set(flags) == {"HARM_MIN", "RECOVERY"} and all(flag[-1] for flag in flags.values()), flags


def test_no_other_provider_looks_like_gaming(gamed):
    gamers = {submitter for submitter, _ in GAMING}
    for cases, who, adverse in (
        (_band_3_referrals(gamed, GAMING_END), "referred_to", -1),
        (_long_open(gamed, GAMING_END), "_submitter", 1),
        (_discharges(gamed, GAMING_END), "_submitter", 1),
    ):
        honest = cases[~cases[who].isin(gamers)]
        for provider in sorted(set(honest[who])):
            flags = _flags(honest, who, provider, adverse)
            assert not any(flag[-1] for flag in flags.values()), (provider, flags)


def test_gaming_is_listed_in_defects_json(gamed):
    defects = json.loads(defects_path(gamed.root).read_text(encoding="utf-8"))
    gaming = [d for d in defects if d["level"] == "gaming"]
    assert defects[-len(gaming) :] == gaming  # after the submission and row defects
    assert [(d["submitter"], d["behaviour"], d["code"], d["band"]) for d in gaming] == [
        ("KNT-KCA", "park", "NO_RECENT_REVIEW", 0),
        ("OXF-LIFELINE", "cream-skim", "START_RATE", 3),
        ("WIG-ADS", "drop", "DECLINED_OR_DROPPED", 0),
    ]
    assert all(set(d) == DEFECT_KEYS | {"submitter", "behaviour", "band"} for d in gaming)
    assert all(d[key] is None for d in gaming for key in ("submission_id", "window", "file", "line", "path"))
    assert gamed.summary.defects_by_level["gaming"] == 3 and gamed.summary.defects == len(defects)
    assert {d["level"] for d in defects} == {"submission", "row", "gaming"}


def test_gaming_is_deterministic_and_changes_only_with_it(tmp_path):
    generate_returns(tmp_path / "a", "2013-01", "2013-03", seed=5, gaming=[("OXF-LIFELINE", "cream-skim")])
    generate_returns(tmp_path / "b", "2013-01", "2013-03", seed=5, gaming=[("OXF-LIFELINE", "cream-skim")])
    generate_returns(tmp_path / "c", "2013-01", "2013-03", seed=5, gaming=[])
    generate_returns(tmp_path / "d", "2013-01", "2013-03", seed=5)
    a, b, c, d = (_tree(tmp_path / name) for name in "abcd")
    assert a == b and c == d
    assert a != c


@pytest.mark.parametrize(
    ("gaming", "message"),
    [
        ("OXF-POLICE=park", "gaming OXF-POLICE=park: 'OXF-POLICE' is not a PROVIDER of a configured area"),
        ("NOBODY=drop", "gaming NOBODY=drop: 'NOBODY' is not a PROVIDER of a configured area"),
        ("OXF-LIFELINE=skim", "gaming OXF-LIFELINE=skim: unknown behaviour 'skim' (known: cream-skim, park, drop)"),
        ("OXF-LIFELINE", "argument --gaming: 'OXF-LIFELINE' is not SUBMITTER=BEHAVIOUR"),
    ],
)
def test_a_bad_gaming_argument_is_one_line_and_writes_nothing(tmp_path, gaming, message):
    out = tmp_path / "out"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pbr_pipeline.cli",
            "generate",
            "--out",
            str(out),
            "--from",
            "2012-04",
            "--to",
            "2012-04",
        ]
        + ["--gaming", "WIG-ADS=drop", "--gaming", gaming],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        check=False,
        timeout=300,
    )
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.splitlines()[0].startswith(f"pbr: {message}") and len(run.stderr.splitlines()) == 1
    assert sorted(tmp_path.iterdir()) == []  # nothing written, not even the folder


def test_gaming_a_provider_twice_the_same_way_is_refused(tmp_path):
    with pytest.raises(ValueError, match="given twice"):
        generate_returns(tmp_path / "out", "2012-04", "2012-04", gaming=[("WIG-ADS", "drop"), ("WIG-ADS", "drop")])
    assert not (tmp_path / "out").exists()


def test_a_national_synthetic_provider_can_game_and_an_unknown_one_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="not a PROVIDER"):
        generate_returns(tmp_path / "out", "2012-06", "2012-06", scale="national", gaming=[("XZZ-SVC9", "park")])
    assert sorted(tmp_path.iterdir()) == []  # not even the national configuration
    summary = generate_returns(tmp_path / "out", "2012-06", "2012-06", scale="national", gaming=[("XAA-SVC1", "park")])
    assert summary.defects_by_level["gaming"] == 1


# --- national scale ------------------------------------------------------------------------


def test_national_scale_writes_its_extra_areas_configuration(tmp_path):
    out = tmp_path / "national"
    summary = generate_returns(out, "2012-06", "2012-06", scale="national", seed=2)
    assert summary.config_dir == extras_dir(out) / "config"
    assert sorted(p.name for p in out.iterdir()) == ["2012-06"]  # the landing holds returns only
    files = sorted(summary.config_dir.glob("*.yaml"))
    pilot_files = sorted(PILOT_CONFIG_DIR.glob("*.yaml"))
    for path in pilot_files:
        assert (summary.config_dir / path.name).read_bytes() == path.read_bytes()
    extra = [p for p in files if p.name not in {q.name for q in pilot_files}]
    assert len(extra) >= 100
    codes = set()
    for path in extra:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("#") and "ILLUSTRATIVE" in text.split("area:")[0]
        data = yaml.safe_load(text)
        assert re.match(r"^[A-Z]{3}$", data["area"]) and data["area"] not in {
            "BRF",
            "ENF",
            "KNT",
            "LIN",
            "OXF",
            "STP",
            "WAK",
            "WIG",
        }
        codes.add(data["area"])
        assert all(c["start"] == dt.date(2012, 4, 1) for c in data["contracts"])
        assert sorted(b["band"] for b in data["schedules"][0]["bands"]) == [1, 2, 3]
        assert abs(sum(data["schedules"][0]["weights"].values()) - 1) < 1e-9
    assert len(codes) == len(extra)
    from pbr_pipeline.config import load_areas

    areas = load_areas(summary.config_dir)  # the pipeline's own loader accepts them
    assert len(areas.areas) == len(files) == summary.areas
    config = read_config(summary.config_dir)
    landed = read_landing(out)
    assert {s.name_parts[0] for s in landed if s.name_parts} - set(config.roles) <= {
        d["submission_id"].rsplit("_", 2)[0]
        for d in json.loads(defects_path(out).read_text())
        if d["code"] == "UNKNOWN_SUBMITTER"
    }
    # About 300,000 journeys a year: one month's INITIAL assessments.
    assert 300_000 / 12 * 0.8 <= summary.journeys <= 300_000 / 12 * 1.2


# The generator takes its tables from the specification (data_contracts/tables.py).


def test_the_generator_writes_every_column_of_the_specification_in_its_order():
    for name, table in RETURN_TABLES.items():
        written = [column.name for column in generated_columns(name)]
        spec = [column.name for column in table.file_columns]
        assert sorted(written) == sorted(spec), name
        # The one departure: the TOP's substance day columns in the order of the substance codes.
        days = list(DAY_COLUMN_OF_SUBSTANCE.values())
        assert [c for c in written if c not in days] == [c for c in spec if c not in days], name
        assert [c for c in written if c in days] == ([] if name != "top" else days), name
        assert generated_columns(name)[0].kind == "id" and key_column(name) == table.key == written[0]


def test_every_defect_recipe_breaks_a_rule_the_specification_declares():
    rule_of = {
        "REQUIRED": lambda c, t: c.required or c.required_iff or any(o.required_iff == c.name for o in t.columns),
        "TYPE": lambda c, t: c.type in (ColumnType.INTEGER, ColumnType.DECIMAL, ColumnType.DATE),
        "RANGE": lambda c, t: c.low is not None or c.high is not None or c.age is not None,
        "CODE": lambda c, t: bool(c.codes or c.codes_from or c.differs_from),
        "PATTERN": lambda c, t: c.pattern is not None,
        "DATE_ORDER": lambda c, t: c.not_before is not None,
        "FUTURE_DATE": lambda c, t: c.event_date,
        "AREA_MISMATCH": lambda c, t: c.type is ColumnType.PBR_ID and t.role != "DWP",
        "DUPLICATE_KEY": lambda c, t: c.name == t.key,
    }
    for code, variants in VARIANTS.items():
        for variant in variants:
            table = RETURN_TABLES[variant.table]
            assert rule_of[code](table.column(variant.column), table), (code, variant.table, variant.column)


def test_a_missing_column_defect_drops_a_required_column_that_is_not_the_key():
    for name, column in DROPPED_COLUMN.items():
        assert column in RETURN_TABLES[name].required_columns and column != RETURN_TABLES[name].key, name


# The generator is a tool, not the runtime (docs/generator.md).


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )


def test_the_pipeline_does_not_import_the_generator():
    found = _python(
        "import sys, pbr_pipeline.definitions, pbr_pipeline.cli\n"
        "print(sorted(m for m in sys.modules if m.startswith('pbr_pipeline.generate')))"
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "[]"


def test_generate_without_its_extra_says_which_extra_in_one_line(tmp_path):
    # numpy made unimportable, as in an install without the 'generate' extra that lacked it.
    run = _python(
        "import sys\nfrom pbr_pipeline.cli import main\nsys.modules['numpy'] = None\n"
        f"sys.exit(main(['generate', '--out', {str(tmp_path / 'out')!r}, '--from', '2012-04', '--to', '2012-04']))"
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "pbr: the generator needs numpy: install the 'generate' extra (pip install 'pbr_pipeline[generate]')"
    ]
    assert not (tmp_path / "out").exists()
