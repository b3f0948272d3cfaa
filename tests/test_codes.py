"""The code lists of pbr_pipeline/codes.py, read from the dbt seeds, against the specification."""

from __future__ import annotations

import re

from pbr_pipeline import codes
from tests.conftest import REPO

SPEC = REPO.parent / "shared" / "spec"


def test_the_outcome_codes_are_the_specs_rules_in_its_order():
    rules = (SPEC / "outcomes.md").read_text(encoding="utf-8").split("## The rules", 1)[1].split("\n## ", 1)[0]
    assert tuple(re.findall(r"^\| `([A-Z0-9_]+)` \|", rules, flags=re.M)) == codes.OUTCOME_CODES
    assert len(codes.OUTCOME_CODES) == 10


def test_the_discharge_codes_and_the_successful_ones_are_the_specs():
    returns = (SPEC / "returns.md").read_text(encoding="utf-8")
    listed = returns.split("Discharge codes (NDTMS):", 1)[1].split("\n\n", 1)[0]
    assert tuple(re.findall(r"`(\d\d)` (?:completed|transferred|incomplete)", listed)) == codes.DISCHARGE_CODES
    assert tuple(str(code) for code in range(80, 90)) == codes.DISCHARGE_CODES
    successful = re.search(r"`(\d\d)`, `(\d\d)` and `(\d\d)` are the \*\*successful\*\*", listed)
    assert codes.SUCCESSFUL_DISCHARGE_CODES == successful.groups() == ("80", "81", "82")


def test_the_monitors_discharge_groups_are_the_specs():
    indicators = (SPEC / "monitoring.md").read_text(encoding="utf-8").split("## Indicators", 1)[1]
    transfers = re.search(r"transfers \(`(\d\d)`, `(\d\d)`\) left out", indicators)
    assert codes.TRANSFER_DISCHARGE_CODES == transfers.groups() == ("83", "84")
    declined = re.search(r"those with code `(\d\d)` or `(\d\d)`", indicators)
    assert codes.DECLINED_OR_DROPPED_DISCHARGE_CODES == declined.groups() == ("85", "88")


def test_the_submission_statuses_are_the_specs_and_only_a_loaded_one_is_in_force():
    outputs = (SPEC / "outputs.md").read_text(encoding="utf-8")
    listed = outputs.split("### quality.submissions", 1)[1].split("\n### ", 1)[0]
    named = re.search(r"`status` \(([^)]*)\)", listed).group(1)
    assert sorted(codes.SubmissionStatus) == sorted(re.findall(r"`([A-Z]+)`", named))
    assert codes.IN_FORCE_STATUSES == ("LOADED",)
    assert codes.ROWS_LOADED_STATUSES == ("LOADED", "SUPERSEDED")
