"""Request and response shapes of the waitlist routes (R18)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .models import DateText, IdNumberText, Strict, TimeText, example


class WaitlistIn(Strict):
    model_config = example(office_id="gz-tianhe-centre", service_code="ID_RENEW", date="2030-10-08")
    office_id: str = Field(min_length=1, max_length=64, examples=["gz-tianhe-centre"])
    service_code: str = Field(min_length=1, max_length=64, examples=["ID_RENEW"])
    date: DateText = Field(description="YYYY-MM-DD: a released day with no free place", min_length=1, max_length=10)
    start: TimeText | None = Field(default=None, min_length=1, max_length=5,
                                   description="HH:MM: wait for this slot only (none: any slot of the day)")
    subject_id_number: IdNumberText | None = Field(default=None, max_length=32,
                                                   description="R2: a linked minor's ID number, as for a booking")


class AcceptIn(Strict):
    model_config = example(notice_acknowledged=True)
    notice_acknowledged: bool = Field(description="the service's notice was read (R8); false is refused")


class OfferOut(BaseModel):
    start: str
    end: str
    until: str = Field(description="the place is held until this instant; then it passes to the next entry")


class WaitlistOut(BaseModel):
    waitlist_id: str
    office_id: str
    service_code: str
    date: str
    start: str | None = Field(description="the slot waited for; null: any slot of the day")
    subject_id_number: str
    status: Literal["waiting", "offered", "accepted", "left", "declined", "timed_out", "ended"]
    created_at: str
    ends_at: str = Field(description="the entry ends at the cut-off of its day (R10) if no place came")
    offer: OfferOut | None = Field(description="while `offered`: the place held and until when")
    booking_id: str | None = Field(description="once `accepted`: the booking it became")
    office_name: str | None = None
    service_name_zh: str | None = None


class WaitlistsOut(BaseModel):
    entries: list[WaitlistOut]
