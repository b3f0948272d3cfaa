"""The GX payment checkpoint (pbr_pipeline/payments/checkpoint.py) on a tiny hand-written warehouse.

One window, 2013-01, with one line paid in 2012-12 and reversed in 2013-01. The good warehouse
passes; each bad case breaks one rule and must fail with that expectation named, with the
offending row. The grains and accepted values the checkpoint leaves to dbt are checked to be
in the dbt models' yml.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import yaml

from pbr_pipeline.dbt import dbt_project
from pbr_pipeline.payments import exports
from pbr_pipeline.payments.checkpoint import CheckpointResult, run_payment_checkpoint
from tests.conftest import REPO

WINDOW = "2013-01"
EXPECTATIONS = 13
FRAMES = 7

# The marts the checkpoint reads, as their enforced dbt contracts declare them (one home for
# their columns); the dbt relation that is no contract table, by hand.
CONTRACT_TABLES = ("entitlements", "payment_lines", "provider_statements", "contract_cap_positions")
DBT_RELATIONS = """
CREATE SCHEMA intermediate;
CREATE TABLE intermediate.int_entitlement_prices (as_of_window VARCHAR, line_key VARCHAR, schedule_from DATE,
    price_gbp DECIMAL(18,8));
"""


def contract_ddl(model: str) -> str:
    """CREATE TABLE marts.<model> with the columns and types of its enforced contract."""
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    node = manifest["nodes"][f"model.pbr.{model}"]
    assert node["config"]["contract"]["enforced"]
    columns = ", ".join(f"{name} {column['data_type']}" for name, column in node["columns"].items())
    return f"CREATE TABLE marts.{model} ({columns});"


# As dbt priced them: attachment 100.00 (band 1), outcome 1000.00 x 0.15 = 150.00, conversion
# 400.00 under the schedule of 2012-04; from 2013-01 the attachment fee for band 1 is 80.00:
# J1 was earned before, J3 after. P1's contract C1 is capped at 300.00 a year, which cuts J3
# to 50.00; P2's is not capped.
ROWS = """
INSERT INTO intermediate.int_entitlement_prices (as_of_window, line_key, schedule_from, price_gbp) VALUES
    ('2013-01', 'J1|ATTACHMENT|', '2012-04-01', 100.00),
    ('2013-01', 'J1|OUTCOME|D2_ABSTINENT', '2012-04-01', 150.00),
    ('2013-01', 'J2|CONVERSION|', '2013-01-01', 400.00),
    ('2013-01', 'J3|ATTACHMENT|', '2013-01-01', 80.00);
INSERT INTO marts.contract_cap_positions (payment_window, contract_id, financial_year, annual_cap_gbp, payable_to_date)
VALUES ('2013-01', 'C1', 2012, 300.00, 300.00), ('2013-01', 'C2', 2012, NULL, 400.00);
INSERT INTO marts.entitlements (as_of_window, line_key, area, kind, outcome_code, provider, band,
    earned_date, gross_amount, payable_amount) VALUES
    ('2013-01', 'J1|ATTACHMENT|', 'OXF', 'ATTACHMENT', NULL, 'P1', 1, '2012-12-05', 100.00, 100.00),
    ('2013-01', 'J1|OUTCOME|D2_ABSTINENT', 'OXF', 'OUTCOME', 'D2_ABSTINENT', 'P1', 1, '2012-12-20', 150.00, 150.00),
    ('2013-01', 'J2|CONVERSION|', 'OXF', 'CONVERSION', NULL, 'P2', 1, '2013-01-10', 400.00, 400.00),
    ('2013-01', 'J3|ATTACHMENT|', 'OXF', 'ATTACHMENT', NULL, 'P1', 1, '2013-01-15', 80.00, 50.00);
INSERT INTO marts.payment_lines (payment_window, line_key, area, kind, outcome_code, provider, status, amount)
VALUES
    ('2012-12', 'J4|ATTACHMENT|', 'OXF', 'ATTACHMENT', NULL, 'P1', 'NEW', 100.00),
    ('2013-01', 'J4|ATTACHMENT|', 'OXF', 'ATTACHMENT', NULL, 'P1', 'REVERSAL', -100.00),
    ('2013-01', 'J1|ATTACHMENT|', 'OXF', 'ATTACHMENT', NULL, 'P1', 'NEW', 100.00),
    ('2013-01', 'J1|OUTCOME|D2_ABSTINENT', 'OXF', 'OUTCOME', 'D2_ABSTINENT', 'P1', 'NEW', 150.00),
    ('2013-01', 'J2|CONVERSION|', 'OXF', 'CONVERSION', NULL, 'P2', 'NEW', 400.00),
    ('2013-01', 'J3|ATTACHMENT|', 'OXF', 'ATTACHMENT', NULL, 'P1', 'NEW', 50.00);
INSERT INTO marts.provider_statements (payment_window, area, provider, kind, outcome_code, status, line_count,
    amount) VALUES
    ('2013-01', 'OXF', 'P1', 'ATTACHMENT', NULL, 'NEW', 2, 150.00),
    ('2013-01', 'OXF', 'P1', 'ATTACHMENT', NULL, 'REVERSAL', 1, -100.00),
    ('2013-01', 'OXF', 'P1', 'OUTCOME', 'D2_ABSTINENT', 'NEW', 1, 150.00),
    ('2013-01', 'OXF', 'P2', 'CONVERSION', NULL, 'NEW', 1, 400.00);
"""


def build_warehouse(path: Path, *changes: str) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA marts")
        for model in CONTRACT_TABLES:
            con.execute(contract_ddl(model))
        con.execute(DBT_RELATIONS)
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
    assert len(list((docs / "validations").rglob("*.html"))) == FRAMES  # one page per checkpoint
    assert sorted(p.name for p in tmp_path.iterdir()) == ["validation", "w.duckdb"]


PERSONAL = "warehouse and exports: no personal column (initials, date_of_birth, sex)"


def test_a_gross_rounded_half_up_from_its_price_passes(tmp_path):
    # 149.995 is paid 150.00: the bound is the price rounded up to the penny, not the price.
    result = run(
        tmp_path,
        "UPDATE intermediate.int_entitlement_prices SET price_gbp = 149.995 WHERE line_key = 'J1|OUTCOME|D2_ABSTINENT'",
    )

    assert result.success is True, result.message()


def test_a_personal_column_in_an_export_fails(tmp_path, monkeypatch):
    monkeypatch.setitem(exports.EXPORT_COLUMNS, "summary.csv", [*exports.SUMMARY_COLUMNS, "Sex"])

    result = run(tmp_path)

    assert [f.expectation for f in result.failures] == [PERSONAL]
    assert result.failures[0].rows == [{"table_schema": "exports", "table_name": "summary.csv", "column_name": "sex"}]


# case -> (changes, the failing expectation, offending rows that it must report)
BAD_CASES = {
    "payable above gross": (
        ["UPDATE marts.entitlements SET payable_amount = 100.01 WHERE line_key = 'J1|ATTACHMENT|'"],
        "entitlements: payable <= gross",
        [{"line_key": "J1|ATTACHMENT|", "gross_pence": 10000, "payable_pence": 10001}],
    ),
    "gross above the price dbt gave its band under the schedule in force": (
        # J1's outcome: tariff 1000.00 x weight 0.15; J3 was earned under the 2013-01 schedule.
        [
            "UPDATE marts.entitlements SET gross_amount = 150.01 WHERE line_key = 'J1|OUTCOME|D2_ABSTINENT'",
            "UPDATE marts.entitlements SET gross_amount = 100.00 WHERE line_key = 'J3|ATTACHMENT|'",
        ],
        "entitlements: gross <= bound of its band and schedule",
        [
            {"line_key": "J1|OUTCOME|D2_ABSTINENT", "gross_pence": 15001, "bound_pence": 15000},
            {"line_key": "J3|ATTACHMENT|", "schedule_from": "2013-01-01", "gross_pence": 10000, "bound_pence": 8000},
        ],
    ),
    "gross a penny above its price": (
        [
            "UPDATE intermediate.int_entitlement_prices SET price_gbp = 149.99 "
            "WHERE line_key = 'J1|OUTCOME|D2_ABSTINENT'"
        ],
        "entitlements: gross <= bound of its band and schedule",
        [{"line_key": "J1|OUTCOME|D2_ABSTINENT", "gross_pence": 15000, "bound_pence": 14999}],
    ),
    "entitlement that dbt did not price": (
        ["DELETE FROM intermediate.int_entitlement_prices WHERE line_key = 'J1|ATTACHMENT|'"],
        "entitlements: a schedule in force bounds the amount",
        [{"line_key": "J1|ATTACHMENT|", "bound_pence": None}],
    ),
    "cap exceeded": (
        ["UPDATE marts.contract_cap_positions SET payable_to_date = 300.01 WHERE contract_id = 'C1'"],
        "contract_cap_positions: payable in the financial year <= annual cap",
        [
            {
                "payment_window": WINDOW,
                "contract_id": "C1",
                "financial_year": 2012,
                "payable_to_date_pence": 30001,
                "cap_pence": 30000,
            }
        ],
    ),
    "reversal with a positive amount": (
        [
            "UPDATE marts.payment_lines SET amount = 100.00 WHERE status = 'REVERSAL'",
            "UPDATE marts.provider_statements SET amount = 100.00 WHERE status = 'REVERSAL'",
        ],
        "payment_lines: REVERSAL amount <= 0",
        [{"line_key": "J4|ATTACHMENT|", "status": "REVERSAL", "amount_pence": 10000}],
    ),
    "reversal missing": (
        [
            "DELETE FROM marts.payment_lines WHERE status = 'REVERSAL'",
            "DELETE FROM marts.provider_statements WHERE status = 'REVERSAL'",
        ],
        "payment_lines: cumulative amount to window = payable as of window",
        [{"line_key": "J4|ATTACHMENT|", "paid_to_date_pence": 10000, "payable_pence": 0}],
    ),
    "personal column in a raw table": (
        ["CREATE SCHEMA raw", "CREATE TABLE raw.assessments (pbr_id VARCHAR, Date_Of_Birth DATE)"],
        PERSONAL,
        [{"table_schema": "raw", "table_name": "assessments", "column_name": "date_of_birth"}],
    ),
    "personal column in a mart": (
        ["ALTER TABLE marts.payment_lines ADD COLUMN initials VARCHAR"],
        PERSONAL,
        [{"table_schema": "marts", "table_name": "payment_lines", "column_name": "initials"}],
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
    assert result.failures[0].rows == [
        {
            "payment_window": WINDOW,
            "provider": "P2",
            "kind": "CONVERSION",
            "outcome_code": "",
            "status": "NEW",
            "statement_amount_pence": 40001,
            "lines_amount_pence": 40000,
        }
    ]
    assert result.failures[1].rows == [
        {"payment_window": WINDOW, "provider": "P2", "statement_net_pence": 40001, "lines_net_pence": 40000}
    ]
    assert result.message().startswith(
        "GX checkpoint failed: provider_statements: amount = sum of payment_lines (1 row: {"
    )
    assert result.message().endswith("; 1 more failing")


# 2012-12 as a window of the same run: J4 was entitled then and paid.
EARLIER_WINDOW = [
    "INSERT INTO marts.entitlements (as_of_window, line_key, area, kind, outcome_code, provider, band, "
    "earned_date, gross_amount, payable_amount) VALUES "
    "('2012-12', 'J4|ATTACHMENT|', 'OXF', 'ATTACHMENT', NULL, 'P1', 1, '2012-12-01', 100.00, 100.00)",
    "INSERT INTO intermediate.int_entitlement_prices VALUES ('2012-12', 'J4|ATTACHMENT|', '2012-04-01', 100.00)",
    "INSERT INTO marts.provider_statements (payment_window, area, provider, kind, outcome_code, status, line_count, "
    "amount) VALUES ('2012-12', 'OXF', 'P1', 'ATTACHMENT', NULL, 'NEW', 1, 100.00)",
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
    result = run_both(
        tmp_path / "bad",
        "UPDATE marts.payment_lines SET amount = 100.01 WHERE payment_window = '2012-12'",
        "UPDATE marts.provider_statements SET amount = 100.01 WHERE payment_window = '2012-12'",
    )
    assert [f.expectation for f in result.failures] == [
        "payment_lines: cumulative amount to window = payable as of window"
    ]
    assert result.failures[0].rows == [
        {
            "payment_window": "2012-12",
            "line_key": "J4|ATTACHMENT|",
            "paid_to_date_pence": 10001,
            "payable_pence": 10000,
        },
        {"payment_window": "2013-01", "line_key": "J4|ATTACHMENT|", "paid_to_date_pence": 1, "payable_pence": 0},
    ]


# The checks the checkpoint leaves to dbt: each payment mart's grain and the payment line's
# statuses, as dbt tests of dbt_project/models/marts/payments/_payments.yml.
PAYMENT_MARTS_YML = REPO / "dbt_project" / "models" / "marts" / "payments" / "_payments.yml"
GRAINS_TESTED_BY_DBT = {
    "entitlements": ["as_of_window", "line_key"],
    "payment_lines": ["payment_window", "line_key", "status"],
    "provider_statements": ["payment_window", "provider", "kind", "outcome_code", "status"],
}


def test_the_grains_and_statuses_the_checkpoint_leaves_to_dbt_are_dbt_tests():
    models = {model["name"]: model for model in yaml.safe_load(PAYMENT_MARTS_YML.read_text())["models"]}
    for model, grain in GRAINS_TESTED_BY_DBT.items():
        assert {"unique_combination_of_columns": {"arguments": {"combination_of_columns": grain}}} in models[model][
            "data_tests"
        ], model
    status = next(column for column in models["payment_lines"]["columns"] if column["name"] == "status")
    assert {"accepted_values": {"arguments": {"values": ["NEW", "REVERSAL"]}}} in status["data_tests"]
