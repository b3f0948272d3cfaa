"""Benchmark: `pbr simulate` over the demo's 24 windows against `make demo`'s runs of them.

    .venv/bin/python bench/simulate_benchmark.py [--out bench/out-simulate] [--reuse]

The issue's target: simulating the 24 demo windows takes at most the time of `make demo`'s
runs. This generates the demo's returns once, as `pbr demo` does (pilot scale, seed 1,
2012-04..2014-03, the demo's --gaming), into OUT/landing; then, in a fresh warehouse and a
fresh Dagster instance under OUT, times `pbr run --from 2012-04 --to 2014-03` (the demo's runs,
recorded in OUT/dagster_home as the demo's are); then writes a changed copy of the pilot
configuration into OUT/config-simulated (D4_SUSTAINED's weight raised by 0.10, taken from
D3_COMPLETED, in every area; one provider's contract given an annual cap of half what the run
found payable in its busiest financial year, so that the cap binds) and times
`pbr simulate --config OUT/config-simulated --from 2012-04 --to 2014-03 --out OUT/sim`.

Every command runs in a subprocess with the same environment (PBR_LANDING_DIR, PBR_CONFIG_DIR,
PBR_WAREHOUSE, PBR_PSEUDONYM_KEY, DAGSTER_HOME and the derived locations under OUT); peak
memory is the largest resident set of any process of a command. Each command's output goes to
OUT/<command>.log. The machine's load average is recorded at the start and the end: the figures
are only comparable with the load beside them. Results go to OUT/results.json and are printed
as a table. The target is not checked here: `ratio` (simulate / demo runs) says it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
from run_benchmark import PEAK_MEMORY_PROBE, peak_mib  # bench/, beside this script

from pbr_pipeline.cli import DEMO_FIRST, DEMO_GAMING, DEMO_LAST
from pbr_pipeline.settings import PILOT_CONFIG_DIR

REPO = Path(__file__).resolve().parents[1]
SCALE, SEED = "pilot", 1
PSEUDONYM_KEY = "pbr-simulate-benchmark-key"
# The simulated configuration: this much weight moved from TAKEN_FROM to RAISED in every area,
# and CAPPED_CONTRACT's annual cap set to CAP_SHARE of its busiest financial year's payable.
RAISED, TAKEN_FROM, SHIFT = "D4_SUSTAINED", "D3_COMPLETED", Decimal("0.10")
CAPPED_AREA, CAPPED_CONTRACT, CAP_SHARE = "knt.yaml", "KNT-CRI-2012", Decimal("0.5")


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def timed(command: list[str], env: dict, log: Path) -> tuple[float, float]:
    """Run a command in a fresh interpreter that reports its children's peak memory (MiB); its
    output into `log`."""
    started = time.monotonic()
    with open(log, "w", encoding="utf-8") as output:
        result = subprocess.run(
            [sys.executable, "-c", PEAK_MEMORY_PROBE, *command],
            check=False,
            env=env,
            stdout=output,
            stderr=subprocess.PIPE,
            text=True,
        )
    elapsed = time.monotonic() - started
    with open(log, "a", encoding="utf-8") as output:
        output.write(result.stderr)
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)} (log: {log})\n{result.stderr[-3000:]}")
    peak = peak_mib(result.stderr)
    print(f"{log.stem}: {elapsed:.1f} s, {peak:.0f} MiB", flush=True)
    return elapsed, peak


def generate_landing(out: Path, pbr: list[str], env: dict, reuse: bool) -> dict:
    """The demo's returns in OUT/landing, generated unless --reuse finds them for the same request."""
    landing, marker = out / "landing", out / "landing.done"
    request = {"first": DEMO_FIRST, "last": DEMO_LAST, "scale": SCALE, "seed": SEED, "gaming": list(DEMO_GAMING)}
    if reuse and landing.is_dir() and marker.exists():
        recorded = json.loads(marker.read_text(encoding="utf-8"))
        if recorded.get("request") == json.loads(json.dumps(request)):
            print(f"landing: reused {landing}", flush=True)
            return {**recorded, "reused": True}
    marker.unlink(missing_ok=True)
    shutil.rmtree(landing, ignore_errors=True)
    gaming = [arg for submitter, behaviour in DEMO_GAMING for arg in ("--gaming", f"{submitter}={behaviour}")]
    seconds, peak = timed(
        [
            *pbr,
            "generate",
            "--out",
            str(landing),
            "--from",
            DEMO_FIRST,
            "--to",
            DEMO_LAST,
            "--scale",
            SCALE,
            "--seed",
            str(SEED),
            *gaming,
        ],
        env,
        out / "generate.log",
    )
    recorded = {"request": request, "seconds": round(seconds, 1), "peak_mib": round(peak)}
    marker.write_text(json.dumps(recorded, indent=2) + "\n", encoding="utf-8")
    return {**recorded, "reused": False}


def busiest_year_payable(analyst_warehouse: Path, contract: str) -> Decimal:
    """The most the contract had payable to date in any window of the run (its busiest financial year)."""
    with duckdb.connect(str(analyst_warehouse), read_only=True) as con:
        (payable,) = con.execute(
            "SELECT max(payable_to_date) FROM marts.contract_cap_positions WHERE contract_id = ?", [contract]
        ).fetchone()
    return Decimal(payable or 0)


def changed_config(target: Path, cap: int) -> list[str]:
    """A copy of the pilot areas with the weight moved and the one contract's cap; what changed."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(PILOT_CONFIG_DIR, target)
    changes = []
    for path in sorted(target.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        for code, sign in ((RAISED, 1), (TAKEN_FROM, -1)):
            pattern = re.compile(rf"^(\s+{code}:\s*)([0-9.]+)\s*$", re.MULTILINE)
            matches = pattern.findall(text)
            if len(matches) != 1:
                raise SystemExit(f"{path.name}: expected one {code} weight, found {len(matches)}")
            new = Decimal(matches[0][1]) + sign * SHIFT
            if new < 0:
                raise SystemExit(f"{path.name}: {code} would become {new}")
            text = pattern.sub(lambda m, new=new: f"{m.group(1)}{new}", text)
            changes.append(f"{path.stem} {code} {matches[0][1]} -> {new}")
        if path.name == CAPPED_AREA:
            pattern = re.compile(rf"(id: {re.escape(CAPPED_CONTRACT)},[^}}]*annual_cap_gbp: )(\d+)")
            found = pattern.search(text)
            if not found:
                raise SystemExit(f"{path.name}: no annual_cap_gbp on {CAPPED_CONTRACT}")
            text = pattern.sub(lambda m: f"{m.group(1)}{cap}", text)
            changes.append(f"{CAPPED_CONTRACT} annual_cap_gbp {found.group(2)} -> {cap}")
        path.write_text(text, encoding="utf-8")
    return changes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out-simulate")
    parser.add_argument("--reuse", action="store_true", help="reuse OUT/landing if generated for the same request")
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "windows": f"{DEMO_FIRST}..{DEMO_LAST}",
        "scale": SCALE,
        "cores": os.cpu_count(),
        "load_at_start": load(),
    }
    print(f"load average at start: {results['load_at_start']}", flush=True)

    landing, home, warehouse = out / "landing", out / "dagster_home", out / "warehouse" / "pbr.duckdb"
    for folder in ("warehouse", "exports", "logs", "validation", "dbt_docs", "dagster_home", "sim"):
        shutil.rmtree(out / folder, ignore_errors=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PBR_", "DAGSTER_"))},
        "PYTHONPATH": str(REPO),
        "PBR_LANDING_DIR": str(landing),
        "PBR_CONFIG_DIR": str(PILOT_CONFIG_DIR),
        "PBR_WAREHOUSE": str(warehouse),
        "PBR_PSEUDONYM_KEY": PSEUDONYM_KEY,
        "DAGSTER_HOME": str(home),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    pbr = [sys.executable, "-m", "pbr_pipeline.cli"]

    results["generate"] = generate_landing(out, pbr, env, args.reuse)

    seconds, peak = timed([*pbr, "run", "--from", DEMO_FIRST, "--to", DEMO_LAST], env, out / "demo_runs.log")
    results["demo_runs"] = {"seconds": round(seconds, 1), "peak_mib": round(peak)}

    analyst = warehouse.with_name("pbr_analyst.duckdb")
    busiest = busiest_year_payable(analyst, CAPPED_CONTRACT)
    cap = int((busiest * CAP_SHARE) // 1000 * 1000) or 100_000
    config = out / "config-simulated"
    results["simulated_config"] = {
        "dir": str(config),
        "changes": changed_config(config, cap),
        "capped_contract_busiest_year_payable": str(busiest),
    }

    sim = out / "sim"
    seconds, peak = timed(
        [*pbr, "simulate", "--config", str(config), "--from", DEMO_FIRST, "--to", DEMO_LAST, "--out", str(sim)],
        env,
        out / "simulate.log",
    )
    with open(sim / "comparison.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    reported = re.search(r"simulated \d+ window\(s\) in (\d+) s", (out / "simulate.log").read_text(encoding="utf-8"))
    results["simulate"] = {
        "seconds": round(seconds, 1),
        "peak_mib": round(peak),
        "comparison_rows": len(rows),
        "rows_differing": sum(Decimal(r["difference"]) != 0 for r in rows),
        "difference_gbp": str(sum((Decimal(r["difference"]) for r in rows), Decimal(0))),
        "reported_seconds": int(reported.group(1)) if reported else None,
    }
    results["ratio"] = round(results["simulate"]["seconds"] / results["demo_runs"]["seconds"], 2)
    results["load_at_end"] = load()

    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print()
    print(f"{'command':<36} {'wall':>9} {'peak memory':>12}")
    print(
        f"{'pbr run (make demo runs), 24 windows':<36} {results['demo_runs']['seconds']:>7.1f} s "
        f"{results['demo_runs']['peak_mib']:>8} MiB"
    )
    print(
        f"{'pbr simulate, 24 windows':<36} {results['simulate']['seconds']:>7.1f} s "
        f"{results['simulate']['peak_mib']:>8} MiB"
    )
    print(f"ratio simulate / demo runs: {results['ratio']} (target: at most 1)")
    print(
        f"comparison rows: {results['simulate']['comparison_rows']} "
        f"({results['simulate']['rows_differing']} differing, total {results['simulate']['difference_gbp']} GBP)"
    )
    print(f"load average: start {results['load_at_start']}, end {results['load_at_end']} ({os.cpu_count()} cores)")
    print(f"results: {out / 'results.json'}")


if __name__ == "__main__":
    main()
