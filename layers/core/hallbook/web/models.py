"""Request and response shapes of the HTTP contract (pydantic); they also make the OpenAPI document."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, Field

from ..domain.booking import cancel_deadline
from ..domain.identity import mask_id_number, mask_name
from ..domain.newborn import mask_certificate

if TYPE_CHECKING:  # the stores are the routes' (their services'), imported where a model reads one
    from ..store.bookings import Booking
    from ..store.catalog import Catalog, Office


class Model(BaseModel):
    """Every request and response model. Built when first used, not at import: a cold start pays only
    for the models of the routes it serves (pydantic's `defer_build`). The web/models*.py modules do
    without `from __future__ import annotations`: with it pydantic evaluates every field's annotation
    from its text at the cold start (~5 ms of the citizens' function); methods quote theirs instead."""

    model_config = ConfigDict(defer_build=True, json_schema_serialization_defaults_required=True)


class Strict(Model):
    model_config = ConfigDict(extra="forbid")


def example(**body) -> "ConfigDict":
    """A whole request body for the document (Swagger's "Try it out", schemathesis' first case)."""
    return documented([body])


def documented(examples: "list[dict]", **keywords) -> "ConfigDict":
    """Whole-body examples and JSON Schema keywords for the document only (`oneOf` for fields that
    go together): the services check these rules themselves, with the contract's VALIDATION_ERROR."""
    return ConfigDict(json_schema_extra={"examples": examples, **keywords})


def null_fields(*names: "str") -> "dict":
    return {name: {"type": "null"} for name in names}


def non_blank(pattern: "str" = r"\S") -> "dict":
    return {"type": "string", "pattern": pattern}


# ---------------------------------------------------------------- formats the document states
# JSON Schema only (`json_schema_extra`, `examples`): the services check these and more (the GB 11643
# check digit, a real birth date and province, the mobile ranges phonenumbers knows) and refuse with
# the contract's VALIDATION_ERROR, so validation is unchanged; a value the document allows is never
# refused for its shape. Each pattern is a subset of what the server accepts (it also trims spaces,
# reads a lower-case x, and so on).

ID_NUMBER = r"^[0-9]{17}[0-9Xx]$"
# what domain.identity.parse_phone (phonenumbers, CN mobile) accepts, as 11 digits with or without 86/+86
MOBILE = r"^(\+?86)?1(3[0-9]|4[57]|5[0-35-9]|6[25-7]|7[0-35-8]|8[0-9]|9[0-35-9])[0-9]{8}$"
SMS_CODE = r"^[0-9]{6}$"
HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
# domain.identity.parse_name: Chinese or Latin letters, middle dots, spaces, . ' -
PERSON_NAME = r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z\u00b7 .'-]{0,48}[\u4e00-\u9fffA-Za-z.]?$"
# services.credentials.check_password: 8 to 128 characters mixing letters and digits
PASSWORD = r"^.*([0-9].*[A-Za-z]|[A-Za-z].*[0-9]).*$"
PERMIT_NUMBER = r"^[0-9A-Z]{6,32}$"
REFERENCE = r"^[0-9A-TV-Za-tv-z]{4}-?[0-9A-TV-Za-tv-z]{4}$"  # Crockford base32, O read as 0 and I/L as 1
CURSOR = (
    "opaque: the `next_cursor` of the page before (none: the first page); sealed for this list and caller,"
    " so any other value is 400 VALIDATION_ERROR"
)
TEXT = r"\S"  # not only spaces (spaces are collapsed before the length is checked)

IdNumberText = Annotated[
    str,
    Field(
        json_schema_extra={"pattern": ID_NUMBER},
        examples=["11010519491231002X", "440106199001010013"],
        description="18-character resident ID number (GB 11643: check digit, birth date, province)",
    ),
]
MobileText = Annotated[
    str, Field(json_schema_extra={"pattern": MOBILE}, examples=["13812345678"], description="mainland mobile number")
]
DateText = Annotated[
    str, Field(json_schema_extra={"format": "date"}, examples=["2030-10-08"], description="YYYY-MM-DD")
]
TimeText = Annotated[str, Field(json_schema_extra={"pattern": HHMM}, examples=["09:00"], description="HH:MM")]
InstantText = Annotated[
    str,
    Field(
        json_schema_extra={"format": "date-time"},
        examples=["2030-10-07T18:00:00+08:00"],
        description="ISO 8601 instant with its offset",
    ),
]


def date_query(description: "str", alias: "str | None" = None) -> "Any":
    """A `YYYY-MM-DD` query parameter (the services parse it, answering VALIDATION_ERROR)."""
    return Query(alias=alias, max_length=10, description=description, json_schema_extra={"format": "date"})


class ServiceOut(Model):
    model_config = ConfigDict(from_attributes=True)  # validated from a store.catalog.Service
    code: str
    name_zh: str
    name_en: str
    appointment_required: bool
    materials: list[str]
    notice: str
    category: str = ""
    materials_en: list[str] = []
    notice_en: str = ""
    subject: Literal["self", "minor", "newborn", "self_or_minor"] = Field(
        description="R2: whom it is for - the caller (`self`), a linked minor (`minor`, subject_id_number), "
        "a newborn (`newborn`, named by its birth certificate), or either the caller or a linked minor"
    )


class ServiceAdminViewOut(ServiceOut):
    """GET /v1/services/{code} with an administrator's token - the service as stored (what
    PUT /v1/services/{code} takes back), with its ETag."""

    model_config = ConfigDict(extra="allow")  # every stored field, a newer one included
    minor_subject: bool = Field(default=False, description="R2: only a minor is its subject")
    minor_allowed: bool = Field(default=True, description="R2: a minor may be its subject")


class ServicesOut(Model):
    services: list[ServiceOut]


class OfficeOut(Model):
    model_config = ConfigDict(from_attributes=True)  # validated from a store.catalog.Office
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
    skip_returns_after: int = Field(default=3, description="R15a: a skipped ticket comes back after this many calls")
    board_sound: Literal["off", "zh", "zh_en"] = Field(default="off", description="the board's announcements")


class OfficeAdminViewOut(OfficeOut):
    """GET /v1/offices/{office_id} with an administrator's token - the hall as stored."""

    timetable: dict[str, list[dict[str, Any]]] = Field(
        description="per service, its weekly slots {days, start, end, capacity}"
    )
    closures: list[dict[str, Any]] = Field(description="dated closures {date, reason}")

    @classmethod
    def of(cls, office: "Office") -> "OfficeAdminViewOut":
        from ..store.catalog import body_of

        return cls.model_validate(body_of(office))


class OfficesOut(Model):
    offices: list[OfficeOut]


class SlotOut(Model):
    start: TimeText
    end: TimeText
    capacity: int
    remaining: int


class DayOut(Model):
    date: DateText
    slots: list[SlotOut]


class AvailabilityOut(Model):
    office_id: str
    service_code: str
    days: list[DayOut]


class RegisterIn(Strict):
    model_config = example(name="张三", id_number="440106199001010013", phone="13812345678", password="abc12345")
    name: str = Field(min_length=1, max_length=50, json_schema_extra={"pattern": PERSON_NAME}, examples=["张三"])
    id_number: IdNumberText = Field(min_length=1, max_length=32)
    phone: MobileText = Field(min_length=1, max_length=20)
    password: str = Field(
        min_length=1,
        max_length=128,
        json_schema_extra={"pattern": PASSWORD, "minLength": 8},
        examples=["abc12345"],
        description="8 to 128 characters, letters and digits",
    )
    lang: Literal["zh", "en"] = "zh"


class RegisterOut(Model):
    account_id: str
    phone_verified: bool


class VerifyIn(Strict):
    model_config = example(id_number="440106199001010013", code="123456")
    id_number: IdNumberText = Field(min_length=1, max_length=32)
    code: str = Field(
        min_length=1,
        max_length=12,
        json_schema_extra={"pattern": SMS_CODE},
        examples=["123456"],
        description="the 6-digit code sent by SMS",
    )


class ResendIn(Strict):
    model_config = example(id_number="440106199001010013")
    id_number: IdNumberText = Field(min_length=1, max_length=32)


class VerifyOut(Model):
    phone_verified: bool


class SessionIn(Strict):
    model_config = example(login="13812345678", password="abc12345")
    login: str = Field(min_length=1, max_length=64, description="ID number, phone, or a staff login")
    password: str = Field(min_length=1, max_length=128)
    sms_code: str | None = Field(
        default=None,
        max_length=12,
        description=("a citizen's login code (POST /v1/sessions/sms-code), needed only after SMS_CODE_REQUIRED"),
    )
    totp_code: str | None = Field(
        default=None,
        max_length=12,
        description=(
            "staff, operators and administrators: the authenticator app's code, needed only after TOTP_CODE_REQUIRED"
        ),
    )


class SessionOut(Model):
    token: str
    expires_in: int


class WarningOut(Model):
    """R21: one more cancellation (no-show) on or before `last_day` suspends booking."""

    reason: str = Field(description="cancellations | no_shows")
    count: int
    limit: int = Field(description="the count that suspends")
    last_day: DateText = Field(description="YYYY-MM-DD: the last day one more counts towards the suspension")
    suspends_until: InstantText | None = Field(
        description="cancellations: the instant the suspension would end; no-shows: null (six months from that no-show)"
    )
    message: str = Field(description="the warning SMS's text, in the account's language")
    detail: str = Field(description="the same in English")


class RestrictionsOut(Model):
    suspended_until: InstantText | None
    suspension_reason: str | None
    cancellations_this_month: int
    no_shows_in_six_months: int
    warnings: list[WarningOut] = Field(default_factory=list)


class MeOut(Model):
    account_id: str
    name: str
    id_number: str | None
    phone: str | None
    phone_verified: bool
    identity_verified: bool = False
    role: str
    office_id: str | None = None
    lang: str
    restrictions: RestrictionsOut | None = None


class NewbornIn(Strict):
    """R2: a newborn as its medical birth certificate (出生医学证明) names it."""

    model_config = example(name="王小明", birth_certificate_number="O440012345")
    name: str = Field(min_length=1, max_length=30)
    birth_certificate_number: str = Field(
        min_length=1,
        max_length=32,
        description="one letter and nine digits as printed (e.g. O440012345, X320101001); "
        "full-width characters, spaces and hyphens are folded",
    )


class NewbornOut(Model):
    name: str = Field(description="masked")
    birth_certificate_number: str = Field(description="masked")


class QueueOut(Model):
    ticket: str = Field(description="the queue ticket's number, e.g. A012")
    ahead: int = Field(description="tickets called before it (R15 order); 0 once it is called")


class BookingIn(Strict):
    model_config = example(
        office_id="gz-tianhe-centre",
        service_code="ID_RENEW",
        date="2030-10-08",
        start="09:00",
        notice_acknowledged=True,
    )
    office_id: str = Field(min_length=1, max_length=64, examples=["gz-tianhe-centre"])
    service_code: str = Field(min_length=1, max_length=64, examples=["ID_RENEW"])
    date: DateText = Field(description="YYYY-MM-DD", min_length=1, max_length=10)
    start: TimeText = Field(description="HH:MM, a slot's start (GET .../availability)", min_length=1, max_length=5)
    notice_acknowledged: bool = Field(description="the service's notice was read (R8); false is refused")
    subject_id_number: IdNumberText | None = Field(
        default=None, max_length=32, description="R2: a minor's ID number, when booking as guardian"
    )
    newborn: NewbornIn | None = Field(
        default=None,
        description="R2: a `newborn` service's child, named by its medical birth certificate (booked with "
        "the guardian's own ID number, i.e. the caller's); instead of subject_id_number",
    )


class RescheduleIn(Strict):
    """R8a: where the booking moves to (`office_id` absent: its own hall)."""

    model_config = example(date="2030-10-09", start="10:00")
    office_id: str | None = Field(default=None, min_length=1, max_length=64, examples=["gz-tianhe-centre"])
    date: DateText = Field(description="YYYY-MM-DD", min_length=1, max_length=10)
    start: TimeText = Field(description="HH:MM, a slot's start (GET .../availability)", min_length=1, max_length=5)


class BookingOut(Model):
    booking_id: str
    reference: str
    office_id: str
    service_code: str
    date: DateText
    start: TimeText
    end: TimeText
    subject_id_number: str | None = Field(description="masked; absent (null) for a newborn's business")
    status: Literal["booked", "cancelled", "checked_in", "completed", "no_show", "closed_at_day_end"]
    created_at: InstantText
    cancel_until: InstantText
    office_name: str | None = None
    service_name_zh: str | None = None
    cancelled_by: str | None = None
    newborn: NewbornOut | None = Field(default=None, description="R2: a newborn's business, masked")
    queue: QueueOut | None = Field(default=None, description="R13: once checked in, its ticket and how many before it")

    @classmethod
    def of(
        cls, booking: "Booking", catalog: "Catalog | None" = None, queue: "tuple[str, int] | None" = None
    ) -> "BookingOut":
        """A booking as the contract shows it: the subject's ID number masked, the hall's and the
        service's names from the catalog."""
        from ..store.catalog import load_catalog

        catalog = catalog or load_catalog()
        office = catalog.offices.get(booking.office_id)
        service = catalog.services.get(booking.service_code)
        newborn = booking.newborn_name is not None
        return cls(
            booking_id=booking.booking_id,
            reference=booking.reference,
            office_id=booking.office_id,
            service_code=booking.service_code,
            date=booking.date.isoformat(),
            start=booking.start,
            end=booking.end,
            subject_id_number=None if newborn else mask_id_number(booking.subject_id_number),
            status=booking.status,
            created_at=booking.created_at,
            cancel_until=cancel_deadline(booking.date).isoformat(),
            office_name=office.name if office else None,
            service_name_zh=service.name_zh if service else None,
            cancelled_by=booking.cancelled_by,
            newborn=NewbornOut(
                name=mask_name(booking.newborn_name or ""),
                birth_certificate_number=mask_certificate(booking.subject_id_number),
            )
            if newborn
            else None,
            queue=QueueOut(ticket=queue[0], ahead=queue[1]) if queue else None,
        )

    @classmethod
    def each(
        cls, bookings: "Iterable[Booking]", queues: "dict[str, tuple[str, int]] | None" = None
    ) -> "list[BookingOut]":
        from ..store.catalog import load_catalog

        catalog = load_catalog()
        return [cls.of(b, catalog, (queues or {}).get(b.booking_id)) for b in bookings]


class BookingsOut(Model):
    bookings: list[BookingOut]
    next_cursor: str | None
