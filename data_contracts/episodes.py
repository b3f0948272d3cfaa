"""episodes.csv, sent by a treatment provider (spec/returns.md)."""

from typing import ClassVar

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from data_contracts.rules import RowContract, table_check
from pbr_pipeline.codes import DISCHARGE_CODES


class Episodes(RowContract):
    episode_id: Series[object] = pa.Field(nullable=True)
    pathway: Series[object] = pa.Field(nullable=True)
    referral_date: Series[object] = pa.Field(nullable=True)
    triage_date: Series[object] = pa.Field(nullable=True)
    discharge_date: Series[object] = pa.Field(nullable=True)
    discharge_reason: Series[object] = pa.Field(nullable=True)

    # A discharge needs both its date and its reason: the missing one is REQUIRED.
    @table_check("REQUIRED", "discharge_reason")
    def reason_given_with_date(cls, frame: pd.DataFrame) -> pd.Series:
        return ~(frame["discharge_date"].notna() & frame["discharge_reason"].isna())

    @table_check("REQUIRED", "discharge_date")
    def date_given_with_reason(cls, frame: pd.DataFrame) -> pd.Series:
        return ~(frame["discharge_reason"].notna() & frame["discharge_date"].isna())

    class Config:
        metadata: ClassVar[dict] = {
            "key": "episode_id",
            "required": ("pathway", "referral_date", "triage_date"),
            "codes": {"pathway": ("HARM_MIN", "RECOVERY"), "discharge_reason": DISCHARGE_CODES},
            "dates": ("referral_date", "triage_date", "discharge_date"),
            "event_dates": ("referral_date", "triage_date", "discharge_date"),
            "date_order": (("triage_date", "referral_date"), ("discharge_date", "triage_date")),
        }
