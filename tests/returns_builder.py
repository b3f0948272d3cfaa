"""Hand-made submissions for tests: correct by default, each defect switched on by a keyword."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

HEADERS = {
    "assessments": "assessment_id,pbr_id,initials,date_of_birth,sex,assessment_date,assessment_type,tariff_band,primary_substance,secondary_substance,pathway,referred_to,deleted",
    "episodes": "episode_id,pbr_id,pathway,referral_date,triage_date,discharge_date,discharge_reason,deleted",
    "top": "top_id,pbr_id,episode_id,top_date,stage,opiates_days,crack_days,cocaine_days,amphetamines_days,cannabis_days,alcohol_days,other_days,alcohol_units,injecting_days,shoplifting_days,drug_selling_days,psych_health,phys_health,quality_of_life,acute_housing_problem,risk_of_eviction,paid_work_days,education_days,deleted",
    "interventions": "intervention_id,pbr_id,intervention,intervention_date,deleted",
    "offences": "offence_id,pbr_id,offence_date,disposal_date,offence_group,deleted",
    "employment": "spell_id,pbr_id,start_date,end_date,deleted",
}


def csv_bytes(table: str, rows: list[str], header: str | None = None) -> bytes:
    return ("\n".join([header or HEADERS[table], *rows]) + "\n").encode("utf-8")


def write_submission(
    landing: Path,
    submitter: str,
    window: str,
    seq: int,
    files: dict[str, bytes],
    *,
    manifest_overrides: dict | None = None,
    listed: dict[str, dict] | None = None,
    folder_name: str | None = None,
    as_zip: bool = False,
    omit_manifest: bool = False,
) -> Path:
    """Write a submission under landing/<window>/; `listed` overrides manifest file entries."""
    name = folder_name or f"{submitter}_{window}_{seq:02d}"
    entries = {
        file: {
            "rows": content.decode("utf-8", "replace").strip("\n").count("\n"),
            "sha256": hashlib.sha256(content).hexdigest(),
        }
        for file, content in files.items()
    }
    entries.update(listed or {})
    manifest = {
        "spec_version": "1",
        "submitter": submitter,
        "window": window,
        "seq": seq,
        "created_at": f"{window}-28T09:00:00Z",
        "files": entries,
    }
    manifest.update(manifest_overrides or {})
    contents = dict(files)
    if not omit_manifest:
        contents["manifest.json"] = json.dumps(manifest, indent=2).encode()
    folder = landing / window
    folder.mkdir(parents=True, exist_ok=True)
    if as_zip:
        path = folder / f"{name}.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for file, content in sorted(contents.items()):
                archive.writestr(file, content)
        return path
    path = folder / name
    path.mkdir()
    for file, content in contents.items():
        (path / file).write_bytes(content)
    return path
