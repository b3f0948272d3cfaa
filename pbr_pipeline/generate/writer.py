"""Writing the landing tree: window by window, submission by submission, plus defects.json."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pbr_pipeline.generate import artefacts as build
from pbr_pipeline.generate.areas import Registry
from pbr_pipeline.generate.artefacts import Artefact, Submission
from pbr_pipeline.generate.defects import RowDefectPlan
from pbr_pipeline.generate.formatting import FileContent, file_content, format_window
from pbr_pipeline.generate.submissions import NORMAL, REJECTED, RESUBMITTED, ZIPPED, Unit, UnitPlan
from pbr_pipeline.windows import window_name

# Stream numbers for numpy.random.default_rng([seed, stream, ...]): one per purpose, so that a
# change in how one thing is drawn leaves every other draw as it was.
UNIT_STREAM = 90


@dataclass
class WriteResult:
    submissions: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    defects: list[dict] = field(default_factory=list)


def write_windows(
    out_dir: Path,
    tables: dict[str, pd.DataFrame],
    registry: Registry,
    unit_plans: dict[Unit, UnitPlan],
    row_plan: RowDefectPlan,
    windows: range,
    seed: int,
    unknown_codes: dict[str, str],
    progress: Callable[[str], None] | None,
) -> WriteResult:
    """Write every window's submissions; tables must be sorted by formatting.sort_for_writing."""
    result = WriteResult(rows={name: 0 for name in tables})
    starts = {name: t["_win"].to_numpy() for name, t in tables.items()}
    for window in windows:
        contents = _window_contents(tables, starts, window, row_plan)
        written, rows = 0, 0
        for submitter in sorted(contents):
            unit = Unit(window, submitter)
            submission = Submission(
                registry.codes[submitter], window, 1, build.created_at(window, submitter, 1), contents[submitter]
            )
            rng = np.random.default_rng([seed, UNIT_STREAM, window, submitter])
            for artefact in _artefacts(submission, unit_plans[unit], rng, unknown_codes, submitter):
                _write(out_dir, artefact)
                written += 1
                rows += sum(artefact.rows.values())
                for table, count in artefact.rows.items():
                    result.rows[table] = result.rows.get(table, 0) + count
                result.defects.extend(artefact.defects)
            if unit_plans[unit].takes_row_defects:
                result.defects.extend(_row_defect_entries(submission, unit_plans[unit], row_plan))
        result.submissions += written
        if progress:
            progress(f"{window_name(window)}: {written} submissions, {rows:,} rows")
    result.defects.sort(key=_defect_order)
    return result


def _window_contents(tables, starts, window: int, row_plan: RowDefectPlan) -> dict[int, dict[str, FileContent]]:
    """Submitter index -> file name -> content, for one window."""
    contents: dict[int, dict[str, FileContent]] = {}
    for name, table in tables.items():
        low, high = np.searchsorted(starts[name], [window, window + 1])
        if low == high:
            continue
        rows = table.iloc[low:high]
        texts, uids = format_window(rows, name, row_plan.overrides.get(name, {}))
        subs = rows["_sub"].to_numpy()
        duplicates = row_plan.duplicates.get(name, set())
        for submitter in np.unique(subs):
            start, stop = np.searchsorted(subs, [submitter, submitter + 1])
            content = file_content(name, texts, uids, start, stop, duplicates)
            contents.setdefault(int(submitter), {})[content.name] = content
    return contents


def _artefacts(submission: Submission, plan: UnitPlan, rng, unknown_codes, submitter: int) -> list[Artefact]:
    if plan.kind == NORMAL:
        return [build.clean(submission)]
    if plan.kind == ZIPPED:
        return [build.clean(submission, zipped=True)]
    if plan.kind == RESUBMITTED:
        return [build.clean(build.partial(submission, rng)), build.clean(build.resent(submission, 2, submitter))]
    assert plan.kind == REJECTED
    if plan.code == "STALE_SEQ":
        return [build.clean(submission), build.stale_zip(submission, rng)]
    if plan.code == "UNKNOWN_SUBMITTER":
        unknown = unknown_codes[submission.submitter]
        return [build.clean(submission), build.rejected(submission, plan.code, plan.variant, unknown)]
    # The provider hears of the rejection and sends the same content again, correctly.
    return [
        build.rejected(submission, plan.code, plan.variant),
        build.clean(build.resent(submission, 2, submitter)),
    ]


def _row_defect_entries(submission: Submission, plan: UnitPlan, row_plan: RowDefectPlan) -> list[dict]:
    entries = []
    for content in submission.files.values():
        planned = row_plan.defects.get(content.table, {})
        if not planned:
            continue
        for position, uid in enumerate(content.uids):
            defect = planned.get(uid)
            if defect is None:
                continue
            entries.append(
                {
                    "submission_id": submission.name,
                    "window": window_name(submission.window),
                    "file": content.name,
                    "line": position + 2,  # line 1 is the header
                    "column": defect.column,
                    "code": defect.code,
                    "level": "row",
                    "path": f"{window_name(submission.window)}/{submission.name}"
                    + (".zip" if plan.kind == ZIPPED else ""),
                }
            )
    return entries


def _write(out_dir: Path, artefact: Artefact) -> None:
    window_dir = out_dir / artefact.window
    window_dir.mkdir(parents=True, exist_ok=True)
    if artefact.zipped:
        data = (
            artefact.raw_zip if artefact.raw_zip is not None else build.zip_bytes(artefact.members, artefact.created_at)
        )
        (window_dir / f"{artefact.submission_id}.zip").write_bytes(data)
        return
    folder = window_dir / artefact.submission_id
    folder.mkdir()
    for name, data in artefact.members.items():
        (folder / name).write_bytes(data)


def _defect_order(entry: dict) -> tuple:
    return (
        entry["window"],
        entry["submission_id"],
        entry["path"],
        entry["file"] or "",
        entry["line"] or 0,
        entry["column"] or "",
        entry["code"],
    )


def extras_dir(out_dir: Path) -> Path:
    """Where the generator puts what is not a submission (defects.json, a national configuration):
    beside the landing tree, not in it, since every entry in a landing is taken as a return."""
    return out_dir.with_name(f"{out_dir.name}.generated")


def defects_path(out_dir: Path) -> Path:
    return extras_dir(out_dir) / "defects.json"


def write_defects(out_dir: Path, defects: list[dict]) -> None:
    """One entry per line: a large list stays readable and diffs well."""
    lines = ",\n".join("  " + json.dumps(entry) for entry in defects)
    defects_path(out_dir).parent.mkdir(parents=True, exist_ok=True)
    defects_path(out_dir).write_text("[\n" + lines + ("\n" if lines else "") + "]\n", encoding="utf-8")
