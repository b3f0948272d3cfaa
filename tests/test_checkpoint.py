"""The GX payment checkpoint (pbr_pipeline/payments/checkpoint.py) on a tiny hand-written warehouse.

One window, 2013-01, with one line paid in 2012-12 and reversed in 2013-01. The good warehouse
passes; each bad case breaks one rule and must fail with that expectation named, with the
offending row.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pbr_pipeline.payments.checkpoint import CheckpointResult, run_payment_checkpoint

WINDOW = "2013-01"
EXPECTATIONS = 15

SCHEMA = """
CREATE SCHEMA marts;
CREATE SCHEMA config;
CREATE TABLE config.schedules (area VARCHAR, effective_from DATE, conversion_payment_gbp DECIMAL(14,2));
CREATE TABLE config.schedule_bands (area VARCHAR, effective_from DATE, band INTEGER,
    attachment_fee_gbp DECIMAL(14,2), outcome_tariff_gbp DECIMAL(14,2));
CREATE TABLE config.schedule_weights (area VARCHAR, effective_from DATE, outcome_code VARCHAR, weight DECIMAL(9,6));
CREATE TABLE marts.entitlements (as_of_window VARCHAR, line_key VARCHAR, area VARCHAR, kind VARCHAR,
    outcome_code VARCHAR, provider VARCHAR, band INTEGER, earned_date DATE,
    gross_amount DECIMAL(14,2), payable_amount DECIMAL(14,2));
CREATE TABLE marts.payment_lines (payment_window VARCHAR, line_key VARCHAR, area VARCHAR, kind VARCHAR,
    outcome_code VARCHAR, provider VARCHAR, status VARCHAR, amount DECIMAL(14,2));
CREATE TABLE marts.provider_statements (payment_window VARCHAR, area VARCHAR, provider VARCHAR, kind VARCHAR,
    outcome_code VARCHAR, status VARCHAR, line_count BIGINT, amount DECIMAL(14,2));
"""

# Schedule 2012-04: attachment 100.00 (band 1), outcome 1000.00 x 0.15 = 150.00, conversion 400.00.
# From 2013-01 the attachment fee for band 1 is 80.00: J1 was earned before, J3 after.
ROWS = """
INSERT INTO config.schedules VALUES ('OXF', '2012-04-01', 400.00), ('OXF', '2013-01-01', 400.00);
INSERT INTO config.schedule_bands VALUES ('OXF', '2012-04-01', 1, 100.00, 1000.00),
                                         ('OXF', '2013-01-01', 1, 80.00, 1000.00);
INSERT INTO config.schedule_weights VALUES ('OXF', '2012-04-01', 'D2_ABSTINENT', 0.15),
                                           ('OXF', '2013-01-01', 'D2_ABSTINENT', 0.15);
INSERT INTO marts.entitlements VALUES
    ('2013-01', 'J1|ATTACHMENT|', 'OXF', 'ATTACHMENT', NULL, 'P1', 1, '2012-12-05', 100.00, 100.00),
    ('2013-01', 'J1|OUTCOME|D2_ABSTINENT', 'OXF', 'OUTCOME', 'D2_ABSTINENT', 'P1', 1, '2012-12-20', 150.00, 150.00),
    ('2013-01', 'J2|CONVERSION|', 'OXF', 'CONVERSION', NULL, 'P2', 1, '2013-01-10', 400.00, 400.00),
    ('2013-01', 'J3|ATTACHMENT|', 'OXF', 'ATTACHMENT', NULL, 'P1', 1, '2013-01-15', 80.00, 50.00);
INSERT INTO marts.payment_lines VALUES
    ('2012-12', 'J4|ATTACHMENT|', 'OXF', 'ATTACHMENT', NULL, 'P1', 'NEW', 100.00),
    ('2013-01', 'J4|ATTACHMENT|', 'OXF', 'ATTACHMENT', NULL, 'P1', 'REVERSAL', -100.00),
    ('2013-01', 'J1|ATTACHMENT|', 'OXF', 'ATTACHMENT', NULL, 'P1', 'NEW', 100.00),
    ('2013-01', 'J1|OUTCOME|D2_ABSTINENT', 'OXF', 'OUTCOME', 'D2_ABSTINENT', 'P1', 'NEW', 150.00),
    ('2013-01', 'J2|CONVERSION|', 'OXF', 'CONVERSION', NULL, 'P2', 'NEW', 400.00),
    ('2013-01', 'J3|ATTACHMENT|', 'OXF', 'ATTACHMENT', NULL, 'P1', 'NEW', 50.00);
INSERT INTO marts.provider_statements VALUES
    ('2013-01', 'OXF', 'P1', 'ATTACHMENT', NULL, 'NEW', 2, 150.00),
    ('2013-01', 'OXF', 'P1', 'ATTACHMENT', NULL, 'REVERSAL', 1, -100.00),
    ('2013-01', 'OXF', 'P1', 'OUTCOME', 'D2_ABSTINENT', 'NEW', 1, 150.00),
    ('2013-01', 'OXF', 'P2', 'CONVERSION', NULL, 'NEW', 1, 400.00);
"""


def build_warehouse(path: Path, *changes: str) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute(SCHEMA)
        con.execute(ROWS)
        for change in changes:
            con.execute(change)
    finally:
        con.close()
    return path


def run(tmp_path: Path, *changes: str) -> CheckpointResult:
    warehouse = build_warehouse(tmp_path / "w.duckdb", *changes)
    con = duckdb.connect(str(warehouse), read_only=True)  # the checkpoint must not write
    try:
        return run_payment_checkpoint(con, [WINDOW], tmp_path / "validation" / WINDOW)
    finally:
        con.close()


def test_good_window_passes_and_writes_data_docs(tmp_path):
    result = run(tmp_path)

    assert result.success is True, result.message()
    assert result.failures == []
    assert result.evaluated == EXPECTATIONS
    docs = tmp_path / "validation" / WINDOW
    assert result.docs_index == docs / "index.html"
    assert result.docs_index.is_file()
    assert len(list((docs / "validations").rglob("*.html"))) == 6  # one page per checkpoint
    assert sorted(p.name for p in tmp_path.iterdir()) == ["validation", "w.duckdb"]


# case -> (changes, the failing expectation, offending rows that it must report)
BAD_CASES = {
    "duplicate payment line": (
        ["INSERT INTO marts.payment_lines VALUES "
         "('2013-01', 'J1|ATTACHMENT|', 'OXF', 'ATTACHMENT', NULL, 'P1', 'NEW', 100.00)"],
        "payment_lines: grain (payment_window, line_key, status) unique",
        [{"line_key": "J1|ATTACHMENT|", "status": "NEW"}],
    ),
    "duplicate statement row with no outcome code": (
        ["INSERT INTO marts.provider_statements VALUES ('2013-01', 'OXF', 'P2', 'CONVERSION', NULL, 'NEW', 0, 0)"],
        "provider_statements: grain (payment_window, provider, kind, outcome_code, status) unique",
        [{"provider": "P2", "kind": "CONVERSION", "outcome_code": "", "status": "NEW"}],
    ),
    "payable above gross": (
        ["UPDATE marts.entitlements SET payable_amount = 100.01 WHERE line_key = 'J1|ATTACHMENT|'"],
        "entitlements: payable <= gross",
        [{"line_key": "J1|ATTACHMENT|", "gross_pence": 10000, "payable_pence": 10001}],
    ),
    "gross above the bound of its band under the schedule in force": (
        # J1's outcome: tariff 1000.00 x weight 0.15; J3 was earned under the 2013-01 schedule.
        ["UPDATE marts.entitlements SET gross_amount = 150.01 WHERE line_key = 'J1|OUTCOME|D2_ABSTINENT'",
         "UPDATE marts.entitlements SET gross_amount = 100.00 WHERE line_key = 'J3|ATTACHMENT|'"],
        "entitlements: gross <= bound of its band and schedule",
        [{"line_key": "J1|OUTCOME|D2_ABSTINENT", "gross_pence": 15001, "bound_pence": 15000},
         {"line_key": "J3|ATTACHMENT|", "schedule_from": "2013-01-01", "gross_pence": 10000, "bound_pence": 8000}],
    ),
    "no schedule in force": (
        ["UPDATE marts.entitlements SET earned_date = '2012-03-31' WHERE line_key = 'J1|ATTACHMENT|'"],
        "entitlements: a schedule in force bounds the amount",
        [{"line_key": "J1|ATTACHMENT|", "bound_pence": None}],
    ),
    "reversal with a positive amount": (
        ["UPDATE marts.payment_lines SET amount = 100.00 WHERE status = 'REVERSAL'",
         "UPDATE marts.provider_statements SET amount = 100.00 WHERE status = 'REVERSAL'"],
        "payment_lines: REVERSAL amount <= 0",
        [{"line_key": "J4|ATTACHMENT|", "status": "REVERSAL", "amount_pence": 10000}],
    ),
    "reversal missing": (
        ["DELETE FROM marts.payment_lines WHERE status = 'REVERSAL'",
         "DELETE FROM marts.provider_statements WHERE status = 'REVERSAL'"],
        "payment_lines: cumulative amount to window = payable as of window",
        [{"line_key": "J4|ATTACHMENT|", "paid_to_date_pence": 10000, "payable_pence": 0}],
    ),
}


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_window_fails_naming_the_expectation_and_rows(tmp_path, case):
    changes, expectation, offending = BAD_CASES[case]

    result = run(tmp_path, *changes)

    assert result.success is False
    assert result.evaluated == EXPECTATIONS  # every expectation is evaluated, not just up to a failure
    failure = next((f for f in result.failures if f.expectation == expectation), None)
    assert failure is not None, [f.expectation for f in result.failures]
    for row in offending:
        assert any(row.items() <= reported.items() for reported in failure.rows), failure.rows
    json.dumps([f.rows for f in result.failures])  # JSON-safe
    assert result.docs_index is not None and result.docs_index.is_file()
    first, message = result.failures[0], result.message()  # one line: the first failure and its rows
    assert message.startswith(f"GX checkpoint failed: {first.expectation} (") and "\n" not in message
    assert json.dumps(first.rows[0]) in message


def test_statement_off_by_1p_fails_twice_and_the_message_names_the_first(tmp_path):
    # A 1p statement error shows in its statement row and in the provider's net, in that order.
    result = run(tmp_path, "UPDATE marts.provider_statements SET amount = 400.01 WHERE provider = 'P2'")

    assert result.success is False
    assert [f.expectation for f in result.failures] == [
        "provider_statements: amount = sum of payment_lines",
        "provider_statements: provider net = sum of its payment_lines",
    ]
    assert result.failures[0].rows == [{"payment_window": WINDOW, "provider": "P2", "kind": "CONVERSION",
                                        "outcome_code": "", "status": "NEW",
                                        "statement_amount_pence": 40001, "lines_amount_pence": 40000}]
    assert result.failures[1].rows == [{"payment_window": WINDOW, "provider": "P2",
                                        "statement_net_pence": 40001, "lines_net_pence": 40000}]
    assert result.message().startswith(
        "GX checkpoint failed: provider_statements: amount = sum of payment_lines (1 row: {")
    assert result.message().endswith("; 1 more failing")


# 2012-12 as a window of the same run: J4 was entitled then and paid.
EARLIER_WINDOW = [
    "INSERT INTO marts.entitlements VALUES "
    "('2012-12', 'J4|ATTACHMENT|', 'OXF', 'ATTACHMENT', NULL, 'P1', 1, '2012-12-01', 100.00, 100.00)",
    "INSERT INTO marts.provider_statements VALUES ('2012-12', 'OXF', 'P1', 'ATTACHMENT', NULL, 'NEW', 1, 100.00)",
]


def run_both(tmp_path: Path, *changes: str) -> CheckpointResult:
    tmp_path.mkdir()
    warehouse = build_warehouse(tmp_path / "w.duckdb", *EARLIER_WINDOW, *changes)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return run_payment_checkpoint(con, ["2012-12", WINDOW], tmp_path / "validation" / "2012-12..2013-01")
    finally:
        con.close()


def test_one_checkpoint_validates_every_window_of_the_run_and_names_the_window_of_a_failure(tmp_path):
    assert run_both(tmp_path / "good").success
    # 2012-12's line paid 1p too much: its own cumulative breaks in 2012-12, and the reversal
    # of 2013-01 no longer takes it back to zero.
    result = run_both(tmp_path / "bad", "UPDATE marts.payment_lines SET amount = 100.01 WHERE payment_window = '2012-12'",
                      "UPDATE marts.provider_statements SET amount = 100.01 WHERE payment_window = '2012-12'")
    assert [f.expectation for f in result.failures] == ["payment_lines: cumulative amount to window = payable as of window"]
    assert result.failures[0].rows == [
        {"payment_window": "2012-12", "line_key": "J4|ATTACHMENT|", "paid_to_date_pence": 10001, "payable_pence": 10000},
        {"payment_window": "2013-01", "line_key": "J4|ATTACHMENT|", "paid_to_date_pence": 1, "payable_pence": 0},
    ]
