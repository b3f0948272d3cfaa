"""Where things are (spec/outputs.md): every location settable from the environment.

Locations that are not set explicitly are derived from the warehouse's folder, so that two
warehouses never share an analysts' copy, logs, validation results, docs or statements (a
failed run of one must not restore from, or publish over, the other's files). With no
variable set at all, everything sits under `data/` as the spec's defaults say.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
PILOT_CONFIG_DIR = PACKAGE_DIR / "config" / "areas"
DEFAULT_DATA_DIR = Path("data")
DEFAULT_WAREHOUSE = DEFAULT_DATA_DIR / "warehouse" / "pbr.duckdb"
# The Dagster instance's settings (one run at a time, run monitoring): the repository's copy is
# the one copy, written into an instance folder that has none (`instance_settings`).
INSTANCE_SETTINGS = PACKAGE_DIR.parent / "dagster_home" / "dagster.yaml"
# The key used when PBR_PSEUDONYM_KEY is unset: public, so fine for generated data and never
# for real returns (anyone could recompute a hash from initials, date of birth and sex).
DEVELOPMENT_PSEUDONYM_KEY = "pbr-development-key-not-for-real-data"


class SettingsError(ValueError):
    """An environment variable that must not be used as it is; the message says which and why."""


def key_id(key: bytes) -> str:
    """A short public name of a pseudonym key (which key made a hash), revealing nothing of it."""
    return hmac.new(key, b"pbr-key-id", hashlib.sha256).hexdigest()[:12]


DEVELOPMENT_KEY_ID = key_id(DEVELOPMENT_PSEUDONYM_KEY.encode("utf-8"))


def _pseudonym_key(env) -> tuple[bytes, bool]:
    """The key and whether it is the development one; a set but empty key is an error, not a
    silent fall-back to the public key."""
    key = env.get("PBR_PSEUDONYM_KEY")
    if key is None:
        return DEVELOPMENT_PSEUDONYM_KEY.encode("utf-8"), True
    if not key.strip():
        raise SettingsError("PBR_PSEUDONYM_KEY is set but empty: set the area's key, or unset it for generated data")
    return key.encode("utf-8"), key == DEVELOPMENT_PSEUDONYM_KEY


def _derived_locations(warehouse: Path, explicit: bool) -> dict[str, Path]:
    """Defaults of the locations that follow the warehouse: in its folder, or with no
    PBR_WAREHOUSE the spec's defaults under data/. The analysts' copy is always beside it."""
    root = warehouse.parent if explicit else DEFAULT_DATA_DIR.resolve()
    return {
        "export_dir": root / "exports",
        "validation_dir": root / "validation",
        "log_dir": root / "logs",
        "dbt_docs_dir": root / "dbt_docs",
        "analyst_warehouse": warehouse.with_name(f"{warehouse.stem}_analyst.duckdb"),
    }


# Settings field -> the variable that sets it (spec/outputs.md, "Where things are"). The
# Dagster resource (resources.py) has a field of the same name for each.
VARIABLES = {
    "landing_dir": "PBR_LANDING_DIR",
    "config_dir": "PBR_CONFIG_DIR",
    "warehouse": "PBR_WAREHOUSE",
    "export_dir": "PBR_EXPORT_DIR",
    "validation_dir": "PBR_VALIDATION_DIR",  # GX Data Docs of each run's payment checkpoint
    "analyst_warehouse": "PBR_ANALYST_WAREHOUSE",  # the copy analysts query, published per good run
    "log_dir": "PBR_LOG_DIR",  # `pbr run`'s detailed log per run, dbt's target folder
    "dbt_docs_dir": "PBR_DBT_DOCS_DIR",  # the dbt docs, one static page (index.html)
    "pseudonym_key": "PBR_PSEUDONYM_KEY",
}


def dagster_home(environ: Mapping[str, str] | None = None) -> Path:
    """The Dagster instance folder `pbr` records its runs in, so that the UI shows them:
    DAGSTER_HOME when set; otherwise `dagster_home/` beside an explicit PBR_WAREHOUSE (two
    warehouses never share an instance), or in the folder the command runs in (where `make ui`
    looks). The UI reads the instance, never the warehouse: it is not a PBR_* location."""
    env = os.environ if environ is None else environ
    if env.get("DAGSTER_HOME"):
        return Path(env["DAGSTER_HOME"]).expanduser().resolve()
    if env.get("PBR_WAREHOUSE"):
        return Path(env["PBR_WAREHOUSE"]).resolve().parent / "dagster_home"
    return Path("dagster_home").resolve()


def instance_settings(home: Path) -> Path:
    """The instance folder's dagster.yaml, the project's own written there if it has none (an
    existing one is the instance owner's and is left as it is)."""
    home.mkdir(parents=True, exist_ok=True)
    written = home / INSTANCE_SETTINGS.name
    if not written.exists():
        shutil.copyfile(INSTANCE_SETTINGS, written)
    return written


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    config_dir: Path
    warehouse: Path
    export_dir: Path
    validation_dir: Path
    analyst_warehouse: Path
    log_dir: Path
    dbt_docs_dir: Path
    pseudonym_key: bytes
    using_development_key: bool

    @property
    def pseudonym_key_id(self) -> str:
        return key_id(self.pseudonym_key)

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's target folder for the runs: kept between runs, so that dbt re-parses only
        what changed (its partial parse is stored there)."""
        return self.log_dir / "dbt-target"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings from the PBR_* variables of `environ` (os.environ by default): the one
        place where an unset (or, for a location, empty) variable gets its default. Relative
        paths are taken from the current folder."""
        env = os.environ if environ is None else environ
        warehouse = Path(env.get("PBR_WAREHOUSE") or DEFAULT_WAREHOUSE).resolve()
        derived = _derived_locations(warehouse, explicit=bool(env.get("PBR_WAREHOUSE")))
        for field_name in derived:
            if env.get(VARIABLES[field_name]):
                derived[field_name] = Path(env[VARIABLES[field_name]]).resolve()
        key, development = _pseudonym_key(env)
        return cls(
            landing_dir=Path(env.get("PBR_LANDING_DIR") or "data/landing").resolve(),
            config_dir=Path(env.get("PBR_CONFIG_DIR") or str(PILOT_CONFIG_DIR)).resolve(),
            warehouse=warehouse,
            pseudonym_key=key,
            using_development_key=development,
            **derived,
        )

    def warn_if_development_key(self, logger: logging.Logger | None = None) -> None:
        if self.using_development_key:
            (logger or log).warning(
                "PBR_PSEUDONYM_KEY is not set: using the development key. "
                "Attributor hashes made with it must not be used for real returns, and its runs cannot be finalised."
            )
