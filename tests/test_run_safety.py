"""Runs that must not go wrong quietly (issue: reliability), on copies of the acceptance
scenario: two writers at once, a run killed with kill -9, windows out of order, a final run
that would come out differently, the development key, and personal data in what a failing
run leaves behind. Every case goes through the real `pbr` command."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pbr_pipeline.lock import is_running
from tests.conftest import ACCEPTANCE, REPO, PipelineRun
from tests.returns_builder import csv_bytes, write_submission

HOLDER_LINE = re.compile(
    r"^pbr: the warehouse pbr\.duckdb is in use by pid (\d+) \(pbr run --from 2012-04 --to 2014-06\) since "
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ: try again when it has finished$"
)


ORPHAN_LINE = re.compile(r"^pbr: the warehouse pbr\.duckdb is still open in pid (\d+), a process no run holds", re.M)


def wait_for_exit(pid: int, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not is_running(pid), f"pid {pid} still running"


# A window run as one run of a UI backfill (an asset backfill of the given windows).
# A UI backfill of the target windows: recorded as Dagster records one, and its one run over
# the range (the single-run backfill policy), tagged as Dagster's daemon tags it.
RUN_IN_A_BACKFILL = """import sys, time
from dagster import DagsterInstance
from dagster._core.execution.backfill import PartitionBackfill
from pbr_pipeline.definitions import defs
from pbr_pipeline.partitions import range_tags

targets = sys.argv[1].split(",")
graph = defs.resolve_asset_graph()
with DagsterInstance.ephemeral() as instance:
    backfill = PartitionBackfill.from_asset_partitions(
        backfill_id="restate", asset_graph=graph, partition_names=targets,
        asset_selection=list(graph.materializable_asset_keys), backfill_timestamp=time.time(), tags={},
        dynamic_partitions_store=instance, all_partitions=False, title=None, description=None, run_config=None)
    instance.add_backfill(backfill)
    result = defs.resolve_job_def("monthly_payment_run").execute_in_process(
        instance=instance, tags={**range_tags(targets), "dagster/backfill": "restate"}, raise_on_error=False)
    failures = [e.message for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    print("ok" if result.success else f"failed: {failures[:1]}")
"""


def acceptance_copy(root: Path, landing: Path | None = None, config: Path | None = None) -> PipelineRun:
    root.mkdir(parents=True, exist_ok=True)
    return PipelineRun(root, landing or ACCEPTANCE / "landing", config or ACCEPTANCE / "config")


def expected_net(window: str) -> dict[str, str]:
    import csv

    with open(ACCEPTANCE / "expected" / window / "provider_statements.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    totals: dict[str, float] = {}
    for row in rows:
        totals[row["provider"]] = totals.get(row["provider"], 0) + float(row["amount"])
    return {provider: f"{amount:.2f}" for provider, amount in totals.items()}


def warehouse_net(run: PipelineRun, window: str) -> dict[str, str]:
    rows = run.query(
        "SELECT provider, sum(amount) FROM marts.payment_lines WHERE payment_window = ? GROUP BY 1", [window]
    )
    return {provider: f"{amount:.2f}" for provider, amount in rows}


def wait_for(path: Path, text: str, process: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        assert process.poll() is None, f"the run ended before {text!r}: {path.read_text()[-2000:]}"
        time.sleep(0.2)
    raise AssertionError(f"{text!r} did not appear in {path}")


def personal_landing(root: Path) -> tuple[Path, list[str]]:
    """The acceptance landing plus Wigan returns that provoke errors around personal values:
    a retraction with a malformed date of birth, a row quarantined for its date of birth, and a
    submission rejected whole. None of them changes what the scenario pays."""
    landing = root / "landing"
    shutil.copytree(ACCEPTANCE / "landing", landing)
    write_submission(
        landing,
        "WIG-LASAR",
        "2012-04",
        1,
        {
            "assessments.csv": csv_bytes(
                "assessments",
                [
                    "WX1,WIG-000099,QZ,1980-02-30,M,,,,,,,,Y",
                    "WX2,WIG-000098,QZ,19x5-01-01,F,2012-04-03,INITIAL,1,ALCOHOL,,RECOVERY,WIG-ADS,",
                ],
            )
        },
    )
    write_submission(
        landing,
        "WIG-LASAR",
        "2012-05",
        1,
        {
            "assessments.csv": csv_bytes(
                "assessments",
                [
                    "WX3,WIG-000097,QZ,1966-06-06,M,2012-05-03,INITIAL,1,ALCOHOL,,RECOVERY,WIG-ADS,",
                ],
            )
        },
        listed={"assessments.csv": {"rows": 1, "sha256": "0" * 64}},
    )
    born = set()
    for path in landing.rglob("assessments.csv"):
        lines = path.read_text().splitlines()
        header = lines[0].split(",")
        born |= {row.split(",")[header.index("date_of_birth")] for row in lines[1:]}
    return landing, sorted(b for b in born if b)


def files_holding(folders: list[Path], needles: list[str]) -> list[str]:
    hits = []
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            content = path.read_bytes()
            hits += [f"{path}: {needle}" for needle in needles if needle.encode() in content]
    return hits


def test_a_second_writer_fails_at_once_and_a_killed_run_holds_nothing(tmp_path):
    landing, born = personal_landing(tmp_path)
    run = acceptance_copy(tmp_path / "run", landing)
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", dagster_home)  # the project's instance, queue and all
    env = {"DAGSTER_HOME": str(dagster_home)}

    with open(run.root / "pbr.err", "w") as err:
        # The whole scenario in one run: its dbt build lasts long enough for the second writers.
        first = subprocess.Popen(
            [sys.executable, "-m", "pbr_pipeline.cli", "run", "--from", "2012-04", "--to", "2014-06"],
            env={**run.env(), **env},
            cwd=run.root,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    wait_for(run.root / "pbr.err", "[2012-04..2014-06] dbt: building", first)
    for args in (("run", "--window", "2012-04"), ("finalize", "--window", "2012-04", "--by", "Ann")):
        second = run.pbr(*args, check=False, env=env)
        assert second.returncode == 2
        [line] = second.stderr.strip().splitlines()[-1:]
        assert HOLDER_LINE.match(line) and HOLDER_LINE.match(line).group(1) == str(first.pid), line
    first.send_signal(signal.SIGKILL)
    first.wait()

    # A child of the killed run (dbt) may still be writing: it is named, and nothing waits on it.
    orphan = run.pbr("run", "--window", "2012-04", check=False, env=env)
    orphans = ORPHAN_LINE.findall(orphan.stderr)
    assert orphan.returncode == 0 and not orphans or orphan.returncode == 2 and len(orphans) == 1, orphan.stderr[-2000:]
    for pid in orphans:
        wait_for_exit(int(pid))

    # The dead run holds nothing: the next run starts at once and comes out as the scenario says.
    again = subprocess.run(
        [sys.executable, "-m", "pbr_pipeline.cli", "run", "--from", "2012-04", "--to", "2012-05"],
        env={**run.env(), **env},
        cwd=run.root,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert warehouse_net(run, "2012-05") == expected_net("2012-05")
    # The killed run had ingested the landing up to 2014-06 before its build (whole
    # submissions, kept); as of 2012-05 only these two count.
    assert run.query(
        "SELECT submission_id, status, reason FROM quality.submissions "
        "WHERE submitter = 'WIG-LASAR' AND \"window\" <= '2012-05' ORDER BY 1"
    ) == [("WIG-LASAR_2012-04_01", "LOADED", None), ("WIG-LASAR_2012-05_01", "REJECTED", "CHECKSUM_MISMATCH")]
    assert run.query(
        "SELECT line_number, column_name, reason FROM quality.quarantine WHERE submission_id = 'WIG-LASAR_2012-04_01'"
    ) == [(3, "date_of_birth", "TYPE")]

    # No date of birth of the landing in anything the runs left: Dagster's storage, logs, exports.
    assert "1980-02-30" in born and "19x5-01-01" in born and "1966-06-06" in born
    (run.root / "pbr.out").write_text(again.stdout + again.stderr)
    leftovers = [dagster_home, run.root / "logs", run.exports, run.root / "validation", run.root / "dbt_docs"]
    assert files_holding(leftovers, born) == []
    assert [b for b in born for name in ("pbr.out", "pbr.err") if b in (run.root / name).read_text()] == []


def test_windows_run_in_order_only_and_the_development_key_cannot_be_finalised(tmp_path):
    run = acceptance_copy(tmp_path)
    no_key = {k: v for k, v in run.env().items() if k != "PBR_PSEUDONYM_KEY"}

    def pbr(*args):
        return subprocess.run(
            [sys.executable, "-m", "pbr_pipeline.cli", *args], env=no_key, cwd=run.root, capture_output=True, text=True
        )

    late_first = pbr("run", "--window", "2012-06")
    assert late_first.returncode == 2
    assert late_first.stderr.strip().splitlines()[-1] == (
        "pbr: no payment run yet: the first must be for 2012-04 (pbr run --from 2012-04 --to 2012-06)"
    )
    assert not run.warehouse.exists()

    assert pbr("run", "--from", "2012-04", "--to", "2012-05").returncode == 0
    skipping = pbr("run", "--window", "2012-07")
    assert skipping.stderr.strip().splitlines()[-1] == (
        "pbr: the payment run for 2012-06 has not been run: runs go in window order (pbr run --from 2012-06 --to 2012-07)"
    )
    earlier = pbr("run", "--window", "2012-04")
    assert earlier.stderr.strip().splitlines()[-1] == (
        "pbr: the run for 2012-05 builds on the run for 2012-04: re-run both, in order (pbr run --from 2012-04 --to 2012-05)"
    )
    assert run.query("SELECT payment_window FROM marts.payment_runs ORDER BY 1") == [("2012-04",), ("2012-05",)]
    # From the UI: a backfill that re-runs 2012-04 must reach the latest run to be allowed.
    for targets, outcome in (("2012-04", "failed"), ("2012-04,2012-05", "ok")):
        backfill = subprocess.run(
            [sys.executable, "-c", RUN_IN_A_BACKFILL, targets], env=no_key, cwd=run.root, capture_output=True, text=True
        )
        assert backfill.stdout.strip().splitlines()[-1].split(":")[0] == outcome, backfill.stdout[-2000:]
        if outcome == "failed":
            assert "the run for 2012-05 builds on the run for 2012-04: re-run both" in backfill.stdout + backfill.stderr

    refused = pbr("finalize", "--window", "2012-05", "--by", "Ann")
    assert (refused.returncode, refused.stderr.strip()) == (
        2,
        "pbr: 2012-05 cannot be finalised: the run for 2012-05 used the development pseudonym key "
        "(set PBR_PSEUDONYM_KEY and re-run)",
    )
    # Re-run with the key: the hashes loaded earlier were still made with the development key.
    assert run.pbr("run", "--from", "2012-04", "--to", "2012-05").returncode == 0
    still = run.pbr("finalize", "--window", "2012-05", "--by", "Ann", check=False)
    assert still.stderr.strip() == (
        "pbr: 2012-05 cannot be finalised: OXF-AQUARIUS_2012-04_01 was pseudonymised with the development key "
        "(set PBR_PSEUDONYM_KEY and re-run)"
    )
    empty = run.pbr("run", "--window", "2012-05", check=False, env={"PBR_PSEUDONYM_KEY": " "})
    assert (empty.returncode, empty.stderr.strip()) == (
        2,
        "pbr: PBR_PSEUDONYM_KEY is set but empty: set the area's key, or unset it for generated data",
    )


def test_a_final_run_is_reproduced_line_for_line_or_refused(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(ACCEPTANCE / "config", config)
    run = acceptance_copy(tmp_path / "run", config=config)
    run.pbr("run", "--from", "2012-04", "--to", "2012-05")
    run.pbr("finalize", "--window", "2012-05", "--by", "Ann")

    def state():
        return (
            {p.name: p.read_bytes() for p in sorted((run.exports / "2012-05").iterdir())},
            run.query("SELECT * FROM marts.payment_runs ORDER BY 1"),
            run.query("SELECT * FROM marts.payment_lines WHERE payment_window = '2012-05' ORDER BY line_key, status"),
        )

    final = state()
    run.pbr("run", "--window", "2012-05")
    assert state() == final  # the same inputs: the same lines, files and run record (run_at included)

    # The Harm Minimisation contract renamed: totals might agree, but the lines do not.
    oxf = config / "oxf.yaml"
    oxf.write_text(oxf.read_text().replace("id: OXF-HM,", "id: OXF-HM-RENAMED,"))
    refused = run.pbr("run", "--window", "2012-05", check=False)
    assert refused.returncode == 1
    assert re.search(
        r"the final run for 2012-05 did not reproduce: \d+ line\(s\) differ from the final ones "
        r"\(first: OXF-000001#1\|ATTACHMENT\| \w+\); its lines and statements are kept as finalised",
        refused.stderr.strip().splitlines()[-1],
    ), refused.stderr
    assert state() == final


@pytest.fixture
def acceptance_analysts_copy(acceptance_run):
    import duckdb

    con = duckdb.connect(str(acceptance_run.analyst_warehouse), read_only=True)
    yield con
    con.close()


def test_every_relation_of_the_analysts_copy_answers(acceptance_analysts_copy):
    con = acceptance_analysts_copy
    relations = con.execute(
        "SELECT table_schema, table_name, table_type FROM information_schema.tables ORDER BY 1, 2"
    ).fetchall()
    views = [r for r in relations if r[2] == "VIEW"]
    assert len(views) >= 30 and len(relations) >= 60
    for schema, name, _ in relations:
        con.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()
    assert (
        con.execute("SELECT count(*) FROM intermediate.int_journeys WHERE as_of_window = '2014-06'").fetchone()[0] == 7
    )


def test_returns_not_received_are_listed_warned_and_exported(acceptance_run):
    missing = [
        ("OXF", "OXF-OXHEALTH", "PROVIDER", "nothing received for the window"),
        ("OXF", "OXF-POLICE", "POLICE", "nothing received for the window"),
        ("WIG", "WIG-ADS", "PROVIDER", "nothing received for the window"),
        ("WIG", "WIG-LASAR", "LASAR", "nothing received for the window"),
        (None, "DWP", "DWP", "nothing received for the window"),
    ]
    assert (
        acceptance_run.query(
            "SELECT area, submitter, role, detail FROM quality.missing_returns WHERE as_of_window = '2012-06' ORDER BY area NULLS LAST, submitter"
        )
        == missing
    )
    exported = (acceptance_run.exports / "2012-06" / "missing_returns.csv").read_text()
    assert exported.splitlines() == ["as_of_window,area,submitter,role,detail"] + [
        f"2012-06,{area or ''},{submitter},{role},{detail}" for area, submitter, role, detail in missing
    ]
    output = acceptance_run.last_output.stderr
    assert (
        "[2012-06] returns: 5 expected return(s) not received: OXF-OXHEALTH, OXF-POLICE, WIG-ADS, WIG-LASAR, DWP "
        f"(listed in {acceptance_run.exports / '2012-06' / 'missing_returns.csv'})"
    ) in output
    # The police's damaged August return (CHECKSUM_MISMATCH) came again whole: received.
    assert "OXF-POLICE" not in [
        s
        for (s,) in acceptance_run.query("SELECT submitter FROM quality.missing_returns WHERE as_of_window = '2012-08'")
    ]
    assert (
        "Warning in test expected_returns_received"
        in (acceptance_run.root / "logs" / "run-2012-04..2014-06.log").read_text()
    )


def test_finalize_without_a_warehouse_says_so_and_creates_none(tmp_path):
    run = acceptance_copy(tmp_path)
    refused = run.pbr("finalize", "--window", "2012-04", "--by", "Ann", check=False)
    assert (refused.returncode, refused.stderr.strip()) == (
        2,
        f"pbr: there is no warehouse at {run.warehouse}: the first payment run creates it (pbr run --window 2012-04)",
    )
    assert not run.warehouse.exists()
