"""`pbr simulate` (spec/outputs.md, "Simulation"): the acceptance scenario's history re-run under
a changed configuration, beside a real run of the same configuration on a fresh warehouse."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pbr_pipeline.settings import Settings
from pbr_pipeline.simulate import SimulationError
from pbr_pipeline.simulate.comparison import compare, paid
from pbr_pipeline.simulate.run import RESULTS, _put_back, _set_aside, plan_simulation
from pbr_pipeline.windows import window_range
from tests.conftest import ACCEPTANCE, ACCEPTANCE_WINDOWS, PipelineRun

FIRST, LAST = ACCEPTANCE_WINDOWS
WINDOWS = window_range(FIRST, LAST)
# Columns whose values are the clock's when a row was written (a submission's `received_at`
# is when ingest first saw it): the only ones in which a simulation and a real run of the same
# configuration may differ.
CLOCK_COLUMNS = {"received_at", "loaded_at", "run_at", "finalized_at"}


def changed_config(folder: Path) -> Path:
    """The acceptance configuration with D4 (sustained) paid more, from D3 (completed), in both
    of Oxfordshire's schedules, and the first recovery contract's cap lowered from 900 to 600."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted((ACCEPTANCE / "config").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if path.name == "oxf.yaml":
            before = "D3_COMPLETED: 0.20, D4_SUSTAINED: 0.25"
            assert text.count(before) == 2 and text.count("annual_cap_gbp: 900}") == 1
            text = text.replace(before, "D3_COMPLETED: 0.10, D4_SUSTAINED: 0.35")
            text = text.replace("annual_cap_gbp: 900}", "annual_cap_gbp: 600}")
        (folder / path.name).write_text(text, encoding="utf-8")
    return folder


def checksums(root: Path) -> dict[str, str]:
    """Every file under a run's folder (warehouse, analysts' copy, exports, logs, Dagster
    instance) by its sha256; the background run's own output files aside."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name not in ("pbr.out", "pbr.err")
    }


def csv_checksums(folder: Path) -> dict[str, str]:
    found = {name: digest for name, digest in checksums(folder).items() if name.endswith(".csv")}
    assert len(found) >= 27 * 3  # every window's summary, missing returns and statements
    return found


class Simulated:
    def __init__(self, out: Path, config: Path, output, before: dict, after: dict):
        self.out, self.config, self.output, self.before, self.after = out, config, output, before, after

    @property
    def warehouse(self) -> Path:
        return self.out / "simulation.duckdb"


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    return changed_config(tmp_path_factory.mktemp("simulated-config"))


@pytest.fixture(scope="module")
def real_changed(config, tmp_path_factory):
    """A real run of the changed configuration on a fresh warehouse, started in the
    background while the simulation runs."""
    run = PipelineRun(tmp_path_factory.mktemp("real-changed"), ACCEPTANCE / "landing", config)
    return run.start("run", "--from", FIRST, "--to", LAST)


@pytest.fixture(scope="module")
def simulated(acceptance_run, real_changed, config, tmp_path_factory) -> Simulated:
    before = checksums(acceptance_run.root)
    out = tmp_path_factory.mktemp("simulation") / "out"
    output = acceptance_run.pbr("simulate", "--config", str(config), "--from", FIRST, "--to", LAST, "--out", str(out))
    return Simulated(out, config, output, before, checksums(acceptance_run.root))


def relations(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    return con.execute(
        """SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = $c
           UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = $c AND NOT internal
           ORDER BY 1, 2""",
        {"c": catalog},
    ).fetchall()


def differing_rows(con, left: str, right: str, schema: str, name: str) -> int:
    columns = [
        row[0]
        for row in con.execute(
            """SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? AND table_name = ?
               ORDER BY column_index""",
            [left, schema, name],
        ).fetchall()
        if row[0] not in CLOCK_COLUMNS
    ]
    select = ", ".join(f'"{column}"' for column in columns)
    a, b = f'"{left}"."{schema}"."{name}"', f'"{right}"."{schema}"."{name}"'
    return con.execute(
        f"""SELECT count(*) FROM ((SELECT {select} FROM {a} EXCEPT ALL SELECT {select} FROM {b})
            UNION ALL (SELECT {select} FROM {b} EXCEPT ALL SELECT {select} FROM {a}))"""
    ).fetchone()[0]


def test_every_table_equals_a_real_run_of_the_same_configuration(simulated, real_changed):
    real = real_changed.finish()
    con = duckdb.connect()
    try:
        # Each file under its own name: the views name their file's catalog.
        con.execute(f"ATTACH '{simulated.warehouse}' (READ_ONLY)")
        con.execute(f"ATTACH '{real.warehouse}' (READ_ONLY)")
        simulation, pbr = relations(con, "simulation"), relations(con, "pbr")
        assert simulation == pbr
        assert len(simulation) > 80 and ("marts", "payment_lines") in simulation
        differing = {f"{s}.{n}": differing_rows(con, "simulation", "pbr", s, n) for s, n in simulation}
        assert {name: count for name, count in differing.items() if count} == {}
        lines = con.execute("SELECT count(*) FROM simulation.marts.payment_lines").fetchone()[0]
        runs = con.execute(
            "SELECT list(payment_window ORDER BY payment_window) FROM simulation.marts.payment_runs"
        ).fetchone()[0]
    finally:
        con.close()
    assert lines > 0 and runs == WINDOWS


def test_the_real_runs_files_are_untouched(simulated, acceptance_run):
    assert simulated.before == simulated.after
    for name in ("warehouse/pbr.duckdb", "warehouse/pbr_analyst.duckdb", f"exports/{LAST}/summary.csv"):
        assert name in simulated.before
    assert any(name.startswith("warehouse/dagster_home/") for name in simulated.before)


def test_the_simulation_writes_its_warehouse_and_the_comparison(simulated):
    assert sorted(path.name for path in simulated.out.iterdir()) == [
        "comparison.csv",
        "comparison.html",
        "simulated_run",
        "simulation.duckdb",
        "simulation.duckdb.lock",
    ]
    assert sorted(path.name for path in (simulated.out / "simulated_run").iterdir()) == [
        "exports",
        "logs",
        "validation",
    ]
    assert (simulated.out / "simulated_run" / "exports" / LAST / "summary.html").is_file()


# What the real runs paid and what the changed configuration pays, 2012-04..2014-06: D3 at
# 0.10 instead of 0.20 and D4 at 0.35 instead of 0.25 of the band's tariff (OXF-OXHEALTH's D3
# halves, OXF-LIFELINE's D4 is 1.4 times); the lower cap of OXF-REC-1 in 2012-13 (600, not 900)
# holds back £200 more of OXF-LIFELINE's lines, whichever outcome they pay (D2, H2, D3).
# Wigan's provider has no payment line in the scenario.
EXPECTED_COMPARISON = """\
area,provider,kind,outcome_code,actual_amount,simulated_amount,difference
OXF,OXF-LIFELINE,ATTACHMENT,,400.00,400.00,0.00
OXF,OXF-LIFELINE,OUTCOME,D1_REDUCED_USE,100.00,100.00,0.00
OXF,OXF-LIFELINE,OUTCOME,D2_ABSTINENT,480.00,330.00,-150.00
OXF,OXF-LIFELINE,OUTCOME,D3_COMPLETED,640.00,320.00,-320.00
OXF,OXF-LIFELINE,OUTCOME,D4_SUSTAINED,550.00,770.00,220.00
OXF,OXF-LIFELINE,OUTCOME,E1_EMPLOYMENT,0.00,0.00,0.00
OXF,OXF-LIFELINE,OUTCOME,H2_HOUSING_RESOLVED,50.00,0.00,-50.00
OXF,OXF-LIFELINE,OUTCOME,H4_QOL_NORMATIVE,0.00,0.00,0.00
OXF,OXF-LIFELINE,OUTCOME,O1_OFFENDING,630.00,630.00,0.00
OXF,OXF-OXHEALTH,ATTACHMENT,,500.00,500.00,0.00
OXF,OXF-OXHEALTH,CONVERSION,,400.00,400.00,0.00
OXF,OXF-OXHEALTH,OUTCOME,D1_REDUCED_USE,100.00,100.00,0.00
OXF,OXF-OXHEALTH,OUTCOME,D3_COMPLETED,400.00,200.00,-200.00
OXF,OXF-OXHEALTH,OUTCOME,H1_INJECTING_CEASED,100.00,100.00,0.00
OXF,OXF-OXHEALTH,OUTCOME,H2_HOUSING_RESOLVED,100.00,100.00,0.00
OXF,OXF-OXHEALTH,OUTCOME,H3_HEPB_COMPLETED,50.00,50.00,0.00
OXF,OXF-OXHEALTH,OUTCOME,H4_QOL_NORMATIVE,150.00,150.00,0.00
OXF,OXF-OXHEALTH,OUTCOME,O1_OFFENDING,150.00,150.00,0.00
"""


def test_the_comparison_is_what_each_side_paid(simulated, acceptance_run, real_changed):
    real = real_changed.finish()
    with duckdb.connect(str(acceptance_run.analyst_warehouse), read_only=True) as con:
        actual = paid(con, WINDOWS)
    with duckdb.connect(str(real.warehouse), read_only=True) as con:
        expected = compare(actual, paid(con, WINDOWS))
    text = (simulated.out / "comparison.csv").read_text(encoding="utf-8")
    assert text == EXPECTED_COMPARISON
    lines = text.splitlines()
    assert lines[0] == "area,provider,kind,outcome_code,actual_amount,simulated_amount,difference"
    assert lines[1:] == [
        ",".join("" if v is None else f"{v:.2f}" if isinstance(v, Decimal) else v for v in row.values())
        for row in expected
    ]


def test_progress_per_window_as_pbr_run_shows_it_and_the_summary(simulated):
    # The progress lines go to the terminal as a run's do (the logger's stream), the summary to stdout.
    progress = simulated.output.stderr
    assert re.findall(r"^\[(\d{4}-\d{2})\] payments: [\d,]+ lines", progress, flags=re.M) == WINDOWS
    out = simulated.output.stdout
    assert out.splitlines()[0].startswith(f"simulating {FIRST}..{LAST} with ")
    summary = out[out.index("simulation ") :].splitlines()
    assert summary[0] == f"simulation {FIRST}..{LAST} with {simulated.config}: 18 comparison row(s)"
    assert summary[1:8] == SUMMARY
    assert summary[8] == f"comparison: {simulated.out / 'comparison.csv'}, {simulated.out / 'comparison.html'}"
    assert re.fullmatch(r"simulated 27 window\(s\) in \d+ s", summary[9])


# The totals are EXPECTED_COMPARISON's: 4,800.00 actual (OXF-LIFELINE 2,850.00, OXF-OXHEALTH
# 1,950.00), 4,300.00 simulated.
SUMMARY = [
    "  total actual            4,800.00  (27 of 27 window(s) paid by real runs)",
    "  total simulated         4,300.00",
    "  difference               -500.00",
    "  largest differences:",
    "           -320.00  OXF OXF-LIFELINE OUTCOME D3_COMPLETED",
    "           +220.00  OXF OXF-LIFELINE OUTCOME D4_SUSTAINED",
    "           -200.00  OXF OXF-OXHEALTH OUTCOME D3_COMPLETED",
]


def test_a_bad_configuration_stops_the_simulation_before_anything_is_written(acceptance_run, tmp_path):
    config = changed_config(tmp_path / "config")
    oxf = config / "oxf.yaml"
    oxf.write_text(oxf.read_text().replace("D4_SUSTAINED: 0.35", "D4_SUSTAINED: 0.45", 1))
    out = tmp_path / "out"
    result = acceptance_run.pbr(
        "simulate", "--config", str(config), "--from", FIRST, "--to", LAST, "--out", str(out), check=False
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"pbr: {oxf}") and "weights" in line and "sum" in line, line
    assert not out.exists()


def settings_of(run: PipelineRun) -> Settings:
    return Settings.from_env(run.env())


def test_the_output_folder_is_never_one_of_the_real_runs(acceptance_run):
    real = settings_of(acceptance_run)
    for folder, what in (
        (real.export_dir / "what-if", "the exports folder"),
        (real.warehouse.parent, "the warehouse's folder"),
        (real.landing_dir / "sim", "the landing folder"),
    ):
        with pytest.raises(SimulationError, match=what):
            plan_simulation(ACCEPTANCE / "config", FIRST, LAST, folder, real)


def test_the_windows_are_checked_before_anything_is_written(acceptance_run, tmp_path):
    real = settings_of(acceptance_run)
    with pytest.raises(ValueError, match="runs backwards"):
        plan_simulation(ACCEPTANCE / "config", LAST, FIRST, tmp_path / "out", real)
    with pytest.raises(ValueError, match="before the first window 2012-04"):
        plan_simulation(ACCEPTANCE / "config", "2012-03", LAST, tmp_path / "out", real)
    with pytest.raises(ValueError, match="after the latest window"):
        plan_simulation(ACCEPTANCE / "config", FIRST, "2999-01", tmp_path / "out", real)
    assert not (tmp_path / "out").exists()


def test_a_failed_simulation_puts_back_what_the_previous_one_left(tmp_path):
    out = tmp_path / "out"
    for name in RESULTS:
        if "/" in name:
            (out / name).mkdir(parents=True)
            (out / name / "file.csv").write_text(name)
        else:
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            (out / name).write_text(name)
    kept = checksums(out)
    aside = _set_aside(out)
    assert not any((out / name).exists() for name in RESULTS)
    (out / "simulation.duckdb").write_text("half-written")
    (out / "simulated_run" / "exports").mkdir()
    _put_back(aside, out)
    assert checksums(out) == kept and not aside.exists()


def test_a_second_simulation_into_the_folder_replaces_the_first_with_the_same_bytes(simulated, acceptance_run):
    """Same inputs, same outputs: run again into the same folder, the comparison comes out
    byte for byte the same (its page included) and so do the simulated statements' CSVs. Their
    HTML and PDF print the simulated run's date, which is the clock's: each simulation is a
    fresh warehouse (docs/decisions.md)."""
    first = {name: (simulated.out / name).read_bytes() for name in ("comparison.csv", "comparison.html")}
    statements = csv_checksums(simulated.out / "simulated_run" / "exports")
    acceptance_run.pbr(
        "simulate", "--config", str(simulated.config), "--from", FIRST, "--to", LAST, "--out", str(simulated.out)
    )
    assert {name: (simulated.out / name).read_bytes() for name in first} == first
    assert csv_checksums(simulated.out / "simulated_run" / "exports") == statements
    assert not list(simulated.out.glob(".previous-*"))
