"""Short progress lines for people running the pipeline from a shell.

Assets report each stage both to the Dagster run log and to the `pbr.progress` logger, which
the `pbr` command prints; Dagster's own console logger stays silent (its event log, shown in
the UI, keeps everything).
"""

from __future__ import annotations

import logging

progress_log = logging.getLogger("pbr.progress")


def report(context, window: str, stage: str, message: str) -> None:
    line = f"[{window}] {stage}: {message}"
    context.log.info(line)
    progress_log.info(line)


def warn(context, window: str, stage: str, message: str) -> None:
    line = f"[{window}] {stage}: {message}"
    context.log.warning(line)
    progress_log.warning(line)


def range_label(windows: list[str]) -> str:
    """`2012-04` for one window, `2012-04..2014-03` for a range."""
    return windows[0] if len(windows) == 1 else f"{windows[0]}..{windows[-1]}"


def report_range(context, windows: list[str], stage: str, message: str) -> None:
    """A stage that works on every window of the run at once."""
    report(context, range_label(windows), stage, message)
