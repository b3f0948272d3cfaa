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

    def copy(self, target: Path) -> "PipelineRun":
        """The same run in another folder, for tests that change it."""
        shutil.copytree(self.root, target)
        landing = target / self.landing.relative_to(self.root) if self.landing.is_relative_to(self.root) else self.landing
        return PipelineRun(target, landing, self.config)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
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

    def pbr(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "pbr_pipeline.cli", *args],
            env=self.env(), cwd=self.root, capture_output=True, text=True,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"pbr {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-4000:]}")
        return result

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


@pytest.fixture(scope="session")
def acceptance_run(tmp_path_factory) -> PipelineRun:
    """The 01-oxfordshire scenario, every window in order on a fresh warehouse."""
    run = PipelineRun(tmp_path_factory.mktemp("acceptance"), ACCEPTANCE / "landing", ACCEPTANCE / "config")
    first, last = ACCEPTANCE_WINDOWS
    run.pbr("run", "--from", first, "--to", last)
    return run


GENERATED_WINDOWS = ("2012-04", "2014-03")


@pytest.fixture(scope="session")
def generated_run(tmp_path_factory) -> PipelineRun:
    """24 windows of generated pilot returns (with their injected defects), every window run in order."""
    root = tmp_path_factory.mktemp("generated")
    run = PipelineRun(root, root / "landing", REPO / "pbr_pipeline" / "config" / "areas")
    first, last = GENERATED_WINDOWS
    run.pbr("generate", "--out", str(run.landing), "--from", first, "--to", last, "--seed", "7")
    run.last_output = run.pbr("run", "--from", first, "--to", last)
    return run
