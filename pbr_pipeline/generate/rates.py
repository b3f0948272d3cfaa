"""Every rate, share and size the generator aims at, in one place.

The national figures come from spec/README.md (NDTMS 2011-12); the rest are plausible choices,
documented in docs/generator.md with the tolerances the tests hold them to. Changing a number
here changes the data: the tests will say whether it still looks like the real population.
"""

from __future__ import annotations

# --- Size ----------------------------------------------------------------------------------

# Treatment journeys a year in each pilot area, about 10,000 in all (spec/README.md). The split
# follows population and treatment prevalence: Kent is by far the largest area, Bracknell Forest
# the smallest.
PILOT_ANNUAL_JOURNEYS = {
    "KNT": 2600,
    "LIN": 1400,
    "OXF": 1300,
    "WAK": 1100,
    "WIG": 1100,
    "ENF": 1000,
    "STP": 900,
    "BRF": 600,
}
# An area of a custom configuration folder that is not one of the pilots.
DEFAULT_ANNUAL_JOURNEYS = 1000
# National scale: about 300,000 journeys a year, the pilots plus this many synthetic areas
# (England had about 150 drug action team areas).
NATIONAL_ANNUAL_JOURNEYS = 300_000
NATIONAL_EXTRA_AREAS = 141
# Part of the journeys are re-presentations of earlier service users (a few per cent over the
# first two years, as they build up), so new people arrive a little below the target.
NEW_PERSON_SHARE = 0.97

# --- People --------------------------------------------------------------------------------

SEX_SHARES = {"M": 0.70, "F": 0.29, "U": 0.01}
PRIMARY_SUBSTANCE_SHARES = {
    "OPIATES": 0.42,
    "ALCOHOL": 0.30,
    "CANNABIS": 0.10,
    "COCAINE": 0.06,
    "CRACK": 0.04,
    "AMPHETAMINES": 0.04,
    "OTHER": 0.04,
}
# Secondary substance given the primary: shares of each; the remainder is "none".
SECONDARY_SUBSTANCE_SHARES = {
    "OPIATES": {"CRACK": 0.45, "ALCOHOL": 0.10, "CANNABIS": 0.05},
    "CRACK": {"OPIATES": 0.25, "ALCOHOL": 0.15, "CANNABIS": 0.10},
    "ALCOHOL": {"CANNABIS": 0.08, "COCAINE": 0.07},
    "COCAINE": {"ALCOHOL": 0.30, "CANNABIS": 0.15},
    "AMPHETAMINES": {"CANNABIS": 0.25, "ALCOHOL": 0.15},
    "CANNABIS": {"ALCOHOL": 0.25, "COCAINE": 0.05},
    "OTHER": {"ALCOHOL": 0.20, "CANNABIS": 0.15},
}
# Age at first assessment (mean, standard deviation), clipped to 18..85.
AGE_BY_SUBSTANCE = {"OPIATES": (38, 8), "ALCOHOL": (45, 11), "CRACK": (35, 8)}
AGE_OTHERWISE = (30, 9)
AGE_LIMITS = (18, 85)

# --- Assessment ----------------------------------------------------------------------------

# Tariff band shares (bands 1, 2, 3): opiate and crack users are the complex ones.
BAND_SHARES_COMPLEX = (0.15, 0.45, 0.40)
BAND_SHARES_OTHER = (0.45, 0.40, 0.15)
HARM_MIN_SHARE_OPIATE_PRIMARY = 0.70
HARM_MIN_SHARE_OPIATE_SECONDARY = 0.30
REVIEW_ASSESSMENT_SHARE = 0.12  # of started journeys, a REVIEW that changes the band
NEVER_STARTED_SHARE = 0.04  # assessed but never engaged with treatment

# Areas whose two providers split by pathway (spec/README.md: Oxfordshire), and where some
# Harm Minimisation users convert to Recovery.
PATHWAY_PROVIDERS = {"OXF": {"HARM_MIN": "OXF-OXHEALTH", "RECOVERY": "OXF-LIFELINE"}}
CONVERSION_SHARE = 0.25  # of Harm Minimisation journeys in those areas

# --- Treatment -----------------------------------------------------------------------------

# Discharge mix (NDTMS 2011-12): 47% completions, 14% community transfers, 11% custody.
# Durations are drawn independently of the reason, so the mix seen among discharges within any
# range stays the mix drawn here (no censoring bias).
DISCHARGE_SHARES = {
    "COMPLETED": 0.47,
    "83": 0.14,
    "84": 0.11,
    "85": 0.16,
    "86": 0.035,
    "87": 0.025,
    "88": 0.045,
    "89": 0.015,
}
# Episode length in days: log-normal (median, sigma), clipped.
DURATION_HARM_MIN = (420, 0.6)
DURATION_RECOVERY = (200, 0.55)
DURATION_LIMITS = (28, 1500)

# Abstinence from the primary substance at the six-month review (NDTMS: 51% opiate, 63% crack).
ABSTINENT_AT_SIX_MONTHS = {
    "OPIATES": 0.51,
    "CRACK": 0.63,
    "COCAINE": 0.62,
    "AMPHETAMINES": 0.58,
    "CANNABIS": 0.55,
    "ALCOHOL": 0.45,
    "OTHER": 0.60,
}
# Abstinent at the three-month review given abstinent at six months, or not.
ABSTINENT_AT_THREE_MONTHS = (0.65, 0.12)
# Abstinent at later reviews given abstinent at six months, or not.
ABSTINENT_LATER = (0.88, 0.30)
# A secondary substance is given up along with the primary, or on its own.
SECONDARY_ABSTINENT = (0.85, 0.30)
REVIEW_EVERY_DAYS = 91
EXIT_TOP_SHARE = {"COMPLETED": 0.95, "TRANSFER": 0.50, "OTHER": 0.25, "89": 0.0}

INJECTING_SHARE = {"OPIATES": 0.45, "CRACK": 0.15, "AMPHETAMINES": 0.10}
# Review (1, 2, 3) at which injecting stops; the remainder never stop.
INJECTING_CEASES_AT = (0.35, 0.25, 0.15)
HOUSING_PROBLEM_SHARE = {"OPIATES": 0.22, "CRACK": 0.22}
HOUSING_PROBLEM_OTHERWISE = 0.12
EVICTION_RISK_SHARE = 0.10
# Review (1..4) at which housing problems are resolved; the remainder are not.
HOUSING_RESOLVED_AT = (0.25, 0.20, 0.10, 0.05)
QUALITY_OF_LIFE_START = (8.5, 3.0)
QUALITY_OF_LIFE_GAIN_PER_REVIEW = (1.2, 1.0)

# Interventions for injectors (HEPB within a year of the start), naloxone for opiate users.
HEPB_COMPLETED_SHARE = 0.45
HEPC_TEST_SHARE = 0.40
NALOXONE_SHARE = 0.30

# Proven offences a year before treatment starts (opiate or crack users, alcohol, others), and
# the factor applied after the start for those abstinent at six months and the rest.
OFFENCES_BEFORE = {"DRUGS_OF_HARM": 1.1, "ALCOHOL": 0.45, "OTHER": 0.35}
OFFENCES_AFTER_FACTOR = (0.30, 0.65)

# DWP: a spell starting within about a year of the treatment start, a spell that had started
# before, and the part of spells still going on with no end in sight.
EMPLOYMENT_AFTER_SHARE = 0.22
EMPLOYMENT_BEFORE_SHARE = 0.08
EMPLOYMENT_OPEN_ENDED_SHARE = 0.35
EMPLOYMENT_DURATION = (150, 0.8)

# Re-presentation within a year: one in five successful completers (NDTMS), fewer drop-outs.
REPRESENT_AFTER_COMPLETION = 0.20
REPRESENT_AFTER_DROP_OUT = 0.15
REPRESENT_IN_ANOTHER_AREA = 0.25

# --- Arrival -------------------------------------------------------------------------------

# Windows late (0, 1, 2, 3) that a record arrives: mostly on time.
LATENESS_SHARES = (0.94, 0.035, 0.018, 0.007)
# Records entered in error and retracted one to three windows later.
SPURIOUS_TOP_SHARE = 0.003
SPURIOUS_OFFENCE_SHARE = 0.005

# --- Submissions ---------------------------------------------------------------------------

ZIP_SHARE = 0.03  # submissions sent as a .zip
RESUBMISSION_SHARE = 0.01  # a seq 01 replaced by a complete seq 02 in the same window
# Per rejection code: the share of submissions (at least one of each in any range).
SUBMISSION_DEFECT_SHARE = 0.002
# Per quarantine reason: the share of rows (at least one of each in any range).
ROW_DEFECT_SHARE = 0.0002

# --- Gaming (`--gaming SUBMITTER=BEHAVIOUR`, spec/outputs.md) ------------------------------

# cream-skim: the share of the provider's band-3 referrals it never starts (besides those who
# never start anyway).
CREAM_SKIM_SHARE = 0.5
CREAM_SKIM_BAND = 3
# park: the share of its episodes open past this many days that get no further TOP and are
# never discharged.
PARK_SHARE = 1 / 3
PARK_AFTER_DAYS = 180
# drop: its share of discharges as 85 or 88, as a multiple of everyone else's.
DROP_FACTOR = 2.0
