"""The return tables' specification (data_contracts/tables.py) and what is derived from it."""

from __future__ import annotations

from data_contracts import CONTRACTS, required_columns
from data_contracts.tables import (
    DAY_COLUMN_OF_SUBSTANCE,
    PERSONAL_COLUMNS,
    RETURN_TABLES,
    ROLE_TABLES,
    TABLE_KEYS,
    ColumnType,
)
from pbr_pipeline.warehouse import raw_columns


def test_each_table_lists_its_key_then_pbr_id_as_the_spec_does():
    for name, table in RETURN_TABLES.items():
        assert table.columns[0].type is ColumnType.KEY and table.columns[0].name == table.key, name
        assert table.columns[1].name == "pbr_id" and table.columns[1].type is ColumnType.PBR_ID, name
        assert len(set(table.column_names)) == len(table.column_names), name
    assert TABLE_KEYS == {
        "assessments": "assessment_id",
        "episodes": "episode_id",
        "top": "top_id",
        "interventions": "intervention_id",
        "offences": "offence_id",
        "employment": "spell_id",
    }


def test_the_tables_each_role_sends():
    assert ROLE_TABLES == {
        "LASAR": ("assessments",),
        "PROVIDER": ("episodes", "top", "interventions"),
        "POLICE": ("offences",),
        "DWP": ("employment",),
    }


def test_a_rule_that_names_another_column_names_one_of_its_table():
    for name, table in RETURN_TABLES.items():
        for column in table.columns:
            others = [column.not_before, column.differs_from, column.required_iff, column.age and column.age.on]
            assert set(filter(None, others)) <= set(table.column_names), (name, column.name)
            assert column.references in (None, *RETURN_TABLES), (name, column.name)
            assert not column.not_before or column.type is ColumnType.DATE, (name, column.name)
    assert set(DAY_COLUMN_OF_SUBSTANCE.values()) <= set(RETURN_TABLES["top"].column_names)


def test_personal_columns_are_pseudonymised_and_never_stored():
    assert PERSONAL_COLUMNS == ("initials", "date_of_birth", "sex")
    assert not set(PERSONAL_COLUMNS) & set(raw_columns("assessments"))
    assert {"attributor_hash", "age_band"} <= set(raw_columns("assessments"))


def test_the_contract_checks_every_rule_the_specification_declares():
    assert sorted(check.name for check in CONTRACTS["employment"].checks) == sorted(
        [
            "REQUIRED:spell_id",
            "PATTERN:spell_id",
            "DUPLICATE_KEY:spell_id",
            "REQUIRED:pbr_id",
            "PATTERN:pbr_id",
            "AREA_MISMATCH:pbr_id",
            "REQUIRED:start_date",
            "TYPE:start_date",
            "FUTURE_DATE:start_date",
            "TYPE:end_date",
            "FUTURE_DATE:end_date",
            "DATE_ORDER:end_date",
            "CODE:deleted",
        ]
    )
    episodes = [check.name for check in CONTRACTS["episodes"].checks]
    # discharge_reason is given exactly when discharge_date is: REQUIRED on the missing one.
    assert {"REQUIRED:discharge_reason", "REQUIRED:discharge_date", "CODE:discharge_reason"} <= set(episodes)
    assessments = [check.name for check in CONTRACTS["assessments"].checks]
    assert assessments.count("CODE:secondary_substance") == 2  # a substance code, not the primary
    assert {"RANGE:date_of_birth", "CODE:tariff_band", "CODE:referred_to"} <= set(assessments)


def test_a_header_must_hold_the_key_pbr_id_and_the_required_columns_in_the_spec_order():
    assert required_columns("episodes") == ("episode_id", "pbr_id", "pathway", "referral_date", "triage_date")
    assert required_columns("top") == ("top_id", "pbr_id", "episode_id", "top_date", "stage")
