"""Why a payment line changed (spec/payments.md, "Why a line changed"), end to end: hand-made
returns over two windows, run by the real `pbr run`, and each reason read back from
marts.payment_lines with its amounts to the penny.

The scenario (area OXF, config written by the test so contracts, caps and prices are known):

- window 2012-04, the base: every line is paid for the first time (NEW, EARNED);
- window 2012-05, late and corrected data, one piece per case:
  1. journey OXF-000001#1 completed (D3) at band 1; LASAR sends a REVIEW dated before the
     discharge that puts the journey in band 3: AMOUNT_CHANGED, `band 1 -> 3`;
  2. journey OXF-000002#1 attached to OXF-OXHEALTH; OXF-LIFELINE sends an episode with an
     earlier triage date, so its first episode (and the attachment) is LIFELINE's:
     PROVIDER_CHANGED, `provider OXF-OXHEALTH -> OXF-LIFELINE`;
  3. journey OXF-000003#1 attached to LIFELINE on 2012-04-28, in its April contract; LIFELINE
     corrects the triage date to 2012-05-02, in its next contract: CONTRACT_CHANGED,
     `contract OXF-REC-1 -> OXF-REC-2`;
  4. OXF-TURNPOINT's capped contract paid journey OXF-000004#1's attachment (earned
     2012-04-20) in full; a late journey OXF-000005#1 attached on 2012-04-05 takes the cap
     first: AMOUNT_CHANGED, `payable 99.99 -> 50.01 (cap position)`, and the late line is
     NEW, EARNED.

The contract boundary sits at a month end in April 2012 (not the financial year end) so that
the whole scenario needs only the first two windows: runs must start at 2012-04."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.conftest import PipelineRun
from tests.returns_builder import csv_bytes, write_submission

WINDOWS = ("2012-04", "2012-05")
BASE, LATE = WINDOWS

# Prices with pennies so that rounding (half up, once per line) shows in the amounts:
# D3 at band 1 = 1234.56 x 0.20 = 246.912 -> 246.91; at band 3 = 3210.99 x 0.20 = 642.198 -> 642.20.
CONFIG = """\
area: OXF
name: Oxfordshire (change reasons test)
rule_set: national-2011
submitters:
  - {code: OXF-AQUARIUS, role: LASAR}
  - {code: OXF-LIFELINE, role: PROVIDER}
  - {code: OXF-OXHEALTH, role: PROVIDER}
  - {code: OXF-TURNPOINT, role: PROVIDER}
contracts:
  - {id: OXF-REC-1, provider: OXF-LIFELINE, start: 2012-04-01, end: 2012-04-30}
  - {id: OXF-REC-2, provider: OXF-LIFELINE, start: 2012-05-01, end: 2015-03-31}
  - {id: OXF-HM, provider: OXF-OXHEALTH, start: 2012-04-01, end: 2015-03-31}
  - {id: OXF-TP, provider: OXF-TURNPOINT, start: 2012-04-01, end: 2015-03-31, annual_cap_gbp: 150}
schedules:
  - effective_from: 2012-04-01
    conversion_payment_gbp: 400
    bands:
      - {band: 1, attachment_fee_gbp: 99.99, outcome_tariff_gbp: 1234.56}
      - {band: 2, attachment_fee_gbp: 180.50, outcome_tariff_gbp: 2000}
      - {band: 3, attachment_fee_gbp: 300, outcome_tariff_gbp: 3210.99}
    weights: {D1_REDUCED_USE: 0.05, D2_ABSTINENT: 0.15, D3_COMPLETED: 0.20, D4_SUSTAINED: 0.25,
              H1_INJECTING_CEASED: 0.05, H2_HOUSING_RESOLVED: 0.05, H3_HEPB_COMPLETED: 0.025,
              H4_QOL_NORMATIVE: 0.075, O1_OFFENDING: 0.15, E1_EMPLOYMENT: 0.0}
"""


def assessment(assessment_id, pbr_id, initials, born, sex, day, kind, band, provider):
    return f"{assessment_id},{pbr_id},{initials},{born},{sex},{day},{kind},{band},OPIATES,,RECOVERY,{provider},"


def episode(episode_id, pbr_id, pathway, referral, triage, discharge="", reason=""):
    return f"{episode_id},{pbr_id},{pathway},{referral},{triage},{discharge},{reason},"


def submit(landing, submitter, window, table, rows):
    write_submission(landing, submitter, window, 1, {f"{table}.csv": csv_bytes(table, rows)})


def write_landing(landing):
    # 2012-04: the base. Journey 1 completes with OXHEALTH (D3 on 2012-04-20, band 1); journey 2
    # starts with OXHEALTH; journey 3 with LIFELINE on 2012-04-28 (contract OXF-REC-1);
    # journey 4 with TURNPOINT on 2012-04-20, alone under its cap.
    submit(
        landing,
        "OXF-AQUARIUS",
        BASE,
        "assessments",
        [
            assessment("A1", "OXF-000001", "JB", "1975-03-14", "M", "2012-04-02", "INITIAL", 1, "OXF-OXHEALTH"),
            assessment("A2", "OXF-000002", "KT", "1981-11-02", "F", "2012-04-02", "INITIAL", 2, "OXF-OXHEALTH"),
            assessment("A3", "OXF-000003", "RM", "1969-07-30", "M", "2012-04-25", "INITIAL", 2, "OXF-LIFELINE"),
            assessment("A4", "OXF-000004", "SD", "1990-01-09", "F", "2012-04-16", "INITIAL", 1, "OXF-TURNPOINT"),
        ],
    )
    submit(
        landing,
        "OXF-OXHEALTH",
        BASE,
        "episodes",
        [
            episode("H1", "OXF-000001", "RECOVERY", "2012-04-02", "2012-04-03", "2012-04-20", "80"),
            episode("H2", "OXF-000002", "RECOVERY", "2012-04-03", "2012-04-20"),
        ],
    )
    submit(
        landing, "OXF-LIFELINE", BASE, "episodes", [episode("L3", "OXF-000003", "RECOVERY", "2012-04-26", "2012-04-28")]
    )
    submit(
        landing,
        "OXF-TURNPOINT",
        BASE,
        "episodes",
        [episode("T4", "OXF-000004", "RECOVERY", "2012-04-17", "2012-04-20")],
    )

    # 2012-05: the late and corrected data.
    submit(
        landing,
        "OXF-AQUARIUS",
        LATE,
        "assessments",
        [
            # case 1: a review dated before the discharge of 2012-04-20 moves the band to 3
            assessment("A1R", "OXF-000001", "JB", "1975-03-14", "M", "2012-04-10", "REVIEW", 3, "OXF-OXHEALTH"),
            # case 4: a journey LASAR reports late, assessed before journey 4's
            assessment("A5", "OXF-000005", "PW", "1985-05-21", "M", "2012-04-03", "INITIAL", 1, "OXF-TURNPOINT"),
        ],
    )
    submit(
        landing,
        "OXF-LIFELINE",
        LATE,
        "episodes",
        [
            # case 2: LIFELINE saw journey 2 first (2012-04-10, before OXHEALTH's 2012-04-20)
            episode("L2", "OXF-000002", "RECOVERY", "2012-04-05", "2012-04-10"),
            # case 3: episode L3 corrected, its triage in May: the attachment moves to OXF-REC-2
            episode("L3", "OXF-000003", "RECOVERY", "2012-04-26", "2012-05-02"),
        ],
    )
    # case 4: journey 5 started on 2012-04-05, before journey 4, under the same capped contract
    submit(
        landing,
        "OXF-TURNPOINT",
        LATE,
        "episodes",
        [episode("T5", "OXF-000005", "RECOVERY", "2012-04-04", "2012-04-05")],
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> PipelineRun:
    root = tmp_path_factory.mktemp("change_reasons")
    config = root / "config"
    config.mkdir()
    (config / "oxf.yaml").write_text(CONFIG)
    write_landing(root / "landing")
    pipeline = PipelineRun(root, root / "landing", config)
    pipeline.pbr("run", "--from", WINDOWS[0], "--to", WINDOWS[-1])
    return pipeline


def lines(run: PipelineRun, line_key: str) -> list[tuple]:
    """The key's payment lines over all windows: window, status, provider, contract, amount, reason, detail."""
    return run.query(
        """SELECT payment_window, status, provider, contract_id, amount, change_reason, change_detail
           FROM marts.payment_lines WHERE line_key = ?
           ORDER BY payment_window, status DESC""",  # REVERSAL before NEW, as statements list them
        [line_key],
    )


def test_the_base_window_pays_every_line_once_as_earned(run):
    assert run.query(
        "SELECT line_key, status, provider, contract_id, amount, change_reason, change_detail "
        "FROM marts.payment_lines WHERE payment_window = ? ORDER BY line_key",
        [BASE],
    ) == [
        (
            "OXF-000001#1|ATTACHMENT|",
            "NEW",
            "OXF-OXHEALTH",
            "OXF-HM",
            D("99.99"),
            "EARNED",
            "earned 2012-04-03, payable 99.99",
        ),
        (
            "OXF-000001#1|OUTCOME|D3_COMPLETED",
            "NEW",
            "OXF-OXHEALTH",
            "OXF-HM",
            D("246.91"),
            "EARNED",
            "earned 2012-04-20, payable 246.91",
        ),
        (
            "OXF-000002#1|ATTACHMENT|",
            "NEW",
            "OXF-OXHEALTH",
            "OXF-HM",
            D("180.50"),
            "EARNED",
            "earned 2012-04-20, payable 180.50",
        ),
        (
            "OXF-000003#1|ATTACHMENT|",
            "NEW",
            "OXF-LIFELINE",
            "OXF-REC-1",
            D("180.50"),
            "EARNED",
            "earned 2012-04-28, payable 180.50",
        ),
        (
            "OXF-000004#1|ATTACHMENT|",
            "NEW",
            "OXF-TURNPOINT",
            "OXF-TP",
            D("99.99"),
            "EARNED",
            "earned 2012-04-20, payable 99.99",
        ),
    ]


def test_a_late_review_changes_the_band_of_a_paid_outcome(run):
    rows = lines(run, "OXF-000001#1|OUTCOME|D3_COMPLETED")
    assert [row[:6] for row in rows] == [
        (BASE, "NEW", "OXF-OXHEALTH", "OXF-HM", D("246.91"), "EARNED"),
        (LATE, "REVERSAL", "OXF-OXHEALTH", "OXF-HM", D("-246.91"), "AMOUNT_CHANGED"),
        (LATE, "NEW", "OXF-OXHEALTH", "OXF-HM", D("642.20"), "AMOUNT_CHANGED"),
    ]
    for row in rows[1:]:
        assert "band 1 -> 3" in row[6] and "payable 246.91 -> 642.20" in row[6], row[6]
    # The attachment, earned on 2012-04-03 before the review, keeps band 1: no line moves.
    assert [row[:2] for row in lines(run, "OXF-000001#1|ATTACHMENT|")] == [(BASE, "NEW")]


def test_an_earlier_first_episode_from_another_provider_moves_the_attachment(run):
    rows = lines(run, "OXF-000002#1|ATTACHMENT|")
    assert [row[:6] for row in rows] == [
        (BASE, "NEW", "OXF-OXHEALTH", "OXF-HM", D("180.50"), "EARNED"),
        (LATE, "REVERSAL", "OXF-OXHEALTH", "OXF-HM", D("-180.50"), "PROVIDER_CHANGED"),
        (LATE, "NEW", "OXF-LIFELINE", "OXF-REC-1", D("180.50"), "PROVIDER_CHANGED"),
    ]
    # The contract changes with the provider: the provider, first in the spec's order, names it.
    for row in rows[1:]:
        assert "provider OXF-OXHEALTH -> OXF-LIFELINE" in row[6], row[6]
        assert "earned 2012-04-20 -> 2012-04-10" in row[6], row[6]


def test_a_corrected_start_across_a_contract_boundary_changes_the_contract(run):
    rows = lines(run, "OXF-000003#1|ATTACHMENT|")
    assert [row[:6] for row in rows] == [
        (BASE, "NEW", "OXF-LIFELINE", "OXF-REC-1", D("180.50"), "EARNED"),
        (LATE, "REVERSAL", "OXF-LIFELINE", "OXF-REC-1", D("-180.50"), "CONTRACT_CHANGED"),
        (LATE, "NEW", "OXF-LIFELINE", "OXF-REC-2", D("180.50"), "CONTRACT_CHANGED"),
    ]
    for row in rows[1:]:
        assert "contract OXF-REC-1 -> OXF-REC-2" in row[6] and "earned 2012-04-28 -> 2012-05-02" in row[6], row[6]
        assert "provider" not in row[6] and "payable" not in row[6], row[6]


def test_a_late_earlier_line_takes_the_cap_from_a_paid_one(run):
    rows = lines(run, "OXF-000004#1|ATTACHMENT|")
    # Cap 150: the late line (earned 2012-04-05) is taken first and paid 99.99 in full; the
    # one earned on 2012-04-20 keeps what is left, 150 - 99.99 = 50.01.
    assert [row[:6] for row in rows] == [
        (BASE, "NEW", "OXF-TURNPOINT", "OXF-TP", D("99.99"), "EARNED"),
        (LATE, "REVERSAL", "OXF-TURNPOINT", "OXF-TP", D("-99.99"), "AMOUNT_CHANGED"),
        (LATE, "NEW", "OXF-TURNPOINT", "OXF-TP", D("50.01"), "AMOUNT_CHANGED"),
    ]
    for row in rows[1:]:
        assert row[6] == "payable 99.99 -> 50.01 (cap position)", row[6]
    assert lines(run, "OXF-000005#1|ATTACHMENT|") == [
        (LATE, "NEW", "OXF-TURNPOINT", "OXF-TP", D("99.99"), "EARNED", "earned 2012-04-05, payable 99.99")
    ]


def test_the_late_window_moves_only_the_four_cases(run):
    # Nothing else moved: a stray reversal elsewhere would hide in the per-case tests.
    assert run.query(
        "SELECT DISTINCT line_key FROM marts.payment_lines WHERE payment_window = ? ORDER BY 1", [LATE]
    ) == [
        ("OXF-000001#1|OUTCOME|D3_COMPLETED",),
        ("OXF-000002#1|ATTACHMENT|",),
        ("OXF-000003#1|ATTACHMENT|",),
        ("OXF-000004#1|ATTACHMENT|",),
        ("OXF-000005#1|ATTACHMENT|",),
    ]
    # Every return loaded whole and no row was quarantined: the scenario is what it says.
    assert run.query("SELECT DISTINCT status FROM quality.submissions") == [("LOADED",)]
    assert run.query("SELECT count(*) FROM quality.quarantine") == [(0,)]


def test_each_key_s_lines_sum_to_its_payable_amount_as_of_the_last_window(run):
    sums = run.query(
        """SELECT coalesce(paid.line_key, owed.line_key), coalesce(paid.total, 0), coalesce(owed.payable_amount, 0)
           FROM (SELECT line_key, sum(amount) AS total FROM marts.payment_lines GROUP BY 1) AS paid
           FULL OUTER JOIN (SELECT line_key, payable_amount FROM marts.entitlements WHERE as_of_window = ?) AS owed
               ON owed.line_key = paid.line_key
           ORDER BY 1""",
        [LATE],
    )
    assert [(key, total) for key, total, _ in sums] == [(key, payable) for key, _, payable in sums]
    assert sums == [
        ("OXF-000001#1|ATTACHMENT|", D("99.99"), D("99.99")),
        ("OXF-000001#1|OUTCOME|D3_COMPLETED", D("642.20"), D("642.20")),
        ("OXF-000002#1|ATTACHMENT|", D("180.50"), D("180.50")),
        ("OXF-000003#1|ATTACHMENT|", D("180.50"), D("180.50")),
        ("OXF-000004#1|ATTACHMENT|", D("50.01"), D("50.01")),
        ("OXF-000005#1|ATTACHMENT|", D("99.99"), D("99.99")),
    ]
