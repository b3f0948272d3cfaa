"""Commissioning configuration: one validated YAML per area (spec/config.md)."""

from pbr_pipeline.config.errors import ConfigError
from pbr_pipeline.config.loader import load_area_file, load_areas
from pbr_pipeline.config.models import AreaConfig, Areas, Band, Contract, Schedule, Submitter, Thresholds

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
