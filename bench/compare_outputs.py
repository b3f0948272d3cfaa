"""Outputs before and after a change: every table and every statement file, compared.

    .venv/bin/python bench/compare_outputs.py --before REV [--after REV|WORKTREE] --out DIR [--windows 24] [--reuse]

Issue 11: a redesign of the engine must keep the outputs of the generated pilot windows the
same, every marts and quality table and every statement file byte for byte. This builds the
outputs of each side in a folder of its own and compares them:

- the returns are generated once, as `pbr demo` does (pilot scale, seed 1, 2012-04..2014-03,
  whatever --windows), into DIR/landing by the --before tree; both sides read that landing;
- each side is a `git worktree add` of its revision in DIR/<side>/tree (--after may instead name
  an existing work tree; by default it is the work tree holding this script, as it is now);
  its dbt manifest is prepared there and `pbr run --from 2012-04 --to <last>` runs there, with
  the interpreter of this repository's .venv importing that tree's code (cwd and PYTHONPATH are
  the tree; checked before anything runs) and every location set into DIR/<side>/;
- every table of the schemas raw, config, quality and marts of the two warehouses: the same
  tables, the same columns and types in the same order, the same rows as a multiset (DuckDB
  EXCEPT ALL both ways, and the row counts), leaving out only the clock columns of
  CLOCK_COLUMNS; every file under the two export folders: the same relative paths and bytes.

Prints a report and the time each side took, writes DIR/compare.json, exits 1 on any
difference. With --reuse a side whose DIR/<side>/done marker matches the request is not built
again (one baseline of --before serves every try of --after), nor is a matching landing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
# The interpreter of this repository's environment runs both sides: the same packages, only
# the project's own code (pbr_pipeline, data_contracts, dbt_project) comes from each tree.
VENV_PYTHON = REPO / ".venv" / "bin" / "python"

# What `pbr demo` generates (pbr_pipeline/cli.py, command_demo): pilot scale, seed 1, its
# windows 2012-04..2014-03 (24); --windows N runs the first N of them.
FIRST_WINDOW = "2012-04"
DEMO_WINDOWS = 24
SCALE, SEED = "pilot", 1
# A fixed key for both sides, whatever the caller's shell sets (not the public development
# key, so that no run depends on the caller's PBR_PSEUDONYM_KEY and none is refused for it).
PSEUDONYM_KEY = "pbr-compare-outputs-key"

SCHEMAS = ("raw", "config", "quality", "marts")

# (schema, table pattern, column) -> why the column is not compared. Only columns that record
# when something ran: on two runs of the same code and inputs they differ, and nothing else
# in the warehouse or in a statement file is derived from them (the dbt models never read them).
CLOCK_COLUMNS = {
    ("raw", "*", "loaded_at"): "when the row's submission was ingested: ingest/run.py ingest_candidate takes "
    "_received_now() (the wall clock) and ingest/load.py apply_submission writes it as loaded_at",
    (
        "quality",
        "submissions",
        "received_at",
    ): "when the run saw the submission: the same _received_now() of ingest/run.py, "
    "written by ingest/load.py record_outcome",
    (
        "marts",
        "payment_runs",
        "run_at",
    ): "when the window's payment run was recorded: payments/runs.py record_run writes utc_now()",
    (
        "marts",
        "payment_runs",
        "finalized_at",
    ): "when `pbr finalize` finalised the run: payments/runs.py finalize writes utc_now() "
    "(NULL after `pbr run` alone; left out so that finalised warehouses compare too)",
}

# Rows and lines shown per difference.
SAMPLE = 5


def shift_window(window: str, months: int) -> str:
    year, month = map(int, window.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def clock_reason(schema: str, table: str, column: str) -> str | None:
    """Why a column is left out of the comparison, or None when it is compared."""
    for (s, pattern, c), reason in CLOCK_COLUMNS.items():
        if s == schema and c == column and fnmatch.fnmatchcase(table, pattern):
            return reason
    return None


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# ----------------------------------------------------------------------------- building a side


@dataclass
class Side:
    name: str  # before | after
    rev: str  # what was asked for: a revision, or a work tree's path
    commit: str  # the commit checked out, "+changes-<digest>" for a work tree with edits not committed
    tree: Path
    root: Path  # DIR/<side>

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "pbr.duckdb"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def marker(self) -> Path:
        return self.root / "done"


def git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def tree_commit(tree: Path) -> str:
    """The commit checked out, and for a tree with changes not committed a digest of them
    (the diff and every untracked file that is not ignored): --reuse never takes the build
    of one state of a work tree for another."""
    commit = git("rev-parse", "HEAD", cwd=tree)
    digest = hashlib.sha256(
        subprocess.run(["git", "diff", "HEAD", "--binary"], cwd=tree, check=True, capture_output=True).stdout
    )
    untracked = git("ls-files", "--others", "--exclude-standard", "-z", cwd=tree).split("\0")
    for name in sorted(filter(None, untracked)):
        path = tree / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"") + b"\0")
    changed = any(filter(None, untracked)) or git("status", "--porcelain", "--untracked-files=no", cwd=tree)
    return f"{commit}+changes-{digest.hexdigest()[:12]}" if changed else commit


def is_worktree_path(value: str) -> bool:
    path = Path(value)
    return path.is_dir() and (path / "pbr_pipeline").is_dir()


def add_worktree(rev: str, tree: Path) -> None:
    """A fresh detached work tree of `rev` at `tree` (an old one there is removed first)."""
    if tree.exists():
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], check=False, cwd=REPO, capture_output=True)
        shutil.rmtree(tree, ignore_errors=True)
    git("worktree", "prune")
    tree.parent.mkdir(parents=True, exist_ok=True)
    git("worktree", "add", "--detach", str(tree), rev)


def side_env(side: Side, landing: Path) -> dict[str, str]:
    """The caller's environment without any pipeline, Dagster or dbt setting, then every
    location of the side in its own folder and the side's tree first on the import path."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PBR_", "DAGSTER_", "DBT_")) and k not in ("PYTHONPATH", "PYTHONHOME")
    }
    config = landing.with_name(f"{landing.name}.generated") / "config"  # a national landing's own areas
    env.update(
        {
            "PYTHONPATH": str(side.tree),
            "PYTHONUNBUFFERED": "1",  # the progress lines as they come
            "PBR_LANDING_DIR": str(landing),
            "PBR_CONFIG_DIR": str(config if config.is_dir() else side.tree / "pbr_pipeline" / "config" / "areas"),
            "PBR_WAREHOUSE": str(side.warehouse),
            "PBR_ANALYST_WAREHOUSE": str(side.root / "warehouse" / "pbr_analyst.duckdb"),
            "PBR_EXPORT_DIR": str(side.exports),
            "PBR_VALIDATION_DIR": str(side.root / "validation"),
            "PBR_LOG_DIR": str(side.root / "logs"),
            "PBR_DBT_DOCS_DIR": str(side.root / "dbt_docs"),
            "PBR_PSEUDONYM_KEY": PSEUDONYM_KEY,
            # No DAGSTER_HOME: each side's `pbr` picks its own instance (since issue 13, in
            # dagster_home/ beside the side's warehouse; before it, an ephemeral one).
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
        }
    )
    return env


PROBE = """
import dataclasses, json, pathlib
import data_contracts, pbr_pipeline, pbr_pipeline.dbt, pbr_pipeline.settings
settings = pbr_pipeline.settings.Settings.from_env()
locations = {f.name: str(getattr(settings, f.name)) for f in dataclasses.fields(settings)
             if isinstance(getattr(settings, f.name), pathlib.Path)}
print(json.dumps({"pbr_pipeline": pbr_pipeline.__file__, "data_contracts": data_contracts.__file__,
                  "dbt_project": str(pbr_pipeline.dbt.DBT_PROJECT_DIR), "locations": locations}))
"""


def check_imports(side: Side, env: dict[str, str]) -> dict:
    """The side's interpreter imports the side's tree, and every location is the side's own."""
    result = subprocess.run(
        [str(VENV_PYTHON), "-c", PROBE], cwd=side.tree, env=env, check=True, capture_output=True, text=True
    )
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    tree = side.tree.resolve()
    for what in ("pbr_pipeline", "data_contracts", "dbt_project"):
        if not Path(probe[what]).resolve().is_relative_to(tree):
            raise SystemExit(f"{side.name}: {what} comes from {probe[what]}, not from {tree}")
    out = side.root.parent.resolve()
    for name, location in probe["locations"].items():
        if not (Path(location).is_relative_to(out) or Path(location).is_relative_to(tree)):
            raise SystemExit(f"{side.name}: {name} is {location}, outside {out}")
    print(f"[{side.name}] pbr_pipeline from {probe['pbr_pipeline']}", flush=True)
    print(f"[{side.name}] dbt project {probe['dbt_project']}", flush=True)
    return probe


def run_logged(side: Side, what: str, command: list[str], env: dict[str, str]) -> float:
    """Run a command in the side's tree, its output into DIR/<side>/<what>.log and the
    terminal; the seconds it took. A failure stops the comparison."""
    log_path = side.root / f"{what}.log"
    started = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, cwd=side.tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            print(f"[{side.name}] {line}", end="", flush=True)
        code = process.wait()
    seconds = time.monotonic() - started
    if code != 0:
        raise SystemExit(
            f"{side.name}: {what} failed (exit {code}) after {seconds:.0f} s: {' '.join(command)} (log: {log_path})"
        )
    print(f"[{side.name}] {what}: {seconds:.1f} s", flush=True)
    return seconds


def read_marker(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def landing_request(windows: list[str]) -> dict:
    """The demo's returns, whatever --windows: the generator draws its population for the whole
    range it is given, so fewer windows generated would be other data, not the demo's first
    ones. A longer range than the demo's is generated through its last window."""
    last = max(windows[-1], shift_window(FIRST_WINDOW, DEMO_WINDOWS - 1))
    return {"first": FIRST_WINDOW, "last": last, "scale": SCALE, "seed": SEED}


def ensure_landing(out: Path, before: Side, windows: list[str], reuse: bool) -> dict:
    """The generated returns in DIR/landing, by the --before tree: generated unless --reuse
    finds them generated for the same request by the same commit."""
    landing, marker = out / "landing", out / "landing.done"
    request = landing_request(windows)
    recorded = read_marker(marker)
    if (
        reuse
        and recorded
        and (recorded.get("request"), recorded.get("rev")) == (request, before.commit)
        and landing.is_dir()
    ):
        print(f"landing: reused {landing} (generated by {recorded.get('rev')} in {recorded.get('generate_seconds')} s)")
        return recorded
    marker.unlink(missing_ok=True)
    for folder in (landing, landing.with_name(f"{landing.name}.generated")):
        shutil.rmtree(folder, ignore_errors=True)
    env = side_env(before, landing)
    command = [
        str(VENV_PYTHON),
        "-m",
        "pbr_pipeline.cli",
        "generate",
        "--out",
        str(landing),
        "--from",
        request["first"],
        "--to",
        request["last"],
        "--scale",
        SCALE,
        "--seed",
        str(SEED),
    ]
    seconds = run_logged(before, "generate", command, env)
    recorded = {"request": request, "rev": before.commit, "generate_seconds": round(seconds, 1)}
    marker.write_text(json.dumps(recorded, indent=2) + "\n", encoding="utf-8")
    return recorded


def side_request(side: Side, windows: list[str], landing: dict) -> dict:
    return {
        "commit": side.commit,
        "tree": str(side.tree),
        "windows": [windows[0], windows[-1]],
        "landing": landing["request"],
        "landing_rev": landing["rev"],
    }


def reusable(side: Side, windows: list[str], landing: dict) -> dict | None:
    recorded = read_marker(side.marker)
    if recorded and recorded.get("request") == side_request(side, windows, landing) and side.warehouse.exists():
        return recorded
    if recorded:
        print(f"[{side.name}] not reused: its done marker is for {recorded.get('request')}")
    return None


def clear_outputs(side: Side) -> None:
    """Everything the side's last build left in DIR/<side>, except its work tree."""
    side.marker.unlink(missing_ok=True)
    for name in ("warehouse", "exports", "validation", "logs", "dbt_docs"):
        shutil.rmtree(side.root / name, ignore_errors=True)


def build(side: Side, windows: list[str], landing: Path, landing_marker: dict) -> dict:
    env = side_env(side, landing)
    check_imports(side, env)
    prepare = run_logged(side, "prepare", [str(VENV_PYTHON), "-m", "pbr_pipeline.dbt_prepare"], env)
    run = run_logged(
        side, "run", [str(VENV_PYTHON), "-m", "pbr_pipeline.cli", "run", "--from", windows[0], "--to", windows[-1]], env
    )
    recorded = {
        "request": side_request(side, windows, landing_marker),
        "rev": side.rev,
        "prepare_seconds": round(prepare, 1),
        "run_seconds": round(run, 1),
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    side.marker.write_text(json.dumps(recorded, indent=2) + "\n", encoding="utf-8")
    return recorded


def make_side(name: str, rev: str, out: Path, reuse: bool) -> Side:
    """The side's tree: an existing work tree named by path, else a work tree of the revision
    in DIR/<side>/tree (kept as it is when --reuse and it already has that revision)."""
    root = out / name
    root.mkdir(parents=True, exist_ok=True)
    if is_worktree_path(rev):
        tree = Path(rev).resolve()
        return Side(name, str(tree), tree_commit(tree), tree, root)
    commit = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    tree = root / "tree"
    if not (reuse and tree.is_dir() and tree_commit(tree) == commit):
        add_worktree(commit, tree)
    return Side(name, rev, commit, tree.resolve(), root)


# ----------------------------------------------------------------------------- comparing


def list_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[tuple[str, str], str]:
    rows = con.execute(
        f"""SELECT table_schema, table_name, table_type FROM information_schema.tables
            WHERE table_catalog = ? AND table_schema IN ({", ".join("?" for _ in SCHEMAS)})""",
        [catalog, *SCHEMAS],
    ).fetchall()
    return {(schema, table): kind for schema, table, kind in rows}


def list_columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        """SELECT column_name, data_type FROM information_schema.columns
           WHERE table_catalog = ? AND table_schema = ? AND table_name = ? ORDER BY ordinal_position""",
        [catalog, schema, table],
    ).fetchall()


def compare_warehouses(before: Path, after: Path) -> tuple[dict, list[dict]]:
    """Tables compared, rows compared, the exclusions used, and every difference."""
    con = duckdb.connect()
    for side, path in (("before", before), ("after", after)):
        con.execute(f"ATTACH {literal(str(path))} AS {side}_db (READ_ONLY)")
    differences: list[dict] = []
    tables_before, tables_after = list_tables(con, "before_db"), list_tables(con, "after_db")
    for key in sorted(set(tables_before) ^ set(tables_after)):
        where = "before" if key in tables_before else "after"
        differences.append({"kind": "table only " + where, "table": ".".join(key)})
    stats = {"tables": 0, "rows_before": 0, "rows_after": 0, "excluded": {}}
    for schema, table in sorted(set(tables_before) & set(tables_after)):
        name = f"{schema}.{table}"
        stats["tables"] += 1
        if tables_before[(schema, table)] != tables_after[(schema, table)]:
            differences.append(
                {
                    "kind": "table type",
                    "table": name,
                    "before": tables_before[(schema, table)],
                    "after": tables_after[(schema, table)],
                }
            )
        columns_before = list_columns(con, "before_db", schema, table)
        columns_after = list_columns(con, "after_db", schema, table)
        if columns_before != columns_after:
            differences.append(
                {
                    "kind": "columns",
                    "table": name,
                    "before": [f"{c} {t}" for c, t in columns_before],
                    "after": [f"{c} {t}" for c, t in columns_after],
                }
            )
        types_after = dict(columns_after)
        compared = []
        for column, kind in columns_before:
            reason = clock_reason(schema, table, column)
            if reason:
                stats["excluded"][f"{name}.{column}"] = reason
            elif types_after.get(column) == kind:
                compared.append(column)
        differences.extend(compare_rows(con, schema, table, compared, stats))
    con.close()
    return stats, differences


def compare_rows(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, columns: list[str], stats: dict
) -> list[dict]:
    name = f"{schema}.{table}"
    counts = {}
    for side in ("before", "after"):
        counts[side] = con.execute(f"SELECT count(*) FROM {side}_db.{quoted(schema)}.{quoted(table)}").fetchone()[0]
        stats[f"rows_{side}"] += counts[side]
    differences = []
    if counts["before"] != counts["after"]:
        differences.append({"kind": "row count", "table": name, **counts})
    if not columns:
        return differences
    select = ", ".join(quoted(c) for c in columns)
    queries = {side: f"SELECT {select} FROM {side}_db.{quoted(schema)}.{quoted(table)}" for side in ("before", "after")}
    for side, other in (("before", "after"), ("after", "before")):
        only = f"({queries[side]}) EXCEPT ALL ({queries[other]})"
        missing = con.execute(f"SELECT count(*) FROM ({only})").fetchone()[0]
        if missing:
            sample = con.execute(f"SELECT * FROM ({only}) ORDER BY ALL LIMIT {SAMPLE}").fetchall()
            differences.append(
                {
                    "kind": f"rows only {side}",
                    "table": name,
                    "rows": missing,
                    "columns": columns,
                    "sample": [[str(v) if v is not None else None for v in row] for row in sample],
                }
            )
    return differences


def file_digests(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under the folder (hidden ones too)."""
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def first_difference(before: bytes, after: bytes) -> dict:
    """Where two files first differ: the line number and the two lines (for text files)."""
    lines_before, lines_after = before.split(b"\n"), after.split(b"\n")
    for number, (a, b) in enumerate(zip(lines_before, lines_after), start=1):
        if a != b:
            return {
                "line": number,
                "before": a[:300].decode("utf-8", "replace"),
                "after": b[:300].decode("utf-8", "replace"),
            }
    number = min(len(lines_before), len(lines_after)) + 1
    return {"line": number, "before_lines": len(lines_before), "after_lines": len(lines_after)}


def compare_files(before: Path, after: Path) -> tuple[int, list[dict]]:
    digests_before, digests_after = file_digests(before), file_digests(after)
    differences = []
    for path in sorted(set(digests_before) ^ set(digests_after)):
        differences.append({"kind": "file only " + ("before" if path in digests_before else "after"), "file": path})
    for path in sorted(set(digests_before) & set(digests_after)):
        if digests_before[path] != digests_after[path]:
            content_before, content_after = (before / path).read_bytes(), (after / path).read_bytes()
            differences.append(
                {
                    "kind": "file bytes",
                    "file": path,
                    "bytes_before": len(content_before),
                    "bytes_after": len(content_after),
                    **first_difference(content_before, content_after),
                }
            )
    return len(set(digests_before) | set(digests_after)), differences


def describe(difference: dict) -> str:
    what = difference.get("table") or difference.get("file")
    detail = {k: v for k, v in difference.items() if k not in ("kind", "table", "file", "sample", "columns")}
    lines = [f"  {difference['kind']}: {what} {json.dumps(detail, default=str) if detail else ''}".rstrip()]
    if "sample" in difference:
        lines.append(f"    columns: {', '.join(difference['columns'])}")
        lines.extend(f"    {row}" for row in difference["sample"])
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the revision before the change")
    parser.add_argument(
        "--after",
        default=str(REPO),
        help="the revision after the change, or the path of a work tree (default: this one, as it is)",
    )
    parser.add_argument("--out", required=True, type=Path, help="the folder of both sides' builds and compare.json")
    parser.add_argument(
        "--windows", type=int, default=DEMO_WINDOWS, help=f"windows from {FIRST_WINDOW} (default: {DEMO_WINDOWS})"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep a side (and the landing) whose done marker matches instead of building it again",
    )
    args = parser.parse_args(argv)
    if args.windows < 1:
        parser.error("--windows must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    windows = [shift_window(FIRST_WINDOW, i) for i in range(args.windows)]
    print(f"windows {windows[0]}..{windows[-1]} ({len(windows)}), {SCALE} scale, seed {SEED}, into {out}", flush=True)

    sides = [make_side("before", args.before, out, args.reuse), make_side("after", args.after, out, args.reuse)]
    for side in sides:
        print(f"[{side.name}] {side.rev} = {side.commit}, tree {side.tree}", flush=True)
    landing = ensure_landing(out, sides[0], windows, args.reuse)
    results = {}
    for side in sides:
        recorded = reusable(side, windows, landing) if args.reuse else None
        if recorded:
            print(f"[{side.name}] reused the build of {recorded['built_at']} ({recorded['run_seconds']} s)", flush=True)
            reused = True
        else:
            clear_outputs(side)
            recorded = build(side, windows, out / "landing", landing)
            reused = False
        results[side.name] = {
            "rev": side.rev,
            "commit": side.commit,
            "tree": str(side.tree),
            "reused": reused,
            "prepare_seconds": recorded["prepare_seconds"],
            "run_seconds": recorded["run_seconds"],
            "built_at": recorded["built_at"],
        }
    results["before"]["generate_seconds"] = landing["generate_seconds"]

    before, after = sides
    stats, differences = compare_warehouses(before.warehouse, after.warehouse)
    files, file_differences = compare_files(before.exports, after.exports)
    differences += file_differences
    unused = [
        ".".join(key)
        for key in CLOCK_COLUMNS
        if not any(fnmatch.fnmatchcase(column, ".".join(key)) for column in stats["excluded"])
    ]

    report = {
        **results,
        "windows": [windows[0], windows[-1]],
        "tables": stats["tables"],
        "rows": stats["rows_before"],
        "rows_after": stats["rows_after"],
        "files": files,
        "excluded_columns": {key: reason for key, reason in sorted(stats["excluded"].items())},
        "unused_exclusions": unused,
        "differences": differences,
    }
    (out / "compare.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")

    print()
    for side in sides:
        r = results[side.name]
        timing = f"generate {r['generate_seconds']} s, " if "generate_seconds" in r else ""
        print(
            f"{side.name}: {side.commit} {timing}prepare {r['prepare_seconds']} s, pbr run {r['run_seconds']} s"
            f"{' (reused)' if r['reused'] else ''}"
        )
    print(
        f"tables compared: {stats['tables']} ({', '.join(SCHEMAS)}), rows {stats['rows_before']:,} before, "
        f"{stats['rows_after']:,} after; files compared: {files}"
    )
    print(
        f"clock columns left out: {len(stats['excluded'])} "
        f"({', '.join(sorted({'.'.join(k) for k in CLOCK_COLUMNS} - set(unused)))})"
    )
    if unused:
        print(f"exclusions that matched no column: {', '.join(unused)}")
    if differences:
        print(f"DIFFERENCES: {len(differences)}")
        for difference in differences:
            print(describe(difference))
    else:
        print("no differences")
    print(f"report: {out / 'compare.json'}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
