"""`pbr`: the pipeline from a shell (spec/outputs.md, "Command line").

Every command exits non-zero with a one-line reason on failure.
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
import time
import traceback
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from pbr_pipeline.config import ConfigError, load_areas
from pbr_pipeline.explain import ExplainError
from pbr_pipeline.lock import WarehouseBusy, warehouse_lock
from pbr_pipeline.monitor import MonitorError
from pbr_pipeline.payments.runs import PaymentRunError, RunFailed, RunInterrupted
from pbr_pipeline.settings import Settings
from pbr_pipeline.simulate import SimulationError
from pbr_pipeline.windows import check_not_before_first, parse_window, window_range

if TYPE_CHECKING:  # imported when a command needs it
    import duckdb

DEMO_FIRST, DEMO_LAST = "2012-04", "2014-03"
# The demo's returns have one provider gaming its payments, so that the monitor has something
# to show: KNT-KCA parks clients, which NO_RECENT_REVIEW flags as of the demo's last window.
DEMO_GAMING = (("KNT-KCA", "park"),)


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """argparse's parser, whose errors are one line like every other `pbr` error (argparse
    prints the usage first); the usage is `--help` away."""

    def error(self, message: str):
        self.exit(2, f"pbr: {message} (see {self.prog} --help)\n")


def _window(text: str) -> str:
    try:
        parse_window(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return text


def _gaming(text: str) -> tuple[str, str]:
    submitter, equals, behaviour = text.partition("=")
    if not (submitter and equals and behaviour):
        raise argparse.ArgumentTypeError(f"{text!r} is not SUBMITTER=BEHAVIOUR")
    return submitter, behaviour


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="pbr", description="Payment by results pipeline.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the whole pipeline as of a window, or each window of a range")
    run.add_argument("--window", type=_window, metavar="YYYY-MM", help="the window to run the pipeline as of")
    run.add_argument("--from", dest="first", type=_window, metavar="YYYY-MM", help="the first window of a range")
    run.add_argument("--to", dest="last", type=_window, metavar="YYYY-MM", help="the last window of a range")

    finalize = commands.add_parser("finalize", help="mark a window's payment run final")
    finalize.add_argument(
        "--window", required=True, type=_window, metavar="YYYY-MM", help="the window whose payment run becomes final"
    )
    finalize.add_argument("--by", required=True, metavar="NAME", help="who finalises the run (recorded)")

    explain = commands.add_parser("explain", help="list the records behind a payment line (submission, file, line)")
    explain.add_argument(
        "--window", required=True, type=_window, metavar="YYYY-MM", help="the payment window of the line"
    )
    explain.add_argument(
        "--line-key",
        required=True,
        metavar="KEY",
        help="journey_id|kind|outcome_code, e.g. 'OXF-000123#1|OUTCOME|D2_ABSTINENT'",
    )

    monitor = commands.add_parser(
        "monitor", help="list the journeys behind a monitor indicator (its numerator and denominator)"
    )
    monitor.add_argument("--window", required=True, type=_window, metavar="YYYY-MM", help="the window as of which")
    monitor.add_argument("--provider", required=True, metavar="CODE", help="the provider's submitter code")
    monitor.add_argument(
        "--indicator",
        required=True,
        metavar="INDICATOR",
        help="START_RATE, SUCCESSFUL_COMPLETION, DECLINED_OR_DROPPED, NO_RECENT_REVIEW or REPRESENTED",
    )
    monitor.add_argument(
        "--pathway", choices=["HARM_MIN", "RECOVERY"], help="one pathway (default: each the provider has)"
    )
    monitor.add_argument("--band", type=int, default=0, metavar="N", help="a tariff band (default 0: all bands)")

    generate = commands.add_parser("generate", help="write realistic synthetic submissions")
    generate.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="the landing folder to write, empty or absent"
    )
    generate.add_argument(
        "--from", dest="first", required=True, type=_window, metavar="YYYY-MM", help="the first window generated"
    )
    generate.add_argument(
        "--to", dest="last", required=True, type=_window, metavar="YYYY-MM", help="the last window generated"
    )
    generate.add_argument(
        "--scale",
        choices=("pilot", "national"),
        default="pilot",
        help="pilot: the eight pilot areas; national: 149 areas, their configuration in DIR.generated/config "
        "(default: %(default)s)",
    )
    generate.add_argument(
        "--seed", type=int, default=1, metavar="N", help="the same seed writes the same files (default: %(default)s)"
    )
    generate.add_argument(
        "--gaming",
        action="append",
        type=_gaming,
        default=[],
        metavar="SUBMITTER=BEHAVIOUR",
        help="make a provider game its payments as the monitor must catch, listed in defects.json: cream-skim "
        "(half its band-3 referrals never started), park (a third of its episodes open past 180 days get no "
        "further TOP) or drop (twice its peers' share of discharges as 85 or 88); repeatable",
    )

    simulate = commands.add_parser(
        "simulate",
        help="re-run the windows on the same landed returns under another configuration, into a warehouse of "
        "its own, and compare with what was actually paid",
    )
    simulate.add_argument(
        "--config", required=True, type=Path, metavar="DIR", help="the configuration folder to simulate (area YAMLs)"
    )
    simulate.add_argument(
        "--from", dest="first", required=True, type=_window, metavar="YYYY-MM", help="the first window compared"
    )
    simulate.add_argument(
        "--to", dest="last", required=True, type=_window, metavar="YYYY-MM", help="the last window compared"
    )
    simulate.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="where simulation.duckdb, comparison.csv and comparison.html are written",
    )

    gaming = ", ".join(f"{submitter}={behaviour}" for submitter, behaviour in DEMO_GAMING)
    demo = (
        f"generate pilot data for {DEMO_FIRST}..{DEMO_LAST} with --gaming {gaming}, run every window "
        "and list the monitor's flags of the last"
    )
    commands.add_parser("demo", help=demo, description=demo)
    return parser


def windows_requested(args: argparse.Namespace) -> list[str]:
    if args.window and (args.first or args.last):
        raise UsageError("give either --window or --from/--to, not both")
    if args.window:
        return [args.window]
    if not (args.first and args.last):
        raise UsageError("give --window YYYY-MM, or --from YYYY-MM and --to YYYY-MM")
    return window_range(args.first, args.last)


def run_windows(windows: list[str]) -> None:
    from pbr_pipeline.dbt_prepare import generate_docs, prepare
    from pbr_pipeline.partitions import check_windows_can_run
    from pbr_pipeline.runner import run_windows as run_in_order

    check_windows_can_run(windows)
    settings = Settings.from_env()
    load_areas(settings.config_dir)  # fail on a bad configuration before anything runs
    settings.warn_if_development_key()
    prepare()
    started = time.monotonic()
    # dbt docs read the warehouse: still under the lock, so no other writer comes in between.
    with warehouse_lock(settings.warehouse):
        run_in_order(windows)
        print(statement_summary(settings.export_dir, windows[-1]))
        print(f"statements: {settings.export_dir / windows[-1] / 'summary.html'} (and each provider's .html, .pdf)")
        print(f"dbt docs: {generate_docs(settings)}")
    print(f"{len(windows)} window(s) run in {time.monotonic() - started:.0f} s")


def statement_summary(export_dir: Path, window: str) -> str:
    """The window's summary.csv as a table: per provider, lines and net amount due."""
    with open(export_dir / window / "summary.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    lines = [f"statement summary {window}", f"  {'area':<5} {'provider':<20} {'lines':>6} {'net due':>14}"]
    for row in rows:
        lines.append(
            f"  {row['area']:<5} {row['provider']:<20} {int(row['lines']):>6,} {Decimal(row['net_amount_due']):>14,.2f}"
        )
    total = sum((Decimal(row["net_amount_due"]) for row in rows), Decimal("0"))
    lines.append(f"  {'':<5} {'total':<20} {sum(int(r['lines']) for r in rows):>6,} {total:>14,.2f}")
    return "\n".join(lines)


def command_finalize(args: argparse.Namespace) -> None:
    from pbr_pipeline.payments.render import window_human_files
    from pbr_pipeline.payments.runs import finalize
    from pbr_pipeline.warehouse import connect

    settings = Settings.from_env()
    with warehouse_lock(settings.warehouse), connect(settings.warehouse) as con:
        at = finalize(con, args.window, args.by, settings.export_dir, lambda run: window_human_files(con, run))
    print(f"payment run {args.window} is final (by {args.by.strip()} at {at.isoformat()}Z)")


def analysts_copy(error: type[Exception]):
    """A read-only connection to the analysts' copy: readable while a run holds the warehouse."""
    import duckdb

    copy = Settings.from_env().analyst_warehouse
    if not copy.exists():
        raise error(f"there is no analysts' copy at {copy}: a `pbr run` that succeeds publishes it")
    return duckdb.connect(str(copy), read_only=True)


def command_explain(args: argparse.Namespace) -> None:
    from pbr_pipeline.explain import explain_line

    con = analysts_copy(ExplainError)
    try:
        print(explain_line(con, args.window, args.line_key).render())
    finally:
        con.close()


def command_monitor(args: argparse.Namespace) -> None:
    from pbr_pipeline.monitor.report import list_cases

    con = analysts_copy(MonitorError)
    try:
        print(list_cases(con, args.window, args.provider, args.indicator, args.pathway, args.band))
    finally:
        con.close()


def generator():
    """`generate_returns`, imported only when asked for: the generator is a tool, installed
    with the `generate` extra, not part of the pipeline's runtime (docs/generator.md)."""
    try:
        from pbr_pipeline.generate import generate_returns
    except ModuleNotFoundError as missing:
        if (missing.name or "").partition(".")[0] in ("pbr_pipeline", "data_contracts"):
            raise  # a bug of ours, not a missing dependency
        raise UsageError(
            f"the generator needs {missing.name}: install the 'generate' extra (pip install 'pbr_pipeline[generate]')"
        ) from missing
    return generate_returns


def command_generate(args: argparse.Namespace) -> None:
    generate_returns = generator()
    summary = generate_returns(
        args.out,
        args.first,
        args.last,
        scale=args.scale,
        seed=args.seed,
        progress=lambda line: print(line, flush=True),
        gaming=args.gaming,
    )
    print(summary)


def command_simulate(args: argparse.Namespace) -> None:
    from pbr_pipeline.dbt_prepare import prepare
    from pbr_pipeline.simulate.run import COMPARISON_CSV, COMPARISON_HTML, plan_simulation, simulate

    plan = plan_simulation(args.config, args.first, args.last, args.out)  # writes nothing
    plan.real.warn_if_development_key()
    prepare()
    result = simulate(plan, say=lambda line: print(line, flush=True))
    print("\n".join(result.comparison.summary_lines()))
    print(f"comparison: {plan.out / COMPARISON_CSV}, {plan.out / COMPARISON_HTML}")
    print(f"simulated {len(plan.run_windows)} window(s) in {result.seconds:.0f} s")


def command_demo() -> None:
    generate_returns = generator()
    settings = Settings.from_env()
    if not settings.landing_dir.exists():
        gaming = ", ".join(f"{submitter} {behaviour}" for submitter, behaviour in DEMO_GAMING)
        print(
            f"generating pilot returns {DEMO_FIRST}..{DEMO_LAST} into {settings.landing_dir}, gaming: {gaming}",
            flush=True,
        )
        generate_returns(
            settings.landing_dir,
            DEMO_FIRST,
            DEMO_LAST,
            scale="pilot",
            seed=1,
            progress=lambda line: print(line, flush=True),
            gaming=DEMO_GAMING,
        )
    run_windows(window_range(DEMO_FIRST, DEMO_LAST))
    con = analysts_copy(MonitorError)
    try:
        print(monitor_summary(con, DEMO_LAST, settings.export_dir / DEMO_LAST / "monitor.html"))
    finally:
        con.close()


def monitor_summary(con: duckdb.DuckDBPyConnection, window: str, page: Path) -> str:
    """The window's flags, one line each as the run's warnings give them, and where their page is."""
    from pbr_pipeline.monitor.report import flag_lines, flagged

    lines = flag_lines(flagged(con, [window])).get(window, [])
    return "\n".join([f"monitor {window}: {len(lines)} flag(s) ({page})", *(f"  {line}" for line in lines)])


class MessageOnly(logging.Formatter):
    """A record's message without its traceback: the terminal keeps one line per record, the
    Dagster event log (the UI) and the run's log keep the detail."""

    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage()


def _terminal(level: int) -> logging.Handler:
    handler = logging.StreamHandler()
    handler.setFormatter(MessageOnly())
    handler.setLevel(level)
    return handler


def show_progress_and_warnings() -> None:
    """The terminal shows the pipeline's progress lines and any warning. The info lines that
    Dagster and dagster-dbt log through Python logging reach the root logger too; they stay in
    the Dagster run log, below the root handler's level."""
    logging.getLogger().addHandler(_terminal(logging.WARNING))
    progress = logging.getLogger("pbr.progress")
    progress.setLevel(logging.INFO)
    progress.propagate = False
    progress.addHandler(_terminal(logging.INFO))


# The exit status of a command stopped by Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED = 130


def reason(error: BaseException) -> str:
    """The one line `pbr` prints for an error: the first line of its message, never the
    exception's class name (a file error as its description and file, without `[Errno 2]`)."""
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror}: {error.filename}" if error.filename else error.strerror
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else "failed with no message"


def keep_traceback(error: BaseException) -> str:
    """Where an unexpected error's traceback is kept (the log folder): the terminal gets one line."""
    try:
        log_dir = Settings.from_env().log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        kept = log_dir / "pbr-error.log"
        kept.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
    except (OSError, ValueError):
        return "no traceback kept"
    return f"traceback in {kept}"


def main(argv: list[str] | None = None) -> int:
    show_progress_and_warnings()
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            run_windows(windows_requested(args))
        elif args.command == "finalize":
            check_not_before_first(args.window)
            command_finalize(args)
        elif args.command == "explain":
            check_not_before_first(args.window)
            command_explain(args)
        elif args.command == "monitor":
            check_not_before_first(args.window)
            command_monitor(args)
        elif args.command == "generate":
            command_generate(args)
        elif args.command == "simulate":
            command_simulate(args)
        elif args.command == "demo":
            command_demo()
    except (
        UsageError,
        ConfigError,
        PaymentRunError,
        ExplainError,
        MonitorError,
        SimulationError,
        WarehouseBusy,
        ValueError,
    ) as error:
        print(f"pbr: {reason(error)}", file=sys.stderr)
        return 2
    except RunInterrupted as error:
        print(f"pbr: {error}", file=sys.stderr)
        return INTERRUPTED
    except RunFailed as error:  # the run's log and Dagster's event log keep the detail
        print(f"pbr: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("pbr: interrupted", file=sys.stderr)
        return INTERRUPTED
    except OSError as error:  # a file or folder that cannot be used: the line says which
        print(f"pbr: {reason(error)}", file=sys.stderr)
        return 1
    except Exception as error:
        print(f"pbr: {reason(error)} ({keep_traceback(error)})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
