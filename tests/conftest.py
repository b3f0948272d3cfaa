"""Session fixtures: each sample warehouse is built once per test session, by the real `pbr run`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
ACCEPTANCE = REPO.parent / "shared" / "spec" / "acceptance" / "01-oxfordshire"
ACCEPTANCE_WINDOWS = ("2012-04", "2014-06")
TEST_PSEUDONYM_KEY = "test-pseudonym-key"


@dataclass
class PipelineRun:
    """A warehouse built by `pbr` in a folder of its own."""

    root: Path
    landing: Path
    config: Path
    last_output: subprocess.CompletedProcess | None = None

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "pbr.duckdb"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def analyst_warehouse(self) -> Path:
        return self.root / "warehouse" / "pbr_analyst.duckdb"

    def copy(self, target: Path) -> PipelineRun:
        """The same run in another folder, for tests that change it."""
        shutil.copytree(self.root, target)
        landing = (
            target / self.landing.relative_to(self.root) if self.landing.is_relative_to(self.root) else self.landing
        )
        return PipelineRun(target, landing, self.config)

    def env(self) -> dict[str, str]:
        # No DAGSTER_HOME of the shell's: the runs are recorded in dagster_home/ beside the
        # warehouse (settings.dagster_home), never in an instance of the developer's.
        return {
            **{name: value for name, value in os.environ.items() if name != "DAGSTER_HOME"},
            "PBR_LANDING_DIR": str(self.landing),
            "PBR_CONFIG_DIR": str(self.config),
            "PBR_WAREHOUSE": str(self.warehouse),
            "PBR_EXPORT_DIR": str(self.exports),
            "PBR_ANALYST_WAREHOUSE": str(self.analyst_warehouse),
            "PBR_VALIDATION_DIR": str(self.root / "validation"),
            "PBR_LOG_DIR": str(self.root / "logs"),
            "PBR_DBT_DOCS_DIR": str(self.root / "dbt_docs"),
            "PBR_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY,
        }

    def pbr(self, *args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "pbr_pipeline.cli", *args],
            env={**self.env(), **(env or {})},
            cwd=self.root,
            capture_output=True,
            text=True,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"pbr {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-4000:]}")
        return result

    def start(self, *args: str, niceness: int = 0) -> Started:
        """`pbr` in the background, its output to files (so a full pipe never blocks it); a
        niceness above 0 lets the other runs have the cores first."""
        self.root.mkdir(parents=True, exist_ok=True)
        out, err = open(self.root / "pbr.out", "w"), open(self.root / "pbr.err", "w")
        process = subprocess.Popen(
            [sys.executable, "-m", "pbr_pipeline.cli", *args],
            env=self.env(),
            cwd=self.root,
            stdout=out,
            stderr=err,
            text=True,
            preexec_fn=(lambda: os.nice(niceness)) if niceness else None,
        )
        return Started(self, args, process)

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def columns_and_rows(self, sql: str, params: list | None = None) -> tuple[list[str], list[tuple]]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            cursor = con.execute(sql, params or [])
            return [d[0] for d in cursor.description], cursor.fetchall()
        finally:
            con.close()


@pytest.fixture
def env(tmp_path):
    """A warehouse and a landing of their own, ingested as of a window (tests of ingest)."""
    from pbr_pipeline.config import load_areas
    from pbr_pipeline.ingest.run import ingest_up_to
    from pbr_pipeline.warehouse import connect, create_warehouse

    class Env:
        landing = tmp_path / "landing"
        warehouse = tmp_path / "w.duckdb"
        areas = load_areas(ACCEPTANCE / "config")

        def ingest(self, window="2012-04"):
            with connect(self.warehouse) as con:
                return ingest_up_to(con, self.landing, self.areas, window, INGEST_KEY)

        def query(self, sql, params=None):
            with connect(self.warehouse) as con:
                return con.execute(sql, params or []).fetchall()

    create_warehouse(Env.warehouse)  # as a run does before its first step
    return Env()


INGEST_KEY = b"test-key"


@dataclass
class Started:
    run: PipelineRun
    args: tuple[str, ...]
    process: subprocess.Popen

    def finish(self) -> PipelineRun:
        code = self.process.wait()
        output = subprocess.CompletedProcess(
            self.args, code, (self.run.root / "pbr.out").read_text(), (self.run.root / "pbr.err").read_text()
        )
        if code != 0:
            raise AssertionError(f"pbr {' '.join(self.args)} failed ({code}):\n{output.stderr[-4000:]}")
        self.run.last_output = output
        return self.run


GENERATED_WINDOWS = ("2012-04", "2014-03")
# One provider of each behaviour of `pbr generate --gaming`, of three areas, none of them
# flagged on its behaviour's indicator in the plain generated run (tests/test_monitor_gaming.py).
GAMING = (("OXF-LIFELINE", "cream-skim"), ("KNT-KCA", "park"), ("WIG-ADS", "drop"))


def generated(root: Path, *gaming: tuple[str, str]) -> PipelineRun:
    """The pilot returns of GENERATED_WINDOWS, seed 1, with the gaming providers asked for."""
    run = PipelineRun(root, root / "landing", REPO / "pbr_pipeline" / "config" / "areas")
    options = [arg for submitter, behaviour in gaming for arg in ("--gaming", f"{submitter}={behaviour}")]
    run.pbr(
        "generate",
        "--out",
        str(run.landing),
        "--from",
        GENERATED_WINDOWS[0],
        "--to",
        GENERATED_WINDOWS[1],
        "--seed",
        "1",
        *options,
    )
    return run


@pytest.fixture(scope="session")
def sample_runs(tmp_path_factory) -> dict[str, Started]:
    """The sample warehouses, built together by `pbr run` in the background: each pipeline runs
    one step at a time, and the machine has two cores.

    - acceptance: the 01-oxfordshire scenario, every window in order on a fresh warehouse;
    - generated: 24 windows of generated pilot returns with their injected defects: the demo's
      data without its gaming provider (`pbr demo`: the same windows, seed 1), on which the
      analyst guide's examples run;
    - gaming: the same returns with one provider of each gaming behaviour (GAMING), for the
      monitor. It runs at a lower priority: the third run on two cores takes what the other two
      leave, and the cores once they are done (its tests come after theirs).
    """
    acceptance = PipelineRun(tmp_path_factory.mktemp("acceptance"), ACCEPTANCE / "landing", ACCEPTANCE / "config")
    plain = generated(tmp_path_factory.mktemp("generated"))
    gaming = generated(tmp_path_factory.mktemp("gaming"), *GAMING)
    started = {
        "acceptance": acceptance.start("run", "--from", ACCEPTANCE_WINDOWS[0], "--to", ACCEPTANCE_WINDOWS[1]),
        "generated": plain.start("run", "--from", GENERATED_WINDOWS[0], "--to", GENERATED_WINDOWS[1]),
        "gaming": gaming.start("run", "--from", GENERATED_WINDOWS[0], "--to", GENERATED_WINDOWS[1], niceness=10),
    }
    yield started
    for process in (s.process for s in started.values()):
        if process.poll() is None:
            process.kill()


@pytest.fixture(scope="session")
def acceptance_run(sample_runs) -> PipelineRun:
    return sample_runs["acceptance"].finish()


@pytest.fixture(scope="session")
def generated_run(sample_runs) -> PipelineRun:
    return sample_runs["generated"].finish()


@pytest.fixture(scope="session")
def gaming_run(sample_runs) -> PipelineRun:
    return sample_runs["gaming"].finish()
