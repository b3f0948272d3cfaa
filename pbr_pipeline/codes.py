"""Code lists fixed by the specification (spec/returns.md, spec/outcomes.md)."""

ROLES = ("LASAR", "PROVIDER", "POLICE", "DWP")

# The tables each role sends and their keys are part of the tables' specification:
# data_contracts.tables (ROLE_TABLES, TABLE_KEYS).

SUBSTANCES = ("OPIATES", "CRACK", "COCAINE", "AMPHETAMINES", "CANNABIS", "ALCOHOL", "OTHER")

OUTCOME_CODES = (
    "D1_REDUCED_USE",
    "D2_ABSTINENT",
    "D3_COMPLETED",
    "D4_SUSTAINED",
    "H1_INJECTING_CEASED",
    "H2_HOUSING_RESOLVED",
    "H3_HEPB_COMPLETED",
    "H4_QOL_NORMATIVE",
    "O1_OFFENDING",
    "E1_EMPLOYMENT",
)

DISCHARGE_CODES = tuple(str(code) for code in range(80, 90))
SUCCESSFUL_DISCHARGE_CODES = ("80", "81", "82")

RULE_SETS = ("national-2011",)

DEFAULT_RELIABLE_CHANGE_DAYS = 7
DEFAULT_QOL_NORM = 14
