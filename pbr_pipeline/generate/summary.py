"""What a generation run produced, for the command line to print and for callers to check."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pbr_pipeline.generate.writer import defects_path


@dataclass(frozen=True)
class GenerationSummary:
    out_dir: Path
    scale: str
    seed: int
    first_window: str
    last_window: str
    windows: int
    submissions: int
    rows: dict[str, int]  # table -> data rows written, defective submissions included
    defects: int  # entries of defects.json
    journeys: int  # INITIAL assessments sent within the range
    config_dir: Path  # the configuration folder the submissions need (PBR_CONFIG_DIR)
    areas: int = 0
    defects_by_level: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        total = sum(self.rows.values())
        per_table = ", ".join(f"{table} {count:,}" for table, count in self.rows.items())
        levels = ", ".join(f"{count:,} {level}-level" for level, count in sorted(self.defects_by_level.items()))
        return "\n".join(
            [
                f"Generated {self.windows} windows ({self.first_window} to {self.last_window}), "
                f"{self.scale} scale, seed {self.seed}, into {self.out_dir}",
                f"  {self.areas} areas, {self.journeys:,} journeys, {self.submissions:,} submissions, {total:,} rows",
                f"  rows: {per_table}",
                f"  {self.defects:,} injected defects ({levels or 'none'}) listed in {defects_path(self.out_dir)}",
                f"  configuration: {self.config_dir} (use it as PBR_CONFIG_DIR)",
            ]
        )
