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
