"""Where things are (spec/outputs.md): every location settable from the environment."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
PILOT_CONFIG_DIR = PACKAGE_DIR / "config" / "areas"
# The key used when PBR_PSEUDONYM_KEY is unset: fine for generated data, never for real returns.
DEVELOPMENT_PSEUDONYM_KEY = "pbr-development-key-not-for-real-data"


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

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        key = env.get("PBR_PSEUDONYM_KEY")
        return cls(
            landing_dir=Path(env.get("PBR_LANDING_DIR", "data/landing")).resolve(),
            config_dir=Path(env.get("PBR_CONFIG_DIR", str(PILOT_CONFIG_DIR))).resolve(),
            warehouse=Path(env.get("PBR_WAREHOUSE", "data/warehouse/pbr.duckdb")).resolve(),
            export_dir=Path(env.get("PBR_EXPORT_DIR", "data/exports")).resolve(),
            # GX Data Docs of each run's payment checkpoint.
            validation_dir=Path(env.get("PBR_VALIDATION_DIR", "data/validation")).resolve(),
            # The copy analysts query, published whole at the end of each good run.
            analyst_warehouse=Path(env.get("PBR_ANALYST_WAREHOUSE", "data/warehouse/pbr_analyst.duckdb")).resolve(),
            # Detailed logs of `pbr run` (dbt's output), one file per window.
            log_dir=Path(env.get("PBR_LOG_DIR", "data/logs")).resolve(),
            # `dbt docs generate` output, refreshed at the end of each `pbr run`.
            dbt_docs_dir=Path(env.get("PBR_DBT_DOCS_DIR", "data/dbt_docs")).resolve(),
            pseudonym_key=(key or DEVELOPMENT_PSEUDONYM_KEY).encode("utf-8"),
            using_development_key=not key,
        )

    def warn_if_development_key(self, logger: logging.Logger | None = None) -> None:
        if self.using_development_key:
            (logger or log).warning(
                "PBR_PSEUDONYM_KEY is not set: using the development key. "
                "Attributor hashes made with it must not be used for real returns."
            )
