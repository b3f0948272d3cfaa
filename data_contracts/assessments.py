"""assessments.csv, sent by the area's LASAR (spec/returns.md)."""

from typing import ClassVar

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from data_contracts.rules import RowContract, as_date_number, as_integer, table_check
from pbr_pipeline.codes import SUBSTANCES

MIN_AGE, MAX_AGE = 18, 100


class Assessments(RowContract):
    assessment_id: Series[object] = pa.Field(nullable=True)
    initials: Series[object] = pa.Field(nullable=True)
    date_of_birth: Series[object] = pa.Field(nullable=True)
    sex: Series[object] = pa.Field(nullable=True)
    assessment_date: Series[object] = pa.Field(nullable=True)
    assessment_type: Series[object] = pa.Field(nullable=True)
    tariff_band: Series[object] = pa.Field(nullable=True)
    primary_substance: Series[object] = pa.Field(nullable=True)
    secondary_substance: Series[object] = pa.Field(nullable=True)
    pathway: Series[object] = pa.Field(nullable=True)
    referred_to: Series[object] = pa.Field(nullable=True)

    @table_check("RANGE", "date_of_birth")
    def age_on_assessment(cls, frame: pd.DataFrame) -> pd.Series:
        born = as_date_number(frame["date_of_birth"])
        assessed = as_date_number(frame["assessment_date"])
        # Whole years completed on the assessment date. In YYYYMMDD numbers the month and day
        # are the last four digits, so the ten-thousands of the difference are the difference
        # of years, less one while that year's birthday (a later month and day) is still to come.
        age = (assessed - born) // 10000
        return ~(age.lt(MIN_AGE) | age.gt(MAX_AGE))

    @table_check("CODE", "tariff_band")
    def band_defined_for_area(cls, frame: pd.DataFrame) -> pd.Series:
        bands = as_integer(frame["tariff_band"])
        allowed = frame["ctx_bands"].str.split(",")
        defined = [pd.isna(b) or str(int(b)) in ok for b, ok in zip(bands, allowed)]
        return pd.Series(defined, index=frame.index)

    @table_check("CODE", "secondary_substance")
    def secondary_differs_from_primary(cls, frame: pd.DataFrame) -> pd.Series:
        return ~frame["secondary_substance"].eq(frame["primary_substance"])

    @table_check("CODE", "referred_to")
    def referred_to_area_provider(cls, frame: pd.DataFrame) -> pd.Series:
        providers = frame["ctx_providers"].str.split(",")
        known = [pd.isna(code) or code in ok for code, ok in zip(frame["referred_to"], providers)]
        return pd.Series(known, index=frame.index)

    class Config:
        metadata: ClassVar[dict] = {
            "key": "assessment_id",
            "required": (
                "initials", "date_of_birth", "sex", "assessment_date", "assessment_type",
                "tariff_band", "primary_substance", "pathway", "referred_to",
            ),
            "patterns": {"initials": r"[A-Z]{2}"},
            "codes": {
                "sex": ("M", "F", "U"),
                "assessment_type": ("INITIAL", "REVIEW"),
                "primary_substance": SUBSTANCES,
                "secondary_substance": SUBSTANCES,
                "pathway": ("HARM_MIN", "RECOVERY"),
            },
            "integers": {"tariff_band": (None, None)},
            "dates": ("date_of_birth", "assessment_date"),
            "event_dates": ("assessment_date",),
            "personal": ("initials", "date_of_birth", "sex"),
        }
