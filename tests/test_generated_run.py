"""The whole pipeline over 24 windows of generated pilot returns, run by `pbr run`."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pbr_pipeline.generate.writer import defects_path
from pbr_pipeline.windows import window_range
from tests.conftest import GENERATED_WINDOWS
from tests.test_ingest import scan_text_columns

WINDOWS = window_range(*GENERATED_WINDOWS)
LAST = WINDOWS[-1]


def defects(run) -> list[dict]:
    return json.loads(defects_path(run.landing).read_text())


def test_every_submission_defect_is_rejected_with_its_code_and_no_other(generated_run):
    expected = {(d["path"], d["code"]) for d in defects(generated_run) if d["level"] == "submission"}
    actual = set(generated_run.query("SELECT source, reason FROM quality.submissions WHERE status = 'REJECTED'"))
    assert actual == expected
    assert len(expected) >= 10


def test_every_row_defect_is_quarantined_and_no_clean_row_is(generated_run):
    listed = [d for d in defects(generated_run) if d["level"] == "row"]
    quarantined = generated_run.query(
        """SELECT s.source, q.file, q.line_number, q.reason FROM quality.quarantine q
           JOIN quality.submissions s ON s.submission_id = q.submission_id AND s.fingerprint = q.fingerprint"""
    )
    reasons = {(source, file, line): set() for source, file, line, _ in quarantined}
    for source, file, line, reason in quarantined:
        reasons[(source, file, line)].add(reason)
    missing = [d for d in listed if d["code"] not in reasons.get((d["path"], d["file"], d["line"]), set())]
    assert missing == []
    assert set(reasons) == {(d["path"], d["file"], d["line"]) for d in listed}
    assert {d["code"] for d in listed} == {
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


def test_conservation_holds_for_every_file(generated_run):
    assert generated_run.query(
        """SELECT count(*) FROM quality.submission_files
           WHERE rows_in <> rows_loaded + rows_quarantined"""
    ) == [(0,)]
    assert generated_run.query(
        """SELECT sum(rows_in) = sum(rows_loaded) + sum(rows_quarantined), sum(rows_in) > 100000
           FROM quality.submissions WHERE status IN ('LOADED', 'SUPERSEDED')"""
    ) == [(True, True)]


def test_cumulative_payments_equal_entitlement_for_every_provider_and_window(generated_run):
    breaches = generated_run.query(
        """
        WITH windows AS (SELECT DISTINCT payment_window AS w FROM marts.payment_runs),
        paid AS (
            SELECT w, provider, sum(amount) AS paid
            FROM windows JOIN marts.payment_lines ON payment_window <= w GROUP BY ALL
        ),
        entitled AS (
            SELECT as_of_window AS w, provider, sum(payable_amount) AS payable
            FROM marts.entitlements GROUP BY ALL
        )
        SELECT coalesce(paid.w, entitled.w), coalesce(paid.provider, entitled.provider), paid, payable
        FROM paid FULL JOIN entitled ON paid.w = entitled.w AND paid.provider = entitled.provider
        WHERE coalesce(paid, 0) <> coalesce(payable, 0)
        """
    )
    assert breaches == []
    assert generated_run.query(
        "SELECT count(DISTINCT payment_window), count(DISTINCT provider) FROM marts.payment_lines"
    ) == [(24, 11)]
    assert generated_run.query("SELECT count(*) > 0 FROM marts.payment_lines WHERE status = 'REVERSAL'") == [(True,)]


def test_every_window_ran_and_its_statement_adds_up(generated_run):
    runs = generated_run.query("SELECT payment_window, status, lines, net_amount FROM marts.payment_runs ORDER BY 1")
    assert [r[0] for r in runs] == WINDOWS
    assert all(status == "PROVISIONAL" for _, status, _, _ in runs)
    with open(generated_run.exports / LAST / "summary.csv", newline="") as handle:
        summary = list(csv.DictReader(handle))
    assert len(summary) == 11  # every pilot provider gets a statement
    net = sum(Decimal(row["net_amount_due"]) for row in summary)
    assert net == runs[-1][3]
    for row in summary:
        statement = (generated_run.exports / LAST / f"statement_{row['provider']}.csv").read_text().splitlines()
        assert len(statement) - 1 == int(row["lines"])


PROGRESS_LINE = re.compile(
    r"\[(\d{4}-\d{2}(?:\.\.\d{4}-\d{2})?)\] (config|ingest|dbt|checkpoint|monitor|payments|returns): "
)
FLAG_LINE = re.compile(r"\[(\d{4}-\d{2})\] monitor: flag: (\S+) (\S+) \((\S+), (?:band (\d)|all bands)\): ")
MISSING_LINE = re.compile(r"\[(\d{4}-\d{2})\] returns: (\d+) expected return\(s\) not received: ")


def test_the_console_shows_each_window_and_stage_then_the_summary_and_nothing_else(generated_run):
    lines = (generated_run.last_output.stdout + generated_run.last_output.stderr).splitlines()
    progress = [match.groups() for line in lines if (match := PROGRESS_LINE.match(line))]
    # The stages that work on the whole range at once say so; each window's statements, then
    # the analysts' copy once.
    whole = f"{WINDOWS[0]}..{WINDOWS[-1]}"
    stages = [stage for window, stage in progress if window == whole]
    # the monitor's check and the checkpoint both follow the build, in either order
    assert [stage for stage in stages if stage != "monitor"] == [
        "config",
        "ingest",
        "dbt",
        "dbt",
        "checkpoint",
        "payments",
    ]
    assert stages.count("monitor") == 1
    # A warning for each flag the monitor raised, naming provider, indicator, pathway and band.
    flags = sorted(
        (w, provider, indicator, pathway, int(band or 0))
        for line in lines
        if (m := FLAG_LINE.match(line))
        for w, provider, indicator, pathway, band in [m.groups()]
    )
    assert flags == sorted(
        generated_run.query(
            "SELECT as_of_window, provider, indicator, pathway, band FROM marts.monitor_indicators WHERE flag"
        )
    )
    summary = f"[{whole}] monitor: " + (f"{len(flags)} flag(s) raised" if flags else "no flag")
    assert sum(line.startswith(summary) for line in lines) == 1
    assert [window for window, stage in progress if stage == "payments" and window != whole] == WINDOWS
    # A warning for each window with a return missing, counting exactly the missing ones.
    warned = {m.group(1): int(m.group(2)) for line in lines if (m := MISSING_LINE.match(line))}
    assert warned == dict(generated_run.query("SELECT as_of_window, count(*) FROM quality.missing_returns GROUP BY 1"))
    per_window = [window for window, stage in progress if window != whole and stage != "monitor"]
    assert per_window == sorted(per_window)  # in window order
    rest = [line for line in lines if not PROGRESS_LINE.match(line)]
    # Title, header, 11 providers, total; the statements, the dbt docs; the count. No Dagster or
    # dbt internals.
    assert rest[0] == f"statement summary {LAST}"
    assert rest[1].split() == ["area", "provider", "lines", "net", "due"]
    assert rest[13].split()[0] == "total"
    summary = generated_run.exports / LAST / "summary.html"
    assert rest[14] == f"statements: {summary} (and each provider's .html, .pdf)" and summary.is_file()
    assert rest[15].startswith("dbt docs: ") and rest[15].endswith("index.html")
    assert re.fullmatch(r"24 window\(s\) run in \d+ s", rest[16])
    assert len(rest) == 17


def test_no_personal_data_in_warehouse_exports_or_logs(generated_run):
    births = set()
    for path in generated_run.landing.rglob("assessments.csv"):
        with open(path, newline="", encoding="utf-8", errors="replace") as handle:
            births |= {row.get("date_of_birth") for row in csv.DictReader(handle) if row.get("date_of_birth")}
    assert len(births) > 1000
    dates_of_birth = sorted(b for b in births if b < "2000")  # event dates are 2011 on: no false hits
    assert scan_text_columns(generated_run.warehouse, dates_of_birth) == []
    columns = {c for (c,) in generated_run.query("SELECT DISTINCT column_name FROM information_schema.columns")}
    assert not columns & {"initials", "date_of_birth", "sex"}
    exported = b"".join(p.read_bytes() for p in generated_run.exports.rglob("*.csv"))
    logs = (generated_run.last_output.stdout + generated_run.last_output.stderr).encode()
    logs += b"".join(p.read_bytes() for p in (generated_run.root / "logs").glob("*.log"))
    assert len(logs) > 30000  # dbt's output of the run is there to scan
    assert not [b for b in dates_of_birth if b.encode() in exported or b.encode() in logs]


@pytest.fixture(scope="module")
def changed_run(generated_run, tmp_path_factory):
    """A copy of the generated run for the tests that change it."""
    return generated_run.copy(tmp_path_factory.mktemp("changed") / "run")


def resend(run, submitter: str, window: str, seq: int, from_window: str = LAST) -> Path:
    """Copy a submitter's folder submission of `from_window` as a new one for `window`, `seq`."""
    source = next(p for p in sorted((run.landing / from_window).glob(f"{submitter}_*")) if p.is_dir())
    target = run.landing / window / f"{submitter}_{window}_{seq:02d}"
    target.mkdir(parents=True)
    for file in source.iterdir():
        if file.name != "manifest.json":
            (target / file.name).write_bytes(file.read_bytes())
    manifest = json.loads((source / "manifest.json").read_text())
    manifest.update(window=window, seq=seq)
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return target


def export_bytes(run, window):
    return {p.name: p.read_bytes() for p in sorted((run.exports / window).iterdir())}


def test_rerun_is_byte_identical_and_final_runs_close_their_windows(changed_run):
    before = export_bytes(changed_run, LAST)
    changed_run.pbr("run", "--window", LAST)
    assert export_bytes(changed_run, LAST) == before

    result = changed_run.pbr("finalize", "--window", LAST, "--by", "Commissioning Officer")
    assert result.stdout.startswith(f"payment run {LAST} is final (by Commissioning Officer at ")
    final = export_bytes(changed_run, LAST)
    # Finalising draws the statements for people again as FINAL; the CSVs stay as they were.
    changed = {name for name in before if final[name] != before[name]}
    assert changed == {name for name in before if name.endswith((".html", ".pdf"))}
    assert b"FINAL, finalised by Commissioning Officer on " in final["summary.html"]
    late = resend(changed_run, "OXF-LIFELINE", LAST, 9)
    changed_run.pbr("run", "--window", LAST)
    assert export_bytes(changed_run, LAST) == final
    assert changed_run.query("SELECT status, reason FROM quality.submissions WHERE submission_id = ?", [late.name]) == [
        ("REJECTED", "WINDOW_CLOSED")
    ]
    assert changed_run.query(
        "SELECT status, finalized_by FROM marts.payment_runs WHERE payment_window = ?", [LAST]
    ) == [("FINAL", "Commissioning Officer")]
    second = changed_run.pbr("finalize", "--window", LAST, "--by", "Someone", check=False)
    assert (second.returncode, second.stderr.strip()) == (2, f"pbr: the payment run for {LAST} is already final")


def test_a_failed_run_leaves_the_last_good_state(changed_run):
    def state():
        return (
            changed_run.query("SELECT count(*), max(received_at) FROM quality.submissions"),
            changed_run.query("SELECT payment_window, run_at, lines FROM marts.payment_runs ORDER BY 1"),
            export_bytes(changed_run, LAST),
        )

    before = state()
    # A new submission lands, then writing the statements fails (the export root is under a file).
    resend(changed_run, "WIG-ADS", "2014-04", 1)
    blocked = changed_run.root / "not-a-folder"
    blocked.write_text("a file")
    result = changed_run.pbr(
        "run", "--window", "2014-04", check=False, env={"PBR_EXPORT_DIR": str(blocked / "exports")}
    )
    assert result.returncode == 1
    reason = result.stderr.strip().splitlines()[-1]
    assert reason.startswith("pbr: run for 2014-04 failed at payment_run")
    assert "warehouse restored as this run found it (details: " in reason
    blocked.unlink()
    assert state() == before


def test_analysts_can_query_while_a_run_is_going(changed_run):
    reader = duckdb.connect(str(changed_run.analyst_warehouse), read_only=True)
    try:
        runs_before = reader.execute("SELECT count(*) FROM marts.payment_runs").fetchone()[0]
        running = subprocess.Popen(
            [sys.executable, "-m", "pbr_pipeline.cli", "run", "--window", LAST],
            env=changed_run.env(),
            cwd=changed_run.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        answered = 0
        while running.poll() is None:
            assert reader.execute("SELECT count(*) FROM marts.payment_lines").fetchone()[0] > 0
            answered += 1
            time.sleep(0.2)
        assert running.returncode == 0, running.stderr.read().decode()[-2000:]
        assert answered >= 5  # the reader was really connected during the run
    finally:
        reader.close()
    fresh = duckdb.connect(str(changed_run.analyst_warehouse), read_only=True)
    try:
        assert fresh.execute("SELECT count(*) FROM marts.payment_runs").fetchone()[0] == runs_before
        assert fresh.execute("SELECT max(run_at) FROM marts.payment_runs").fetchone()[0] is not None
    finally:
        fresh.close()


# A backfill launched from the UI tags each run with a one-window partition range instead of a
# partition key; every asset and check must find the window either way.
RUN_AS_UI_BACKFILL = """
import sys
from dagster import DagsterInstance
from pbr_pipeline.definitions import defs
tags = {"dagster/asset_partition_range_start": sys.argv[1], "dagster/asset_partition_range_end": sys.argv[1]}
with DagsterInstance.ephemeral() as instance:
    result = defs.resolve_job_def("monthly_payment_run").execute_in_process(tags=tags, instance=instance, raise_on_error=False)
sys.exit(0 if result.success else 1)
"""


def test_a_window_run_by_a_ui_backfill_runs_every_step(changed_run):
    window = "2014-04"
    result = subprocess.run(
        [sys.executable, "-c", RUN_AS_UI_BACKFILL, window],
        env=changed_run.env(),
        cwd=changed_run.root,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert changed_run.query("SELECT status FROM marts.payment_runs WHERE payment_window = ?", [window]) == [
        ("PROVISIONAL",)
    ]
    assert (changed_run.exports / window / "summary.csv").exists()
