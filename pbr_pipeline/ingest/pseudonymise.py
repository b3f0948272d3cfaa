"""Turning the personal columns of an assessment into an attributor hash and an age band.

Initials, date of birth and sex never go further than this module (spec/returns.md).
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd

from data_contracts.rules import completed_years, date_number
from data_contracts.tables import PERSONAL_COLUMNS

AGE_BANDS = ((18, "18-24"), (25, "25-34"), (35, "35-44"), (45, "45-54"), (55, "55-64"), (65, "65+"))
# What a table with personal columns keeps instead of them (raw.assessments), described.
PSEUDONYM_COLUMNS = {
    "attributor_hash": "Keyed HMAC-SHA256 of the personal columns: links one person's journeys across areas.",
    "age_band": "Age on assessment_date, banded (18-24 ... 65+).",
}


def attributor_hash(key: bytes, initials: str, date_of_birth: str, sex: str) -> str:
    message = f"{initials}|{date_of_birth}|{sex}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def age_band(age: int) -> str:
    band = AGE_BANDS[0][1]
    for lower, label in AGE_BANDS:
        if age >= lower:
            band = label
    return band


def pseudonymise_assessments(frame: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """Replace initials, date_of_birth and sex with attributor_hash and age_band.

    Retraction rows (deleted = Y) are checked only for their key and pbr_id (spec/returns.md):
    their other values were not validated, so nothing is derived from them; both stay null.
    """
    hashes, bands = [], []
    for initials, born, sex, assessed, deleted in zip(
        frame["initials"], frame["date_of_birth"], frame["sex"], frame["assessment_date"], frame["deleted"]
    ):
        if deleted == "Y" or pd.isna(initials) or pd.isna(born) or pd.isna(sex) or pd.isna(assessed):
            hashes.append(None)
            bands.append(None)
            continue
        hashes.append(attributor_hash(key, initials, born, sex))
        bands.append(age_band(int(completed_years(date_number(born), date_number(assessed)))))
    return frame.drop(columns=list(PERSONAL_COLUMNS)).assign(attributor_hash=hashes, age_band=bands)
