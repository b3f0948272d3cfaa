"""Load and validate the commissioning configuration (spec/config.md).

Every problem is raised as a ConfigError naming the file, the key and what is wrong, before any
data is touched. The rules are the models' (models.py); the YAML is read by yaml_source.py.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from pbr_pipeline.config.errors import ConfigError, first_config_error
from pbr_pipeline.config.models import AreaConfig, Areas
from pbr_pipeline.config.yaml_source import read_area_file


def load_area_file(path: Path) -> AreaConfig:
    """Read one area file, applying every per-file rule of spec/config.md."""
    data = read_area_file(path)
    try:
        return AreaConfig.model_validate(data, context={"file": path})
    except ValidationError as error:
        raise first_config_error(path, error) from None


def load_areas(config_dir: Path) -> Areas:
    """Read every *.yaml of a folder and apply the rules that span files."""
    config_dir = Path(config_dir)
    files = sorted(config_dir.glob("*.yaml")) + sorted(config_dir.glob("*.yml"))
    if not files:
        raise ConfigError(config_dir, "<folder>", "holds no area configuration (*.yaml)")
    configs: list[AreaConfig] = []
    for path in files:
        try:
            configs.append(load_area_file(path))
        except ConfigError:
            # Each file is checked against the ones read before it, as soon as it is read.
            _areas(config_dir, configs)
            raise
    return _areas(config_dir, configs)


def _areas(config_dir: Path, configs: list[AreaConfig]) -> Areas:
    try:
        return Areas(areas=tuple(configs))
    except ValidationError as error:
        raise first_config_error(config_dir, error) from None
