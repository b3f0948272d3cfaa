"""Benchmark: national-scale returns through the real pipeline, per stage, with the DuckDB floor.

    .venv/bin/python bench/run_benchmark.py [--windows 12] [--scale national] [--out bench/out]

Generates the returns (`pbr generate`), then in a fresh warehouse runs `pbr run` over every
window but the last (a backfill: one Dagster run, one dbt build for the whole range), then the
last window alone (the monthly run), and reports per stage (generate, ingest, dbt, payments,
exports) and in total the wall time and peak memory, for the last window alone (one window's
run) and for the whole range (both runs). Stage times come from the Dagster event log of
each run; peak memory is the largest resident set of any process of a command (the pbr process
or the dbt process it starts). The floor is the time DuckDB alone takes to read the window's
CSVs. Results go to <out>/results.json and are printed as a table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from pbr_pipeline.generate.writer import extras_dir

REPO = Path(__file__).resolve().parents[1]
FIRST_WINDOW = "2012-04"

# Dagster step -> benchmark stage.
STAGES = {
    "area_config": "ingest",
    "landed_submissions": "ingest",
    "pbr_dbt_models": "dbt",
    "marts__payment_lines_gx_payment_checkpoint": "payments",
    "payment_run": "exports",
}


def shift(window: str, months: int) -> str:
    year, month = map(int, window.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


# A fresh interpreter that runs the command and prints, as the last line of its stderr, the
# peak resident set (KiB) of the largest of its children: the pbr process or the dbt it starts.
PEAK_MEMORY_PROBE = (
    "import resource, subprocess, sys;"
    "code = subprocess.run(sys.argv[1:]).returncode;"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr);"
    "sys.exit(code)"
)


def peak_mib(probe_stderr: str) -> float:
    return int(probe_stderr.strip().splitlines()[-1]) / 1024


def timed(command: list[str], env: dict) -> tuple[float, float]:
    """Run a command in a fresh interpreter that reports its children's peak memory (MiB)."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", PEAK_MEMORY_PROBE, *command], check=False, env=env, stderr=subprocess.PIPE, text=True
    )
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{result.stderr[-3000:]}")
    return elapsed, peak_mib(result.stderr)


def stage_times(dagster_home: Path) -> dict[str, dict[str, float]]:
    """Per run (its windows, `first..last`) and stage, seconds from step start to step end, from the event log."""
    from dagster import DagsterEventType, DagsterInstance

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    times: dict[str, dict[str, float]] = {}
    with DagsterInstance.get() as instance:
        for run in instance.get_runs():
            first = run.tags.get("dagster/asset_partition_range_start", "")
            last = run.tags.get("dagster/asset_partition_range_end", "")
            starts: dict[str, float] = {}
            stages = times.setdefault(first if first == last else f"{first}..{last}", {})
            for entry in instance.all_logs(run.run_id):
                event = entry.dagster_event
                if event is None or event.step_key is None:
                    continue
                step = event.step_key.split(".")[0]
                if event.event_type == DagsterEventType.STEP_START:
                    starts[step] = entry.timestamp
                elif (
                    event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE)
                    and step in starts
                ):
                    stage = STAGES.get(step, step)
                    stages[stage] = stages.get(stage, 0.0) + entry.timestamp - starts[step]
    return times


def duckdb_floor(landing: Path, window: str) -> float:
    """Seconds for DuckDB alone to read every CSV of the window's submissions."""
    con = duckdb.connect()
    started = time.monotonic()
    for table in ("assessments", "episodes", "top", "interventions", "offences", "employment"):
        files = sorted(str(p) for p in (landing / window).glob(f"*/{table}.csv"))
        if files:
            con.execute(
                "SELECT count(*) FROM read_csv(?, union_by_name = true, all_varchar = true)", [files]
            ).fetchone()
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--windows", type=int, default=12)
    parser.add_argument("--scale", default="national")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    args = parser.parse_args()
    out = args.out.resolve()
    last = shift(FIRST_WINDOW, args.windows - 1)
    landing, home = out / "landing", out / "dagster_home"
    for folder in (out / "warehouse", out / "exports", out / "logs", out / "validation", out / "dbt_docs", home):
        subprocess.run(["rm", "-rf", str(folder)], check=True)
    home.mkdir(parents=True)
    env = {
        **os.environ,
        "PBR_LANDING_DIR": str(landing),
        "PBR_WAREHOUSE": str(out / "warehouse" / "pbr.duckdb"),
        "PBR_ANALYST_WAREHOUSE": str(out / "warehouse" / "pbr_analyst.duckdb"),
        "PBR_EXPORT_DIR": str(out / "exports"),
        "PBR_VALIDATION_DIR": str(out / "validation"),
        "PBR_LOG_DIR": str(out / "logs"),
        "PBR_DBT_DOCS_DIR": str(out / "dbt_docs"),
        "PBR_PSEUDONYM_KEY": "benchmark",
        "DAGSTER_HOME": str(home),
    }
    pbr = [sys.executable, "-m", "pbr_pipeline.cli"]

    results: dict = {"scale": args.scale, "windows": f"{FIRST_WINDOW}..{last}", "cores": os.cpu_count()}
    if not (landing / last).exists():
        subprocess.run(["rm", "-rf", str(landing)], check=True)
        seconds, peak = timed(
            [
                *pbr,
                "generate",
                "--out",
                str(landing),
                "--from",
                FIRST_WINDOW,
                "--to",
                last,
                "--scale",
                args.scale,
                "--seed",
                "1",
            ],
            env,
        )
        results["generate"] = {"seconds": round(seconds, 1), "peak_mib": round(peak)}
    config = extras_dir(landing) / "config"
    if config.is_dir():
        env["PBR_CONFIG_DIR"] = str(config)

    previous = shift(last, -1)
    seconds, peak = timed([*pbr, "run", "--from", FIRST_WINDOW, "--to", previous], env)
    results["backfill_before_last"] = {
        "windows": args.windows - 1,
        "seconds": round(seconds, 1),
        "peak_mib": round(peak),
    }
    seconds, peak = timed([*pbr, "run", "--window", last], env)
    results["one_window"] = {"window": last, "seconds": round(seconds, 1), "peak_mib": round(peak)}
    results["backfill"] = {
        "windows": args.windows,
        "seconds": round(results["backfill_before_last"]["seconds"] + seconds, 1),
        "peak_mib": max(results["backfill_before_last"]["peak_mib"], round(peak)),
    }
    per_run = stage_times(home)
    results["one_window"]["stages"] = {k: round(v, 1) for k, v in sorted(per_run.get(last, {}).items())}
    totals: dict[str, float] = {}
    for stages in per_run.values():
        for stage, value in stages.items():
            totals[stage] = totals.get(stage, 0.0) + value
    results["backfill"]["stages"] = {k: round(v, 1) for k, v in sorted(totals.items())}
    rows = (
        duckdb.connect(env["PBR_ANALYST_WAREHOUSE"], read_only=True)
        .execute(
            "SELECT (SELECT count(*) FROM raw.top), (SELECT count(*) FROM marts.journeys), "
            "(SELECT count(*) FROM marts.payment_lines WHERE payment_window = ?)",
            [last],
        )
        .fetchone()
    )
    results["rows"] = {"raw_top": rows[0], "journeys": rows[1], "payment_lines_last_window": rows[2]}
    results["duckdb_floor_seconds_one_window"] = round(duckdb_floor(landing, last), 2)

    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
