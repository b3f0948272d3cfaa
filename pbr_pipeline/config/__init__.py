"""Commissioning configuration: one validated YAML per area (spec/config.md)."""

from pbr_pipeline.config.loader import (
    AreaConfig,
    Areas,
    Band,
    ConfigError,
    Contract,
    Schedule,
    Submitter,
    Thresholds,
    load_area_file,
    load_areas,
)

__all__ = [
    "AreaConfig",
    "Areas",
    "Band",
    "ConfigError",
    "Contract",
    "Schedule",
    "Submitter",
    "Thresholds",
    "load_area_file",
    "load_areas",
]
