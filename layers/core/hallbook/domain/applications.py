"""R17: online residence-permit applications (seed 004, the Haikou guide) as plain rules - who may
apply for what and when, the materials each kind asks for, the life of an application, and what
completing one does to the permit. No I/O: services.applications calls these with what it read.

Kinds and their conditions (seed 004):
- renewal (签注, once a year): "在居住证有效期满之日起前一个月内" - within the month before the
  permit's expiry. A permit valid until D (its last valid day) may be renewed from the day after
  D minus one calendar month up to D, both included: valid until 2026-10-15 -> 2026-09-16 to
  2026-10-15. Completion extends the validity by one year from D (not from the day it closes).
- change of registered details (address, employer, school): "应在30日内" - the change date plus
  30 days, that day included; a change date in the future is not a change yet.
- replacement of a lost or damaged permit (丢失补领、损坏换领).

States: draft -> submitted -> under_review -> approved | rejected; approved -> collecting -> closed.
An application is created as a `draft` (its materials are uploaded to it), becomes `submitted` when
the citizen submits it with every required material present, `under_review` when staff of the
permit's office open it. A draft or submitted application may be withdrawn by its citizen. Every
other step is allowed only from the one state before it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from typing import Any

from ..i18n import N_
from .errors import InvalidState, NotEligible, ValidationFailed

CHANGE_DAYS = 30
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
UPLOAD_CONTENT_TYPES = ("image/jpeg", "image/png", "application/pdf")
REASON_MAX = 200
_PERMIT_NUMBER = re.compile(r"^[0-9A-Z]{6,32}$")


class Kind(str, Enum):
    RENEWAL = "renewal"
    CHANGE = "change"
    REPLACEMENT = "replacement"


class State(str, Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    COLLECTING = "collecting"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


# to-state -> the one state it may be reached from (withdrawn: from either of two)
PREVIOUS: dict[State, tuple[State, ...]] = {
    State.SUBMITTED: (State.DRAFT,),
    State.UNDER_REVIEW: (State.SUBMITTED,),
    State.APPROVED: (State.UNDER_REVIEW,),
    State.REJECTED: (State.UNDER_REVIEW,),
    State.COLLECTING: (State.APPROVED,),
    State.CLOSED: (State.COLLECTING,),
    State.WITHDRAWN: (State.DRAFT, State.SUBMITTED),
}
FINAL = {State.REJECTED, State.CLOSED, State.WITHDRAWN}  # the per-permit-and-kind lock is released
STAFF_VISIBLE = set(State) - {State.DRAFT}  # a draft is the citizen's own until submitted

SERVICE_OF_KIND = {Kind.RENEWAL: "RP_RENEW", Kind.CHANGE: "RP_CHANGE", Kind.REPLACEMENT: "RP_REPLACE"}
COLLECTION_SERVICE = "RP_COLLECT"
KIND_NAMES = {
    Kind.RENEWAL: ("居住证签注（续签）", "residence permit renewal"),
    Kind.CHANGE: ("居住证登记信息变更", "change of residence permit details"),
    Kind.REPLACEMENT: ("居住证补领、换领", "residence permit replacement"),
}


def check_transition(current: str, to: State) -> None:
    """INVALID_STATE unless `to` may follow `current`."""
    allowed = PREVIOUS[to]
    if current not in {s.value for s in allowed}:
        before = " or ".join(s.value for s in allowed)
        raise InvalidState(
            N_(
                "The application is {state}; it can become {to} only when it is {before}.",
                state=current,
                to=to.value,
                before=before,
            ),
            state=current,
        )


# ---------------------------------------------------------------- materials (seed 004, 办理材料)


@dataclass(frozen=True)
class Material:
    code: str
    name_zh: str
    name_en: str
    required: bool = True


_PERMIT = Material("residence_permit", "《居住证》", "Residence permit")
_ID_CARD = Material("id_card", "《居民身份证》", "Resident ID card")
_PROOF = Material(
    "eligibility_proof",
    "合法稳定就业、合法稳定住所或连续就读证明材料之一",
    "Proof of one of: legal stable employment, legal stable residence, continuous study",
)
_CHANGE_PROOF = Material("change_proof", "信息变更证明材料", "Proof of the changed details")
_DAMAGED = Material(
    "damaged_permit", "损坏的《居住证》（照片）", "The damaged residence permit (photo)", required=False
)


def materials_for(kind: Kind, reason: str | None = None) -> tuple[Material, ...]:
    """What the seed asks each kind to upload. Renewal: the permit, the ID card and one proof of
    employment, residence or study; change: the proof of the change; replacement: nothing online
    (the guide only confirms the applicant's identity) - a damaged permit's photo may be added."""
    if kind is Kind.RENEWAL:
        return (_PERMIT, _ID_CARD, _PROOF)
    if kind is Kind.CHANGE:
        return (_CHANGE_PROOF,)
    return (_DAMAGED,) if reason == "damaged" else ()


def material(kind: Kind, reason: str | None, code: str) -> Material:
    for m in materials_for(kind, reason):
        if m.code == code:
            return m
    raise ValidationFailed(N_("{code} is not a material of this application.", code=code), field="material")


def check_upload_type(content_type: str) -> str:
    if content_type not in UPLOAD_CONTENT_TYPES:
        raise ValidationFailed(
            N_("content_type must be one of {types}.", types=list(UPLOAD_CONTENT_TYPES)), field="content_type"
        )
    return content_type


@dataclass(frozen=True)
class StoredObject:
    """What HeadObject says about an uploaded material."""

    content_type: str
    size: int


def check_materials(kind: Kind, reason: str | None, found: dict[str, StoredObject | None]) -> None:
    """Submission: every required material is present, and every present one has an allowed type
    and size (checked again here: the presigned policy is enforced by S3, not by every emulator)."""
    missing = [m.code for m in materials_for(kind, reason) if m.required and found.get(m.code) is None]
    if missing:
        raise ValidationFailed(
            N_("Upload these materials first: {materials}.", materials=missing), field="materials", missing=missing
        )
    invalid = [
        code
        for code, obj in found.items()
        if obj is not None and (obj.content_type not in UPLOAD_CONTENT_TYPES or not 0 < obj.size <= MAX_UPLOAD_BYTES)
    ]
    if invalid:
        raise ValidationFailed(
            N_(
                "These uploads have a wrong type or size ({types}, at most {megabytes} MB): {materials}; upload them again.",
                types=list(UPLOAD_CONTENT_TYPES),
                megabytes=MAX_UPLOAD_BYTES // (1024 * 1024),
                materials=invalid,
            ),
            field="materials",
            invalid=invalid,
        )


# ---------------------------------------------------------------- permits


def parse_permit_number(raw: str) -> str:
    value = (raw or "").strip().upper()
    if not _PERMIT_NUMBER.match(value):
        raise ValidationFailed("permit_number is 6 to 32 digits or capital letters", field="permit_number")
    return value


def check_permit(valid_until: date, last_endorsed: date | None, address: str, today: date) -> str:
    """A permit an administrator registers: a real address, an endorsement not in the future and not
    after the expiry it led to. The address, cleaned."""
    if last_endorsed is not None and (last_endorsed > today or last_endorsed > valid_until):
        raise ValidationFailed("last_endorsed is after today or after valid_until", field="last_endorsed")
    return check_mail_address(address)


# ---------------------------------------------------------------- eligibility


def minus_month(day: date) -> date:
    """The same day one calendar month earlier, or that month's last day (03-31 -> 02-28)."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def plus_years(day: date, years: int = 1) -> date:
    """One year later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def renewal_period(valid_until: date) -> tuple[date, date]:
    """The first and the last day a renewal may be applied for: the month before expiry."""
    return minus_month(valid_until) + timedelta(days=1), valid_until


def check_renewal(valid_until: date, today: date) -> None:
    opens, closes = renewal_period(valid_until)
    if not opens <= today <= closes:
        raise NotEligible(
            N_(
                "Renewal was open from {opens} to {closes}, the month before the permit expires on {expires}; "
                "it has expired. A late endorsement is made at the station's window.",
                opens=opens.isoformat(),
                closes=closes.isoformat(),
                expires=valid_until.isoformat(),
            )
            if today > closes
            else N_(
                "Renewal is open from {opens} to {closes}, the month before the permit expires on {expires}; "
                "it is not open yet.",
                opens=opens.isoformat(),
                closes=closes.isoformat(),
                expires=valid_until.isoformat(),
            ),
            window_opens=opens.isoformat(),
            window_closes=closes.isoformat(),
        )


def check_change(change_date: date, today: date) -> None:
    if change_date > today:
        raise ValidationFailed("change_date is in the future", field="change_date")
    deadline = change_date + timedelta(days=CHANGE_DAYS)
    if today > deadline:
        raise NotEligible(
            N_(
                "A change of registered details is reported within {days} days: the change on {changed} could be "
                "reported until {deadline}. Go to the station's window.",
                days=CHANGE_DAYS,
                changed=change_date.isoformat(),
                deadline=deadline.isoformat(),
            ),
            deadline=deadline.isoformat(),
        )


def check_replacement(reason: str | None) -> str:
    if reason not in ("lost", "damaged"):
        raise ValidationFailed("reason must be lost or damaged", field="reason")
    return reason


@dataclass(frozen=True)
class Details:
    """What an application asks for, by kind (validated)."""

    reason: str | None = None  # replacement
    change_date: date | None = None  # change
    address: str | None = None
    employer: str | None = None
    school: str | None = None

    def public(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items() if v is not None}


def details_for(
    kind: Kind,
    reason: str | None,
    change_date: date | None,
    address: str | None,
    employer: str | None,
    school: str | None,
) -> Details:
    """The fields of `kind`, and no other kind's."""
    given = {"reason": reason, "change_date": change_date, "address": address, "employer": employer, "school": school}
    allowed = {
        Kind.RENEWAL: set(),
        Kind.REPLACEMENT: {"reason"},
        Kind.CHANGE: {"change_date", "address", "employer", "school"},
    }[kind]
    extra = sorted(k for k, v in given.items() if v is not None and k not in allowed)
    if extra:
        raise ValidationFailed(
            N_("A {kind} application takes no {fields}.", kind=kind.value, fields=extra), field=extra[0]
        )
    if kind is Kind.REPLACEMENT:
        return Details(reason=check_replacement(reason))
    if kind is Kind.CHANGE:
        if change_date is None:
            raise ValidationFailed("change_date is required", field="change_date")
        cleaned = {
            k: " ".join(v.split())
            for k, v in (("address", address), ("employer", employer), ("school", school))
            if v is not None and v.strip()
        }
        if not cleaned:
            raise ValidationFailed("name what changed: address, employer or school", field="address")
        if len(cleaned.get("address", "")) > 200 or any(len(v) > 100 for k, v in cleaned.items() if k != "address"):
            raise ValidationFailed("address is at most 200 characters, employer and school 100", field="address")
        return Details(change_date=change_date, **cleaned)
    return Details()


def check_eligible(kind: Kind, details: Details, valid_until: date, today: date) -> None:
    if kind is Kind.RENEWAL:
        check_renewal(valid_until, today)
    elif kind is Kind.CHANGE:
        assert details.change_date is not None
        check_change(details.change_date, today)


# ---------------------------------------------------------------- decision, collection, completion


def check_decision(approve: bool, reason: str | None) -> str | None:
    reason = " ".join((reason or "").split()) or None
    if not approve and not reason:
        raise ValidationFailed("a rejection needs a reason the citizen can act on", field="reason")
    if reason and len(reason) > REASON_MAX:
        raise ValidationFailed(N_("reason is at most {count} characters.", count=REASON_MAX), field="reason")
    return reason


def check_mail_address(address: str | None) -> str:
    cleaned = " ".join((address or "").split())
    if not 5 <= len(cleaned) <= 200:
        raise ValidationFailed("address must be 5 to 200 characters", field="address")
    return cleaned


def check_collection_office(office_id: str, permit_office: str) -> None:
    """Collection at the window is at the permit's office (its data is rewritten there)."""
    if office_id != permit_office:
        raise ValidationFailed(
            N_("Collect at the permit's station, {office}.", office=permit_office), field="office_id"
        )


def check_collection_choice(state: str, current: dict[str, Any] | None, booking_status: str | None) -> None:
    """Collection is chosen once the application is approved. It may be chosen again only when the
    window booking chosen before was cancelled or missed (the citizen needs another time)."""
    if state == State.COLLECTING.value:
        if current and current.get("method") == "window" and booking_status in ("cancelled", "no_show"):
            return
        raise InvalidState("Collection is already chosen for this application.", state=state)
    check_transition(state, State.COLLECTING)


def check_completion(method: str, booking_status: str | None) -> None:
    """A window collection is completed once the citizen came: its booking checked in (or done), so
    closing the application never leaves a booking to become a no-show."""
    if method == "window" and booking_status not in ("checked_in", "completed"):
        raise InvalidState(
            N_("The collection booking is {status}: check the citizen in first.", status=booking_status or "missing"),
            state=State.COLLECTING.value,
        )


@dataclass(frozen=True)
class PermitChange:
    """What closing an application writes to the permit (None fields stay)."""

    valid_until: date | None = None
    last_endorsed: date | None = None
    address: str | None = None
    employer: str | None = None
    school: str | None = None


def on_completion(kind: Kind, details: Details, valid_until: date, today: date) -> PermitChange:
    """Renewal: one more year from the current expiry, endorsed today. Change: the new details.
    Replacement: the permit's record is unchanged (a new card, same data)."""
    if kind is Kind.RENEWAL:
        return PermitChange(valid_until=plus_years(valid_until), last_endorsed=today)
    if kind is Kind.CHANGE:
        return PermitChange(address=details.address, employer=details.employer, school=details.school)
    return PermitChange()
