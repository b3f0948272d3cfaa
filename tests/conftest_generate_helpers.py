"""An independent reader and checker of provider returns, for tests/test_generate.py.

Written from spec/returns.md alone: it shares no code with pbr_pipeline.generate, so a rule the
generator gets wrong is not also wrong here. It reads a landing tree as the ingest would
(folders and zips, window by window, in the ingest's order) and answers, for every submission,
the first rejection code that applies, and for every row of a loaded submission, the quarantine
reasons that apply.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROLE_TABLES = {
    "LASAR": {"assessments"},
    "PROVIDER": {"episodes", "top", "interventions"},
    "POLICE": {"offences"},
    "DWP": {"employment"},
}
SUBSTANCES = {"OPIATES", "CRACK", "COCAINE", "AMPHETAMINES", "CANNABIS", "ALCOHOL", "OTHER"}
DISCHARGE_CODES = {str(c) for c in range(80, 90)}
MANIFEST_KEYS = {"spec_version", "submitter", "window", "seq", "created_at", "files"}
NAME = re.compile(r"^(?P<submitter>[A-Z0-9][A-Z0-9-]*)_(?P<window>\d{4}-\d{2})_(?P<seq>\d{2})$")
PBR_ID = re.compile(r"^[A-Z]{3}-[0-9]{6}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
INTEGER = re.compile(r"^[+-]?\d+$")
DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def _col(kind, required=False, **rule):
    return {"kind": kind, "required": required, **rule}


DAYS = _col("int", low=0, high=28)
SCORE = _col("int", low=0, high=20)
YES_NO = _col("code", codes={"Y", "N"})

# table -> column -> rule, from the tables of spec/returns.md.
TABLES = {
    "assessments": {
        "assessment_id": _col("id", True),
        "pbr_id": _col("pbr_id", True),
        "initials": _col("text", True, pattern=re.compile(r"^[A-Z]{2}$")),
        "date_of_birth": _col("date", True),
        "sex": _col("code", True, codes={"M", "F", "U"}),
        "assessment_date": _col("date", True, event=True),
        "assessment_type": _col("code", True, codes={"INITIAL", "REVIEW"}),
        "tariff_band": _col("int", True),
        "primary_substance": _col("code", True, codes=SUBSTANCES),
        "secondary_substance": _col("code", codes=SUBSTANCES),
        "pathway": _col("code", True, codes={"HARM_MIN", "RECOVERY"}),
        "referred_to": _col("text", True),
    },
    "episodes": {
        "episode_id": _col("id", True),
        "pbr_id": _col("pbr_id", True),
        "pathway": _col("code", True, codes={"HARM_MIN", "RECOVERY"}),
        "referral_date": _col("date", True, event=True),
        "triage_date": _col("date", True, event=True, after="referral_date"),
        "discharge_date": _col("date", event=True, after="triage_date"),
        "discharge_reason": _col("code", codes=DISCHARGE_CODES),
    },
    "top": {
        "top_id": _col("id", True),
        "pbr_id": _col("pbr_id", True),
        "episode_id": _col("text", True),
        "top_date": _col("date", True, event=True),
        "stage": _col("code", True, codes={"S", "R", "E", "P"}),
        **{f"{s.lower()}_days": DAYS for s in SUBSTANCES},
        "alcohol_units": _col("decimal", low=0, high=200),
        "injecting_days": DAYS,
        "shoplifting_days": DAYS,
        "drug_selling_days": DAYS,
        "psych_health": SCORE,
        "phys_health": SCORE,
        "quality_of_life": SCORE,
        "acute_housing_problem": YES_NO,
        "risk_of_eviction": YES_NO,
        "paid_work_days": DAYS,
        "education_days": DAYS,
    },
    "interventions": {
        "intervention_id": _col("id", True),
        "pbr_id": _col("pbr_id", True),
        "intervention": _col("code", True, codes={"HEPB_COURSE_COMPLETED", "HEPC_TEST", "NALOXONE_SUPPLIED"}),
        "intervention_date": _col("date", True, event=True),
    },
    "offences": {
        "offence_id": _col("id", True),
        "pbr_id": _col("pbr_id", True),
        "offence_date": _col("date", True, event=True),
        "disposal_date": _col("date", True, event=True, after="offence_date"),
        "offence_group": _col("code", True, codes={"ACQUISITIVE", "VIOLENCE", "DRUGS", "OTHER"}),
    },
    "employment": {
        "spell_id": _col("id", True),
        "pbr_id": _col("pbr_id", True),
        "start_date": _col("date", True, event=True),
        "end_date": _col("date", event=True, after="start_date"),
    },
}
KEYS = {table: next(iter(columns)) for table, columns in TABLES.items()}


# --- configuration -------------------------------------------------------------------------


@dataclass
class Config:
    roles: dict[str, str] = field(default_factory=dict)  # submitter -> role
    area_of: dict[str, str | None] = field(default_factory=dict)  # submitter -> area (None: DWP)
    bands: dict[str, set[int]] = field(default_factory=dict)  # area -> bands
    providers: dict[str, set[str]] = field(default_factory=dict)  # area -> PROVIDER codes


def read_config(folder: Path) -> Config:
    config = Config()
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        area = data["area"]
        config.bands[area] = {b["band"] for s in data["schedules"] for b in s["bands"]}
        config.providers[area] = set()
        for submitter in data["submitters"]:
            config.roles[submitter["code"]] = submitter["role"]
            config.area_of[submitter["code"]] = None if submitter["role"] == "DWP" else area
            if submitter["role"] == "PROVIDER":
                config.providers[area].add(submitter["code"])
    return config


# --- reading the landing tree --------------------------------------------------------------


@dataclass
class Landed:
    """One submission as found: a folder or a zip below a window folder."""

    path: str  # relative to the landing root, e.g. 2012-06/OXF-LIFELINE_2012-06_01(.zip)
    folder_window: str
    submission_id: str
    zipped: bool
    members: dict[str, bytes] | None  # None: a zip that cannot be opened

    @property
    def name_parts(self):
        match = NAME.match(self.submission_id)
        return (match["submitter"], match["window"], int(match["seq"])) if match else None

    def ingest_order(self):
        parts = self.name_parts or (self.submission_id, "", 0)
        return (parts[0], parts[2], self.zipped)


def read_landing(root: Path) -> list[Landed]:
    landed = []
    for window_dir in sorted(p for p in root.iterdir() if p.is_dir() and re.match(r"^\d{4}-\d{2}$", p.name)):
        for entry in sorted(window_dir.iterdir()):
            rel = f"{window_dir.name}/{entry.name}"
            if entry.is_dir():
                members = {f.name: f.read_bytes() for f in sorted(entry.iterdir())}
                landed.append(Landed(rel, window_dir.name, entry.name, False, members))
            elif entry.suffix == ".zip":
                try:
                    with zipfile.ZipFile(entry) as archive:
                        members = {n: archive.read(n) for n in archive.namelist()}
                except (zipfile.BadZipFile, OSError):
                    members = None
                landed.append(Landed(rel, window_dir.name, entry.stem, True, members))
    return landed


def decode_csv(data: bytes) -> list[list[str]]:
    """Rows of a CSV file; raises UnicodeDecodeError or csv.Error like an ingest would see."""
    text = data.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    return list(csv.reader(io.StringIO(text, newline=""), strict=True))


def last_day(window: str) -> dt.date:
    year, month = map(int, window.split("-"))
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


# --- submission-level checks ---------------------------------------------------------------


def first_rejection(sub: Landed, config: Config, loaded: dict) -> str | None:
    """The first code of the rejection table that applies (None: the submission loads)."""
    if sub.members is None:
        return "ENCODING"
    try:
        manifest = json.loads(sub.members["manifest.json"])
        if not isinstance(manifest, dict) or not set(manifest) >= MANIFEST_KEYS:
            return "MANIFEST_MISSING"
    except (KeyError, ValueError):
        return "MANIFEST_MISSING"
    if sub.name_parts != (manifest["submitter"], manifest["window"], manifest["seq"]):
        return "NAME_MISMATCH"
    role = config.roles.get(manifest["submitter"])
    if role is None:
        return "UNKNOWN_SUBMITTER"
    files = {n: d for n, d in sub.members.items() if n != "manifest.json"}
    listed = manifest["files"]
    for name in files:
        if name not in listed or name.removesuffix(".csv") not in ROLE_TABLES[role]:
            return "TABLE_NOT_ALLOWED"
    if any(name not in files for name in listed):
        return "FILE_MISSING"
    for name in sorted(files):
        if hashlib.sha256(files[name]).hexdigest() != listed[name]["sha256"]:
            return "CHECKSUM_MISMATCH"
    parsed = {}
    for name in sorted(files):
        try:
            parsed[name] = decode_csv(files[name])
        except (UnicodeDecodeError, csv.Error):
            return "ENCODING"
    for name in sorted(files):
        if len(parsed[name]) - 1 != listed[name]["rows"]:
            return "ROWCOUNT_MISMATCH"
    for name in sorted(files):
        header = {h.strip().lower() for h in parsed[name][0]} if parsed[name] else set()
        table = name.removesuffix(".csv")
        if any(rule["required"] and column not in header for column, rule in TABLES[table].items()):
            return "MISSING_COLUMN"
    key = (manifest["submitter"], manifest["window"])
    checksums = {n: listed[n]["sha256"] for n in files}
    if key in loaded:
        seq, seen = loaded[key]
        if seq == manifest["seq"] and seen == checksums:
            return None  # the same submission seen twice: a no-op
        if seq >= manifest["seq"]:
            return "STALE_SEQ"
    loaded[key] = (manifest["seq"], checksums)
    return None


# --- row-level checks ----------------------------------------------------------------------


def _parse(kind: str, value: str):
    """The typed value, or raise ValueError (TYPE)."""
    if kind == "date":
        if not ISO_DATE.match(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    if kind == "int":
        if not INTEGER.match(value):
            raise ValueError(value)
        return int(value)
    if kind == "decimal":
        if not DECIMAL.match(value):
            raise ValueError(value)
        return float(value)
    return value


def row_problems(table: str, row: dict[str, str], submitter: str, window: str, config: Config) -> set[tuple[str, str]]:
    """(column, reason) for every quarantine rule the row breaks, DUPLICATE_KEY aside."""
    rules = TABLES[table]
    problems: set[tuple[str, str]] = set()
    values = {c: (row.get(c) or "").strip() for c in rules}
    deleted = (row.get("deleted") or "").strip().upper()
    if deleted not in ("", "Y", "N"):
        problems.add(("deleted", "CODE"))
    checked = list(rules) if deleted != "Y" else [KEYS[table], "pbr_id"]
    typed = {}
    for column in checked:
        rule, value = rules[column], values[column]
        if value == "":
            if rule["required"]:
                problems.add((column, "REQUIRED"))
            continue
        try:
            typed[column] = _parse(rule["kind"], value)
        except ValueError:
            problems.add((column, "TYPE"))
            continue
        if rule["kind"] == "id" and not 1 <= len(value) <= 32:
            problems.add((column, "RANGE"))
        if rule["kind"] == "pbr_id":
            if not PBR_ID.match(value):
                problems.add((column, "PATTERN"))
            elif config.roles[submitter] != "DWP" and value[:3] != config.area_of[submitter]:
                problems.add((column, "AREA_MISMATCH"))
        if "pattern" in rule and not rule["pattern"].match(value):
            problems.add((column, "PATTERN"))
        if "codes" in rule and value.upper() not in rule["codes"]:
            problems.add((column, "CODE"))
        if "low" in rule and not rule["low"] <= typed[column] <= rule["high"]:
            problems.add((column, "RANGE"))
        if rule.get("event") and typed[column] > last_day(window):
            problems.add((column, "FUTURE_DATE"))
    if deleted == "Y":
        return problems
    for column, rule in rules.items():
        earlier = rule.get("after")
        if earlier and column in typed and earlier in typed and typed[column] < typed[earlier]:
            problems.add((column, "DATE_ORDER"))
    if table == "assessments":
        _assessment_rules(values, typed, submitter, config, problems)
    if table == "episodes":
        has_date, has_reason = values["discharge_date"] != "", values["discharge_reason"] != ""
        if has_date and not has_reason:
            problems.add(("discharge_reason", "REQUIRED"))
        if has_reason and not has_date:
            problems.add(("discharge_date", "REQUIRED"))
    return problems


def _assessment_rules(values, typed, submitter, config, problems) -> None:
    area = config.area_of[submitter]
    if "tariff_band" in typed and typed["tariff_band"] not in config.bands[area]:
        problems.add(("tariff_band", "CODE"))
    if values["secondary_substance"] and values["secondary_substance"] == values["primary_substance"]:
        problems.add(("secondary_substance", "CODE"))
    if values["referred_to"] and values["referred_to"] not in config.providers[area]:
        problems.add(("referred_to", "CODE"))
    if "date_of_birth" in typed and "assessment_date" in typed:
        born, on = typed["date_of_birth"], typed["assessment_date"]
        age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        if not 18 <= age <= 100:
            problems.add(("date_of_birth", "RANGE"))


def file_rows(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    rows = decode_csv(data)
    header = [h.strip().lower() for h in rows[0]]
    return header, [dict(zip(header, r)) for r in rows[1:]]


def duplicate_keys(table: str, rows: list[dict[str, str]]) -> set[str]:
    counts: dict[str, int] = {}
    for row in rows:
        key = (row.get(KEYS[table]) or "").strip()
        counts[key] = counts.get(key, 0) + 1
    return {key for key, count in counts.items() if count > 1}
