"""Running the monthly job for windows from a shell, through the same Dagster definitions."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dagster import DagsterEventType, DagsterInstance, ExecuteInProcessResult

# The instance's settings with the overrides of a `pbr run` (not exported by the dagster package).
from dagster._core.instance.ref import InstanceRef

from pbr_pipeline.lock import warehouse_lock
from pbr_pipeline.partitions import RERUN_THROUGH_TAG, range_tags
from pbr_pipeline.payments.runs import RunFailed, RunInterrupted, check_run_order, windows_run
from pbr_pipeline.progress import range_label
from pbr_pipeline.publish import discard_snapshot, restore_snapshot, take_snapshot
from pbr_pipeline.resources import PipelineSettings
from pbr_pipeline.settings import VARIABLES, Settings, dagster_home, instance_settings
from pbr_pipeline.warehouse import connect

if TYPE_CHECKING:
    from dagster._utils.error import SerializableErrorInfo  # the error of a Dagster event

# The terminal gets the assets' `pbr.progress` lines and the one-line failure reason; Dagster's
# console logger would repeat them with stack traces. Its event log (the UI) keeps everything.
SILENT_DAGSTER_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass(frozen=True)
class RangeRun:
    windows: list[str]
    run_id: str


# A `pbr run` keeps its output in the run's log file and its progress lines on the terminal, so
# Dagster does not capture it again: its compute log capture would run `tail` helpers beside
# the run, through which the terminal's lines would pass, and which a Ctrl-C would reach too
# (each printing a traceback). Runs launched from the UI keep the instance's capture.
WITHOUT_COMPUTE_LOGS = {
    "compute_logs": {"module": "dagster._core.storage.noop_compute_log_manager", "class": "NoOpComputeLogManager"}
}


def _instance() -> DagsterInstance:
    """The project's Dagster instance (settings.dagster_home): the UI shows the runs of `pbr`
    in its run history and their windows as materialised partitions."""
    home = dagster_home()
    instance_settings(home)
    return DagsterInstance.from_ref(InstanceRef.from_dir(str(home), overrides=WITHOUT_COMPUTE_LOGS))


ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")
# Where dagster-dbt's error lists the errors of dbt's log, after its own paragraph.
DBT_ERRORS_HEADING = "Errors parsed from dbt logs:"
# Lines of a dbt log that name what failed, e.g. "Failure in test unique_… (models/…yml)".
DBT_FAILURE_LINE = re.compile(r"(Failure|Error) in ")
# dbt's heading of an error without a node, e.g. "Runtime Error", above the message.
DBT_ERROR_KIND = re.compile(r"[A-Z]\w* Error")


def one_line(message: str) -> str:
    """The line of an error message that says what failed: dbt's failure line and the line
    under it (`Failure in test … (models/….yml): Got 1 result, configured to fail if != 0`),
    or dbt's error under its kind (`Runtime Error: The profile …`), or the first line."""
    lines = [line.strip() for line in ANSI_CODES.sub("", message).splitlines() if line.strip()]
    if DBT_ERRORS_HEADING in lines:
        lines = [line for line in lines[lines.index(DBT_ERRORS_HEADING) + 1 :] if line != "Encountered an error:"]
    if not lines:
        return "unknown error"
    named = [i for i, line in enumerate(lines) if DBT_FAILURE_LINE.search(line)]
    first = named[0] if named else 0
    under = lines[first + 1] if first + 1 < len(lines) else None
    if (named or DBT_ERROR_KIND.fullmatch(lines[first])) and under and not DBT_FAILURE_LINE.search(under):
        return f"{lines[first]}: {under}"
    return lines[first]


def plain_message(error: SerializableErrorInfo) -> str:
    """An error's message without the class name Python writes before it, or an OS error's
    number (`duckdb.duckdb.IOException: IO Error: …` is `IO Error: …`, `NotADirectoryError:
    [Errno 20] Not a directory: …` is `Not a directory: …`)."""
    message = error.message
    if error.cls_name:
        message = re.sub(rf"^(?:[\w.]+\.)?{re.escape(error.cls_name)}: ?", "", message)
    return re.sub(r"^\[Errno \d+\] ", "", message)


RESTORED = "warehouse restored as this run found it"
# What Dagster records when a Ctrl-C stops a step: it raises the interrupt in the step's code.
INTERRUPTIONS = {"DagsterExecutionInterruptedError", "KeyboardInterrupt"}


def failures(result: ExecuteInProcessResult):
    """Each failure of the run, as its event and its error chain (Dagster's wrapper first)."""
    for event in result.all_events:
        if event.event_type in (DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE):
            chain = []
            error = event.event_specific_data and getattr(event.event_specific_data, "error", None)
            while error is not None:
                chain.append(error)
                error = error.cause
            yield event, chain


def first_failure(result: ExecuteInProcessResult) -> str:
    for event, chain in failures(result):
        root = chain[-1] if chain else None  # the root cause, not Dagster's wrapper
        cause = one_line(plain_message(root)) if root and root.message else event.message
        return f"{event.step_key or 'run'}: {cause}"
    return "the run did not succeed"


def was_interrupted(result: ExecuteInProcessResult) -> bool:
    return any(error.cls_name in INTERRUPTIONS for _, chain in failures(result) for error in chain)


def interrupted(label: str, log_path) -> RunInterrupted:
    """A Ctrl-C stopped the run, inside a step (Dagster recorded it) or between its checks."""
    return RunInterrupted(f"run for {label} interrupted; {RESTORED} (details: {log_path})")


@dataclass(frozen=True)
class RunTarget:
    """Where a run of the job writes and what records it: the real warehouse and the project's
    instance (`pbr run`), or a simulation's own warehouse and an instance of its own
    (simulate/run.py), which the UI's record of the real runs never sees."""

    settings: Settings
    instance: Callable[[], DagsterInstance]
    resources: dict[str, object] = field(default_factory=dict)

    @classmethod
    def real(cls) -> RunTarget:
        """The PBR_* variables' locations (the definitions' own resource) and the project's instance."""
        return cls(Settings.from_env(), _instance)

    @classmethod
    def elsewhere(cls, settings: Settings) -> RunTarget:
        """The locations of `settings` (the landing folder and key still the environment's
        variables: an EnvVar when set, never a value held in the run), recorded in memory."""
        locations = {name: str(getattr(settings, name)) for name in VARIABLES if name != "pseudonym_key"}
        return cls(settings, DagsterInstance.ephemeral, {"pipeline": PipelineSettings.from_environment(**locations)})


def run_range(windows: list[str], rerun_through: str, target: RunTarget | None = None) -> RangeRun:
    """One run of the job over every window of the range: one ingest, one dbt build, then
    each window's checkpoint and statements, oldest first. The caller holds the warehouse's
    lock; a run that fails puts the warehouse back as this run found it (its own snapshot,
    nothing else)."""
    # Imported here: loading the definitions needs the dbt manifest, which `pbr` prepares first.
    from pbr_pipeline.definitions import defs

    target = target or RunTarget.real()
    settings = target.settings
    job = defs.resolve_job_def("monthly_payment_run")
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    label = range_label(windows)
    log_path = settings.log_dir / f"run-{label}.log"
    snapshot = take_snapshot(settings.warehouse)
    try:
        # dbt's own output goes to the run's log file; the terminal keeps the progress lines.
        with (
            target.instance() as instance,
            open(log_path, "w", encoding="utf-8") as log,
            contextlib.redirect_stdout(log),
        ):
            result = job.execute_in_process(
                instance=instance,
                run_config=SILENT_DAGSTER_CONSOLE,
                tags={**range_tags(windows), RERUN_THROUGH_TAG: rerun_through},
                raise_on_error=False,
                resources=target.resources or None,
            )
    except BaseException as error:
        restore_snapshot(snapshot)
        if isinstance(error, KeyboardInterrupt):  # between Dagster's own checks for an interrupt
            raise interrupted(label, log_path) from None
        raise
    if not result.success:
        restore_snapshot(snapshot)
        if was_interrupted(result):
            raise interrupted(label, log_path)
        raise RunFailed(f"run for {label} failed at {first_failure(result)}; {RESTORED} (details: {log_path})")
    discard_snapshot(snapshot)
    return RangeRun(windows, result.run_id)


def run_windows(windows: list[str]) -> RangeRun:
    """Every window of the range in one run, holding the warehouse's lock throughout: no other
    writer can come in between."""
    settings = Settings.from_env()
    with warehouse_lock(settings.warehouse):
        check_run_order(runs_so_far(settings.warehouse), windows[0], rerun_through=windows[-1])
        return run_range(windows, rerun_through=windows[-1])


def runs_so_far(warehouse) -> list[str]:
    """The windows run so far: the order is checked before a run starts, as well as in it."""
    if not warehouse.exists():
        return []
    with connect(warehouse) as con:
        return windows_run(con)
