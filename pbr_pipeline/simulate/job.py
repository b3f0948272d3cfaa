"""`simulate_tariff`: `pbr simulate` as a Dagster job, launched from the UI's launchpad.

One op, whose run config is the command's options: the configuration folder, the first and
last window compared and the output folder. It runs the same simulation (simulate/run.py): the
monthly job in-process against `OUT/simulation.duckdb`, recorded in an ephemeral instance of its
own, so the UI's record of the real runs never sees the simulated windows. The op needs no
`pipeline` resource: that resource locks the real warehouse and creates its tables, and a
simulation never opens the real warehouse. The comparison is the metadata of the op's output,
shown on the run's page (the event log's output event).
"""

# No `from __future__ import annotations`: Dagster reads the op's config class from its annotation.
import contextlib
import logging
from pathlib import Path

from dagster import (
    Config,
    Failure,
    MetadataValue,
    Nothing,
    OpExecutionContext,
    Out,
    Output,
    in_process_executor,
    job,
    op,
)
from pydantic import Field

from pbr_pipeline.assets.display import count_value, money_value, table_value
from pbr_pipeline.config import ConfigError
from pbr_pipeline.payments.runs import RunFailed, RunInterrupted
from pbr_pipeline.progress import progress_log
from pbr_pipeline.simulate import SimulationError
from pbr_pipeline.simulate.run import (
    COMPARISON_CSV,
    COMPARISON_HTML,
    SimulationResult,
    plan_simulation,
    simulate,
)

# What a simulation refuses with a one-line reason (as `pbr simulate` does): a configuration
# that fails validation, a window out of range, an output folder of the real runs, a failed run.
REFUSALS = (ConfigError, SimulationError, ValueError, RunFailed)

COMPARISON_COLUMNS = [
    ("area", "text"),
    ("provider", "text"),
    ("kind", "text"),
    ("outcome_code", "text"),
    ("actual", "money"),
    ("simulated", "money"),
    ("difference", "money"),
]
LARGEST_COLUMNS = [("line", "text"), ("difference", "money")]


class SimulationConfig(Config):
    """The options of `pbr simulate`: what the launchpad asks for."""

    config_dir: str = Field(
        description="The configuration folder to simulate (area YAMLs, like PBR_CONFIG_DIR), "
        "e.g. a copy of the real one with other weights or tariffs. An absolute path."
    )
    first: str = Field(description='The first window compared, YYYY-MM (quote it in YAML: "2013-04").')
    last: str = Field(description="The last window compared, YYYY-MM.")
    out: str = Field(
        description="A folder of the simulation's own, outside the real runs' folders: simulation.duckdb, "
        "comparison.csv and comparison.html are written there (a previous simulation's are replaced)."
    )


class _ToRunLog(logging.Handler):
    """The pipeline's progress lines (the `pbr.progress` logger) into the op's log."""

    def __init__(self, context: OpExecutionContext):
        super().__init__(logging.INFO)
        self.context = context

    def emit(self, record: logging.LogRecord) -> None:
        log = self.context.log.warning if record.levelno >= logging.WARNING else self.context.log.info
        log(record.getMessage())


@contextlib.contextmanager
def progress_to(context: OpExecutionContext):
    """For the op's duration, the inner run's progress lines go to the op's log too."""
    handler, level = _ToRunLog(context), progress_log.level
    progress_log.addHandler(handler)
    if progress_log.getEffectiveLevel() > logging.INFO:
        progress_log.setLevel(logging.INFO)
    try:
        yield
    finally:
        progress_log.removeHandler(handler)
        progress_log.setLevel(level)


def comparison_metadata(result: SimulationResult) -> dict[str, MetadataValue]:
    comparison = result.comparison
    plan = comparison.plan
    rows = [
        (r.area, r.provider, r.kind, r.outcome_code or "", r.actual_amount, r.simulated_amount, r.difference)
        for r in comparison.rows
    ]
    # The run's page shows the entries in this order: the figures and links first, the table of
    # every line (as long as the comparison) last.
    return {
        "total_actual": money_value(comparison.total_actual),
        "total_simulated": money_value(comparison.total_simulated),
        "difference": money_value(comparison.total_difference),
        "largest_differences": table_value(LARGEST_COLUMNS, [(r.line, r.difference) for r in comparison.largest]),
        "windows_compared": count_value(len(plan.windows)),
        "windows_paid_by_real_runs": count_value(len(comparison.windows_actual)),
        "windows_run": count_value(len(plan.run_windows)),
        "seconds": count_value(round(result.seconds)),
        "comparison_html": MetadataValue.url((plan.out / COMPARISON_HTML).as_uri()),
        "comparison_csv": MetadataValue.path(str(plan.out / COMPARISON_CSV)),
        "simulation_warehouse": MetadataValue.path(str(plan.settings.warehouse)),
        "config_dir": MetadataValue.path(str(plan.config_dir)),
        "comparison": table_value(COMPARISON_COLUMNS, rows),
    }


@op(
    name="simulation",
    out=Out(Nothing, description="The comparison, as metadata: totals, every line, the largest differences."),
    description="Re-run the windows from the first to the last on the same landed returns under the "
    "configuration folder given, into OUT/simulation.duckdb, and compare them with what the real runs paid.",
)
def simulation(context: OpExecutionContext, config: SimulationConfig):
    try:
        plan = plan_simulation(Path(config.config_dir), config.first, config.last, Path(config.out))
        plan.real.warn_if_development_key(context.log)
        with progress_to(context):
            result = simulate(plan, say=context.log.info)
    except RunInterrupted:  # the run was stopped (terminated from the UI): not a refusal
        raise
    except REFUSALS as error:
        raise Failure(description=str(error), allow_retries=False) from None
    for line in result.comparison.summary_lines():
        context.log.info(line)
    yield Output(None, metadata=comparison_metadata(result))


@job(
    name="simulate_tariff",
    executor_def=in_process_executor,
    description="Simulate another configuration (weights, tariffs) on the real history: re-run the windows "
    "into a warehouse of its own and compare what it would have paid with what was paid. Never touches the "
    "real warehouse, exports or analysts' copy. Launch it with the configuration folder, the first and last "
    "window compared and an output folder as run config; the comparison is the run's output metadata.",
)
def simulate_tariff():
    simulation()
