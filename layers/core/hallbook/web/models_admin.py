"""Request and response shapes of the administrators' catalogue routes, the audit log and the
call-centre operators' routes."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from .models import BookingOut, RestrictionsOut, Strict


class ServiceIn(Strict):
    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=200)
    appointment_required: bool
    materials: list[str] = Field(default=[], max_length=50)
    notice: str = Field(default="", max_length=4000)
    category: str = Field(default="", max_length=64)
    minor_subject: bool = Field(default=False, description="R2: booked by a guardian for a minor")
    materials_en: list[str] = Field(default=[], max_length=50)
    notice_en: str = Field(default="", max_length=4000)


class SlotTemplateIn(Strict):
    days: list[int] = Field(min_length=1, max_length=7, description="ISO weekdays, 1 = Monday")
    start: str = Field(description="HH:MM", min_length=5, max_length=5)
    end: str = Field(description="HH:MM", min_length=5, max_length=5)
    capacity: int = Field(ge=0, le=10000)


class OfficeIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field(default="", max_length=200)
    region: str = Field(min_length=1, max_length=64)
    district: str = Field(min_length=1, max_length=64)
    address: str = Field(min_length=1, max_length=200)
    phone: str = Field(default="", max_length=32)
    kind: str = Field(default="", max_length=32)
    mode: Literal["book_first", "priority"]
    services: list[str] = Field(max_length=100)
    timetable: dict[str, list[SlotTemplateIn]] = Field(default={}, description="per service code, its weekly slots")


class SlotChangeOut(BaseModel):
    service_code: str
    date: str
    start: str
    booked: int
    capacity_requested: int | None = None
    capacity: int | None = None


class SlotsChangedOut(BaseModel):
    updated: int = Field(description="released slots whose capacity, end or state changed")
    closed: int = Field(description="released slots no longer in the timetable, closed to new bookings")
    created: int = Field(description="slots the new timetable adds to days already open")
    over_capacity: list[SlotChangeOut] = Field(
        description="slots with more bookings than the new capacity: all kept, full until cancellations bring them under it")
    closed_with_bookings: list[SlotChangeOut] = Field(description="closed slots whose bookings stay valid")


class OfficeAdminOut(BaseModel):
    office: dict[str, Any]
    slots: SlotsChangedOut


class CalendarIn(Strict):
    holidays: list[str] = Field(default=[], max_length=366, description="YYYY-MM-DD days off (public holidays)")
    workdays: list[str] = Field(default=[], max_length=366,
                                description="YYYY-MM-DD make-up working days (调休上班)")


class ClosedDayOut(BaseModel):
    office_id: str
    date: str
    slots: int
    booked: int


class CalendarOut(BaseModel):
    year: int
    holidays: list[str]
    workdays: list[str]
    changed_days: list[str] = Field(description="days within the released range whose working status changed")
    closed_days: list[ClosedDayOut] = Field(description="released days that became days off: slots closed, "
                                                        "bookings kept (close the day to cancel them with SMS)")
    slots_released: int


class AuditEntryOut(BaseModel):
    audit_id: str
    at: str
    actor_id: str
    actor_role: str
    action: str
    target: str
    outcome: str
    before: Any = None
    after: Any = None
    detail: Any = None


class AuditOut(BaseModel):
    date: str
    entries: list[AuditEntryOut]
    next_cursor: str | None


class CitizenLookupIn(Strict):
    id_number: str = Field(min_length=1, max_length=32)
    phone: str = Field(min_length=1, max_length=20)


class CitizenOut(BaseModel):
    account_id: str
    name: str = Field(description="masked")
    id_number: str = Field(description="masked")
    phone: str = Field(description="masked")
    phone_verified: bool
    restrictions: RestrictionsOut


class OperatorBookingIn(Strict):
    office_id: str = Field(min_length=1, max_length=64)
    service_code: str = Field(min_length=1, max_length=64)
    date: str = Field(description="YYYY-MM-DD", min_length=1, max_length=10)
    start: str = Field(description="HH:MM", min_length=1, max_length=5)
    notice_acknowledged: bool = Field(description="the operator read the notice to the caller, who acknowledged it")
    subject_id_number: str | None = Field(default=None, max_length=32)


class OperatorBookingsOut(BaseModel):
    bookings: list[BookingOut]
    next_cursor: str | None
