"""Request and response shapes of the administrators' routes: the catalog, the audit log, hall
closures and residence permits. The call-centre operators' are in models_operator.py."""

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from .models import (
    TEXT,
    DateText,
    IdNumberText,
    InstantText,
    Model,
    Strict,
    TimeText,
    example,
)

if TYPE_CHECKING:  # the store is the routes' (their services'), not the cold start's
    from ..store.audit import AuditEntry


class ServiceIn(Strict):
    model_config = example(
        name_zh="补领身份证",
        name_en="ID card replacement",
        appointment_required=True,
        materials=["户口簿"],
        notice="请本人到场。",
        category="id_card",
    )
    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=200)
    appointment_required: bool
    materials: list[str] = Field(default=[], max_length=50)
    notice: str = Field(default="", max_length=4000)
    category: str = Field(default="", max_length=64)
    minor_subject: bool = Field(default=False, description="R2: booked by a guardian for a minor")
    minor_allowed: bool = Field(default=True, description="R2: False when a minor can never be its subject")
    subject: Literal["self", "minor", "newborn", "self_or_minor"] | None = Field(
        default=None,
        description="R2: whom it is for (GET /v1/services); when given it rules, and minor_subject/minor_allowed "
        "follow it; absent, it is derived from them",
    )
    materials_en: list[str] = Field(default=[], max_length=50)
    notice_en: str = Field(default="", max_length=4000)


class SlotTemplateIn(Strict):
    days: list[int] = Field(
        min_length=1,
        max_length=7,
        description="ISO weekdays, 1 = Monday",
        json_schema_extra={"items": {"type": "integer", "minimum": 1, "maximum": 7}},
        examples=[[1, 2, 3, 4, 5]],
    )
    start: TimeText = Field(description="HH:MM", min_length=5, max_length=5)
    end: TimeText = Field(
        description="HH:MM, after `start`; a service's slots do not overlap",
        min_length=5,
        max_length=5,
        examples=["09:30"],
    )
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
    skip_returns_after: int = Field(
        default=3, ge=1, le=50, description="R15a: a skipped ticket (过号) comes back after this many calls"
    )
    board_sound: Literal["off", "zh", "zh_en"] = Field(
        default="off",
        description="the display board announces each call aloud: off, in Chinese, or Chinese then English",
    )


class SlotChangeOut(Model):
    service_code: str
    date: DateText
    start: TimeText
    booked: int
    capacity_requested: int | None = None
    capacity: int | None = None


class SlotsChangedOut(Model):
    queued: bool = Field(
        default=False,
        description="true: the change touches many released slots, which a job brings in line within seconds "
        "(its result joins the audit log as office.timetable_applied); until it reaches a slot, the slot keeps "
        "its stored capacity and no booking ever exceeds it",
    )
    slots_to_change: int = Field(default=0, description="when queued: how many released slots the job may change")
    updated: int = Field(default=0, description="released slots whose capacity, end or state changed")
    closed: int = Field(default=0, description="released slots no longer in the timetable, closed to new bookings")
    created: int = Field(default=0, description="slots the new timetable adds to days already open")
    over_capacity: list[SlotChangeOut] = Field(
        default=[],
        description="slots with more bookings than the new capacity: all kept, full until cancellations bring them under it",
    )
    closed_with_bookings: list[SlotChangeOut] = Field(default=[], description="closed slots whose bookings stay valid")


class OfficeAdminOut(Model):
    office: dict[str, Any]
    slots: SlotsChangedOut


class CalendarIn(Strict):
    model_config = example(holidays=["2031-01-01", "2031-10-01"], workdays=["2031-09-28"])
    holidays: list[DateText] = Field(
        default=[], max_length=366, description="YYYY-MM-DD days off (public holidays) of that year"
    )
    workdays: list[DateText] = Field(
        default=[], max_length=366, description="YYYY-MM-DD make-up working days (调休上班) of that year"
    )


class ClosedDayOut(Model):
    office_id: str
    date: DateText
    slots: int
    bookings_cancelled: int = Field(description="bookings cancelled by the hall, each told by SMS, never counted")


class CalendarOut(Model):
    year: int
    holidays: list[DateText]
    workdays: list[DateText]
    changed_days: list[DateText] = Field(description="days within the released range whose working status changed")
    closed_days: list[ClosedDayOut] = Field(
        description="released days that became days off, closed like a hall closure: slots closed, bookings "
        "cancelled by the hall with an SMS, never counted against anyone"
    )
    opened_days: list[str] = Field(default=[], description="days that became working days: released at `released_at`")
    released_at: str | None = Field(default=None, description="the next noon release, which writes the opened days")


class AuditEntryOut(Model):
    audit_id: str
    at: InstantText
    actor_id: str
    actor_role: str
    action: str
    target: str
    outcome: str
    before: Any = None
    after: Any = None
    detail: Any = None

    @classmethod
    def of(cls, entry: "AuditEntry") -> "AuditEntryOut":
        return cls(
            audit_id=entry.audit_id,
            at=entry.at.isoformat(),
            actor_id=entry.actor_id,
            actor_role=entry.actor_role,
            action=entry.action,
            target=entry.target,
            outcome=entry.outcome,
            before=entry.before,
            after=entry.after,
            detail=entry.detail,
        )


class AuditOut(Model):
    date: DateText
    entries: list[AuditEntryOut]
    next_cursor: str | None


# ---------------------------------------------------------------- read-back


class ClosureEntryOut(Model):
    date: DateText
    reason: str
    past: bool = False


class ClosuresOut(Model):
    office_id: str
    closures: list[ClosureEntryOut]


class ClosureLiftedOut(Model):
    office_id: str
    date: DateText
    reason: str = Field(description="the reason the lifted closure had")
    slots_reopened: int = Field(description="released slots of the day open again (with the places the closure freed)")
    slots_created: int = Field(description="slots of the day written now because the day is in the window")


class ClosurePreviewOut(Model):
    office_id: str
    date: DateText
    closed: bool = Field(description="the day is closed already")
    reason: str = Field(description="the closure's reason, when closed")
    working_day: bool = Field(description="a working day by the calendar (R5)")
    bookings: int = Field(description="bookings still `booked`: closing cancels each, with an SMS, never counted")
    checked_in: int = Field(description="bookings checked in already (a closure of today leaves them)")
    slots: int = Field(description="released slots still open, which closing closes")
    waiting: int = Field(description="waitlist entries for the day, which closing ends with an SMS")
    past: bool = Field(description="the day is past: it cannot be closed")


class CalendarYearOut(Model):
    year: int
    source: Literal["admin", "official", "provisional"] = Field(
        description="R5: an administrator's entries, the bundled State Council schedule, or the weekday rule "
        "with the computed statutory holidays and their days in lieu"
    )
    bundled_by: str | None = Field(
        default=None, description="which bundled schedule knows the year: chinesecalendar, holidays, or none"
    )
    holidays: list[DateText] = Field(description="weekdays that are days off")
    workdays: list[DateText] = Field(description="make-up working days on a weekend")
    entered: dict[str, Any] | None = Field(default=None, description="the administrator's entries, if any")
    alarm: bool = Field(
        default=False,
        description="R5: operators are alarmed now - it is December and next year's calendar is only provisional",
    )


class CancelledByOut(Model):
    citizen: int
    operator: int
    hall: int


class StatsDayOut(Model):
    date: DateText
    office_id: str
    service_code: str
    capacity: int = Field(description="places of the day's open slots")
    booked: int = Field(description="places held at the end: booked, checked in, completed or no-show")
    utilisation: float | None = Field(description="booked / capacity")
    cancellations: int
    cancelled_by: CancelledByOut
    no_shows: int
    no_show_rate: float | None = Field(description="no_shows / booked")
    walk_ins: int
    checked_in: int
    called: int
    completed: int
    average_wait_seconds: float | None = Field(description="check-in (or walk-in ticket) to call")
    average_service_seconds: float | None = Field(description="call to completion")


class StatsOut(Model):
    office_id: str
    service_code: str | None
    from_: DateText = Field(alias="from")
    to: DateText
    days: list[StatsDayOut]


# ---------------------------------------------------------------- hall closures


class ClosureIn(Strict):
    model_config = example(date="2030-10-09", reason="停电检修 power maintenance")
    date: DateText = Field(description="YYYY-MM-DD, today or later", min_length=1, max_length=10)
    reason: str = Field(
        description="told to each citizen by SMS",
        min_length=1,
        max_length=60,
        json_schema_extra={"pattern": TEXT},
        examples=["停电检修 power maintenance"],
    )


class ClosureOut(Model):
    office_id: str
    date: DateText
    reason: str
    already_closed: bool = Field(description="the day was closed by an earlier request (this one changed nothing new)")
    slots_closed: int = Field(description="released slots of the day, all now closed")
    bookings_cancelled: int = Field(description="the day's bookings cancelled by the hall, in all")
    cancelled_now: int = Field(description="of those, cancelled by this request")


# ---------------------------------------------------------------- residence permits (R17)


class PermitIn(Strict):
    model_config = example(
        holder_id_number="460106199003152318",
        office_id="hk-longhua-jinmao-ps",
        address="海口市龙华区金贸西路20号",
        valid_until="2031-09-30",
    )
    holder_id_number: IdNumberText = Field(min_length=1, max_length=32)
    office_id: str = Field(
        min_length=1,
        max_length=64,
        description="the police station the holder is registered at",
        examples=["hk-longhua-jinmao-ps"],
    )
    address: str = Field(min_length=1, max_length=200)
    valid_until: DateText = Field(min_length=1, max_length=10, description="YYYY-MM-DD, the last valid day")
    last_endorsed: DateText | None = Field(
        default=None, max_length=10, description="YYYY-MM-DD, not after today nor after valid_until"
    )
    employer: str | None = Field(default=None, max_length=100)
    school: str | None = Field(default=None, max_length=100)
