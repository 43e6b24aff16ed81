"""Request and response shapes of the HTTP contract (pydantic); they also make the OpenAPI document."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServiceOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    appointment_required: bool
    materials: list[str]
    notice: str
    category: str = ""
    materials_en: list[str] = []
    notice_en: str = ""


class ServicesOut(BaseModel):
    services: list[ServiceOut]


class OfficeOut(BaseModel):
    office_id: str
    name: str
    name_en: str = ""
    district: str
    region: str
    address: str
    phone: str = ""
    kind: str = ""
    mode: Literal["book_first", "priority"]
    services: list[str]


class OfficesOut(BaseModel):
    offices: list[OfficeOut]


class SlotOut(BaseModel):
    start: str
    end: str
    capacity: int
    remaining: int


class DayOut(BaseModel):
    date: str
    slots: list[SlotOut]


class AvailabilityOut(BaseModel):
    office_id: str
    service_code: str
    days: list[DayOut]


class RegisterIn(Strict):
    name: str = Field(min_length=1, max_length=50)
    id_number: str = Field(min_length=1, max_length=32)
    phone: str = Field(min_length=1, max_length=20)
    password: str = Field(min_length=1, max_length=128)
    lang: Literal["zh", "en"] = "zh"


class RegisterOut(BaseModel):
    account_id: str
    phone_verified: bool


class VerifyIn(Strict):
    id_number: str = Field(min_length=1, max_length=32)
    code: str = Field(min_length=1, max_length=12)


class ResendIn(Strict):
    id_number: str = Field(min_length=1, max_length=32)


class VerifyOut(BaseModel):
    phone_verified: bool


class SessionIn(Strict):
    login: str = Field(min_length=1, max_length=64, description="ID number, phone, or a staff login")
    password: str = Field(min_length=1, max_length=128)


class SessionOut(BaseModel):
    token: str
    expires_in: int


class RestrictionsOut(BaseModel):
    suspended_until: str | None
    suspension_reason: str | None
    cancellations_this_month: int
    no_shows_in_six_months: int


class MeOut(BaseModel):
    account_id: str
    name: str
    id_number: str | None
    phone: str | None
    phone_verified: bool
    role: str
    office_id: str | None = None
    lang: str
    restrictions: RestrictionsOut | None = None


class BookingIn(Strict):
    office_id: str = Field(min_length=1, max_length=64)
    service_code: str = Field(min_length=1, max_length=64)
    date: str = Field(description="YYYY-MM-DD", min_length=1, max_length=10)
    start: str = Field(description="HH:MM", min_length=1, max_length=5)
    notice_acknowledged: bool
    subject_id_number: str | None = Field(default=None, max_length=32,
                                          description="R2: a minor's ID number, when booking as guardian")


class BookingOut(BaseModel):
    booking_id: str
    reference: str
    office_id: str
    service_code: str
    date: str
    start: str
    end: str
    subject_id_number: str
    status: Literal["booked", "cancelled", "checked_in", "completed", "no_show"]
    created_at: str
    cancel_until: str
    office_name: str | None = None
    service_name_zh: str | None = None
    cancelled_by: str | None = None


class BookingsOut(BaseModel):
    bookings: list[BookingOut]
    next_cursor: str | None


class ClosureIn(Strict):
    date: str = Field(description="YYYY-MM-DD, today or later", min_length=1, max_length=10)
    reason: str = Field(description="told to each citizen by SMS", min_length=1, max_length=60)


class ClosureOut(BaseModel):
    office_id: str
    date: str
    reason: str
    already_closed: bool = Field(description="the day was closed by an earlier request (this one changed nothing new)")
    slots_closed: int = Field(description="released slots of the day, all now closed")
    bookings_cancelled: int = Field(description="the day's bookings cancelled by the hall, in all")
    cancelled_now: int = Field(description="of those, cancelled by this request")
