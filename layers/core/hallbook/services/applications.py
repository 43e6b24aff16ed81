"""R17 online residence-permit applications: a citizen applies for a permit they hold (renewal,
change of details, replacement), uploads the materials to S3 through presigned forms and submits;
staff of the permit's office open it, decide (SMS in the same transaction), and close it once the
permit is collected - at the window, through the booking rules (services.bookings.book), or by mail.

Rules are hallbook.domain.applications; each step is one transaction (store.applications.move)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from ..domain import errors
from ..domain.applications import (
    COLLECTION_SERVICE,
    FINAL,
    KIND_NAMES,
    MAX_UPLOAD_BYTES,
    Details,
    Kind,
    State,
    check_collection_choice,
    check_collection_office,
    check_completion,
    check_decision,
    check_eligible,
    check_mail_address,
    check_materials,
    check_transition,
    check_upload_type,
    details_for,
    material,
    materials_for,
    on_completion,
    parse_permit_number,
)
from ..domain.booking import Status
from ..domain.identity import parse_name, parse_phone
from ..domain.reference import new_reference
from ..i18n import N_, pair
from ..store import accounts as account_store
from ..store import applications as store
from ..store import bookings as booking_store
from ..store import permits as permit_store
from ..store import uploads
from ..store.accounts import Account
from ..store.applications import Application, PermitMoved, PermitUpdate, StateMoved, Step
from ..store.catalog import load_catalog
from ..store.outbox import Message
from ..store.uploads import UploadForm
from . import audit, bookings, messages
from .catalog import parse_day
from .ownership import owned_by
from .tokens import Caller

log = logging.getLogger(__name__)
DEFAULT_UPLOAD_TYPE = "image/jpeg"
COMPLETE_ATTEMPTS = 3


# ---------------------------------------------------------------- views


def _kind(application: Application) -> Kind:
    return Kind(application.kind)


def _details(application: Application) -> Details:
    d = application.details
    return Details(
        reason=d.get("reason"),
        change_date=date.fromisoformat(d["change_date"]) if d.get("change_date") else None,
        address=d.get("address"),
        employer=d.get("employer"),
        school=d.get("school"),
    )


@dataclass(frozen=True)
class Opened:
    """A new draft and a presigned upload form per material."""

    application: Application
    upload_forms: list[UploadForm]


@dataclass(frozen=True)
class ApplicationPage:
    applications: list[Application]
    next_cursor: str | None


@dataclass(frozen=True)
class OfficeApplicationsPage:
    office_id: str
    state: str
    applications: list[Application]
    next_cursor: str | None


@dataclass(frozen=True)
class Contact:
    """The applicant's name and phone, for the staff member who opened the application (audited)."""

    name: str | None
    phone: str | None


@dataclass(frozen=True)
class StaffView:
    """An application as its office's staff open it: presigned GETs of the uploaded materials (by
    material code), and with `contact` the applicant's name and phone."""

    application: Application
    download_urls: dict[str, str]
    contact: Contact | None = None


# ---------------------------------------------------------------- the citizen


def _citizen(caller: Caller) -> Account:
    account = account_store.get_account(caller.account_id)
    if account is None or account.role != "citizen" or not account.id_number:
        raise errors.Forbidden("Only a citizen's account can apply.")
    if not account.phone_verified:
        raise errors.PhoneNotVerified("Confirm your phone with the SMS code before applying.")
    return account


def own_application(caller: Caller, application_id: str) -> Application:
    """A citizen's own application; anybody else's is 404 and never its data or materials."""
    return owned_by(caller, application_id, store.get_application, "application")


def _form(application: Application, material_code: str, content_type: str) -> UploadForm:
    return uploads.upload_form(application.application_id, material_code, content_type, MAX_UPLOAD_BYTES)


def create(
    caller: Caller,
    kind: str,
    permit_number: str,
    now: datetime,
    *,
    reason: str | None = None,
    change_date: str | None = None,
    address: str | None = None,
    employer: str | None = None,
    school: str | None = None,
) -> Opened:
    """A draft application with an upload form per material. Validation first (no I/O), then the
    account and the permit, the eligibility, and one transaction: the application and its lock."""
    try:
        the_kind = Kind(kind)
    except ValueError:
        raise errors.ValidationFailed("kind must be renewal, change or replacement", field="kind") from None
    number = parse_permit_number(permit_number)
    changed = parse_day(change_date, "change_date") if change_date is not None else None
    details = details_for(the_kind, reason, changed, address, employer, school)

    account = _citizen(caller)
    permit = permit_store.get_permit(number)
    if permit is None or permit.holder_id_number != account.id_number:
        raise errors.NotFound("You hold no residence permit with that number.")
    check_eligible(the_kind, details, permit.valid_until, now.date())

    now_iso = now.isoformat()
    application = Application(
        application_id=uuid.uuid4().hex,
        reference=new_reference(),
        kind=the_kind.value,
        permit_number=number,
        office_id=permit.office_id,
        account_id=account.account_id,
        applicant_id_number=account.id_number or "",
        state=State.DRAFT.value,
        details=details.public(),
        created_at=now_iso,
        updated_at=now_iso,
        history=(Step(State.DRAFT.value, now_iso, account.account_id, "citizen"),),
    )
    try:
        store.open_application(application)
    except store.AlreadyOpen as already:
        raise errors.NotEligible(
            N_("This permit already has an open {kind} application; one at a time.", kind=the_kind.value),
            open_application_id=already.application_id,
        ) from None
    log.info(
        "application opened",
        extra={"application_id": application.application_id, "kind": the_kind.value, "office_id": permit.office_id},
    )
    forms = [_form(application, m.code, DEFAULT_UPLOAD_TYPE) for m in materials_for(the_kind, details.reason)]
    return Opened(application, forms)


def new_upload(caller: Caller, application_id: str, material_code: str, content_type: str) -> UploadForm:
    """Another upload form for one material: another content type, or after the first one expired."""
    application = own_application(caller, application_id)
    wanted = material(_kind(application), application.details.get("reason"), material_code)
    check_upload_type(content_type)
    if application.state != State.DRAFT.value:
        raise errors.InvalidState(
            N_("The application is {state}; materials are uploaded to a draft.", state=application.state),
            state=application.state,
        )
    return _form(application, wanted.code, content_type)


def _moved(application_id: str) -> errors.DomainError:
    current = store.get_application(application_id)
    state = current.state if current else "gone"
    return errors.InvalidState(N_("The application changed meanwhile; it is {state}.", state=state), state=state)


def submit(caller: Caller, application_id: str, now: datetime) -> Application:
    """draft -> submitted, once every required material is in the bucket (HeadObject each) with an
    allowed type and size. What was found is recorded for staff."""
    application = own_application(caller, application_id)
    check_transition(application.state, State.SUBMITTED)
    found = {
        m.code: uploads.stored_object(application.application_id, m.code)
        for m in materials_for(_kind(application), application.details.get("reason"))
    }
    check_materials(_kind(application), application.details.get("reason"), found)
    uploaded = {code: {"content_type": obj.content_type, "size": obj.size} for code, obj in found.items() if obj}
    step = Step(State.SUBMITTED.value, now.isoformat(), caller.account_id, "citizen")
    try:
        store.move(application, step, now, submitted=uploaded)
    except StateMoved:
        raise _moved(application_id) from None
    return replace(
        application,
        state=step.state,
        history=(*application.history, step),
        uploaded=uploaded,
        submitted_at=step.at,
        updated_at=step.at,
    )


def withdraw(caller: Caller, application_id: str, now: datetime) -> Application:
    """A draft or submitted application is withdrawn by its citizen; the permit may be applied for again."""
    application = own_application(caller, application_id)
    check_transition(application.state, State.WITHDRAWN)
    step = Step(State.WITHDRAWN.value, now.isoformat(), caller.account_id, "citizen")
    try:
        store.move(application, step, now, release_lock=True)
    except StateMoved:
        raise _moved(application_id) from None
    return replace(application, state=step.state, history=(*application.history, step), updated_at=step.at)


def choose_collection(
    caller: Caller,
    application_id: str,
    method: str,
    now: datetime,
    *,
    office_id: str | None = None,
    day: str | None = None,
    start: str | None = None,
    notice_acknowledged: bool = True,
    name: str | None = None,
    address: str | None = None,
    phone: str | None = None,
) -> Application:
    """approved -> collecting. At the window: a booking of the permit-collection service at the
    permit's office, made by services.bookings.book - the same rules, window and capacity as any
    booking (SLOT_FULL, OUTSIDE_WINDOW, ...), with an idempotency key derived from the application so
    a retried request never takes a second place. By mail: a validated recipient."""
    application = own_application(caller, application_id)
    current = application.collection
    booking_status = None
    if current and current.get("booking_id"):
        previous = booking_store.get_booking(current["booking_id"])
        booking_status = previous.status if previous else None
    check_collection_choice(application.state, current, booking_status)

    if method == "window":
        if not office_id or not day or not start:
            raise errors.ValidationFailed("window collection needs office_id, date and start", field="office_id")
        check_collection_office(office_id, application.office_id)
        key = f"application:{application.application_id}:{application.collection_attempts}"
        request = bookings.BookingRequest(
            office_id=office_id,
            service_code=COLLECTION_SERVICE,
            date=day,
            start=start,
            notice_acknowledged=notice_acknowledged,
        )
        try:
            booking, _ = bookings.book(caller, request, key, now)
        except errors.ValidationFailed as error:
            if error.extra.get("field") != "Idempotency-Key":
                raise
            raise errors.InvalidState(
                "A different collection time was chosen for this application meanwhile.", state=application.state
            ) from None
        collection = {
            "method": "window",
            "office_id": office_id,
            "date": booking.date.isoformat(),
            "start": booking.start,
            "end": booking.end,
            "booking_id": booking.booking_id,
            "reference": booking.reference,
        }
    elif method == "mail":
        collection = {
            "method": "mail",
            "name": parse_name(name or ""),
            "address": check_mail_address(address),
            "phone": parse_phone(phone or ""),
        }
    else:
        raise errors.ValidationFailed("method must be window or mail", field="method")

    step = Step(State.COLLECTING.value, now.isoformat(), caller.account_id, "citizen", collection["method"])
    try:
        store.move(application, step, now, collection=collection)
    except StateMoved:
        latest = store.get_application(application_id)
        if latest and latest.collection and latest.collection == collection:  # the same request, retried
            return latest
        raise _moved(application_id) from None
    return replace(
        application,
        state=step.state,
        history=(*application.history, step),
        collection=collection,
        collection_attempts=application.collection_attempts + 1,
        updated_at=step.at,
    )


def list_own(caller: Caller, limit: int, cursor: str | None) -> ApplicationPage:
    return ApplicationPage(*store.list_for_account(caller.account_id, limit, cursor))


# ---------------------------------------------------------------- staff of the permit's office


def for_staff(application_id: str) -> Application:
    """An application staff may act on (the web layer then checks they belong to its office). A draft
    is still the citizen's: not found."""
    application = store.get_application(application_id) if application_id and len(application_id) <= 64 else None
    if application is None or application.state == State.DRAFT.value:
        raise errors.NotFound("No such application.")
    return application


def staff_view(application: Application, contact_for: Caller | None = None, now: datetime | None = None) -> StaffView:
    """One application as its office's staff see it. With `contact_for` (the staff member opening it,
    GET .../applications/{id}): also the applicant's name and the phone staff may call, and the look is
    written to the audit log (who saw whose contact, when)."""
    urls = {
        m.code: uploads.download_url(application.application_id, m.code)
        for m in materials_for(_kind(application), application.details.get("reason"))
        if application.uploaded.get(m.code)
    }
    contact = None
    if contact_for is not None and now is not None:
        account = account_store.get_account(application.account_id)
        contact = Contact(account.name if account else None, account.phone if account else None)
        audit.record(
            contact_for,
            "application.contact_viewed",
            f"APP#{application.application_id}",
            now,
            detail={"office_id": application.office_id},
        )
    return StaffView(application, urls, contact)


def office_applications(office_id: str, state: str, limit: int, cursor: str | None) -> OfficeApplicationsPage:
    try:
        the_state = State(state)
    except ValueError:
        raise errors.ValidationFailed(N_("Unknown state {state}.", state=state), field="state") from None
    if the_state is State.DRAFT:
        raise errors.ValidationFailed("drafts are not submitted yet", field="state")
    return OfficeApplicationsPage(
        office_id, the_state.value, *store.list_for_office(office_id, the_state.value, limit, cursor)
    )


def review(caller: Caller, application: Application, now: datetime) -> StaffView:
    """submitted -> under_review: staff open it (and get its materials)."""
    check_transition(application.state, State.UNDER_REVIEW)
    step = Step(State.UNDER_REVIEW.value, now.isoformat(), caller.account_id, caller.role)
    try:
        store.move(application, step, now)
    except StateMoved:
        raise _moved(application.application_id) from None
    return staff_view(replace(application, state=step.state, history=(*application.history, step), updated_at=step.at))


def _sms(application: Application, template: str, now: datetime, **params: Any) -> tuple[Message, ...]:
    """The SMS reporting a step, to the applicant's phone (none if the account has no phone)."""
    account = account_store.get_account(application.account_id)
    if account is None or not account.phone:
        return ()
    office = load_catalog().offices.get(application.office_id)
    name_zh, name_en = KIND_NAMES[_kind(application)]
    return (
        messages.message(
            f"{application.application_id}#{template}",
            template,
            account.phone,
            account.lang,
            now,
            {"application_id": application.application_id},
            reference=application.reference,
            kind_name=name_zh,
            kind_name_en=name_en,
            office_name=office.name if office else application.office_id,
            office_name_en=(office.name_en or office.name) if office else application.office_id,
            **params,
        ),
    )


def decide(caller: Caller, application: Application, approve: bool, reason: str | None, now: datetime) -> StaffView:
    """under_review -> approved | rejected (a rejection with a reason), and the SMS telling the
    citizen, in one transaction. A rejection frees the permit for a new application."""
    reason = check_decision(approve, reason)
    to = State.APPROVED if approve else State.REJECTED
    check_transition(application.state, to)
    sms = _sms(application, f"application_{to.value}", now, reason=reason or "")
    step = Step(to.value, now.isoformat(), caller.account_id, caller.role, reason)
    try:
        store.move(application, step, now, decision_reason=reason, release_lock=to in FINAL, messages=sms)
    except StateMoved:
        raise _moved(application.application_id) from None
    log.info("application decided", extra={"application_id": application.application_id, "state": to.value})
    return staff_view(
        replace(
            application,
            state=step.state,
            history=(*application.history, step),
            decision_reason=reason,
            updated_at=step.at,
        )
    )


def complete(caller: Caller, application: Application, now: datetime, tracking_number: str | None = None) -> StaffView:
    """collecting -> closed, when the permit was handed over at the window (its booking checked in)
    or posted. A renewal extends the permit by a year, a change writes the new details, in the same
    transaction; the citizen is told by SMS - for a mail collection with the tracking number staff
    entered. A window collection's booking is then completed and its ticket leaves the board."""
    check_transition(application.state, State.CLOSED)
    collection = application.collection or {}
    method = collection.get("method", "")
    booking = None
    if method == "window":
        booking = booking_store.get_booking(collection["booking_id"])
        check_completion(method, booking.status if booking else None)
    tracking = " ".join((tracking_number or "").split()) or None
    if tracking and method != "mail":
        raise errors.ValidationFailed("A tracking number is for a collection by mail.", field="tracking_number")
    if method == "window":
        how = pair("how.window")
    elif tracking:
        how = pair("how.mail_tracked", tracking=tracking)
    else:
        how = pair("how.mail")
    sms = _sms(application, "application_closed", now, how=how[0], how_en=how[1])
    step = Step(
        State.CLOSED.value,
        now.isoformat(),
        caller.account_id,
        caller.role,
        note=f"tracking number {tracking}" if tracking else None,
    )
    for _ in range(COMPLETE_ATTEMPTS):
        permit = permit_store.get_permit(application.permit_number)
        if permit is None:
            raise errors.InvalidState(
                "The permit of this application is no longer registered.", state=application.state
            )
        change = on_completion(_kind(application), _details(application), permit.valid_until, now.date())
        values = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in change.__dict__.items() if v is not None}
        update = PermitUpdate(values, permit.valid_until.isoformat()) if values else None
        try:
            store.move(application, step, now, release_lock=True, messages=sms, permit=update)
            break
        except StateMoved:
            raise _moved(application.application_id) from None
        except PermitMoved:
            continue
    else:
        raise errors.Busy("The permit is changing; please retry.")
    if booking is not None and booking.status == Status.CHECKED_IN.value:
        from .tickets import finish_booking_ticket

        finish_booking_ticket(booking, now)
    return staff_view(replace(application, state=step.state, history=(*application.history, step), updated_at=step.at))


def review_backlog(now: datetime) -> tuple[int, float]:
    """Every office's applications submitted and not yet opened for review: how many, and how long the
    oldest has waited in seconds (0 when none) - the Halls dashboard's gauges, from the sweep job."""
    waiting, oldest = 0, None
    for office_id in sorted(load_catalog().offices):
        count, first = store.awaiting_review(office_id)
        waiting += count
        if first and (oldest is None or first < oldest):
            oldest = first
    age = (now - datetime.fromisoformat(oldest)).total_seconds() if oldest else 0.0
    return waiting, max(0.0, age)
