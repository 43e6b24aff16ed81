"""R17, the steps of the staff of the permit's office: open a submitted application (its materials),
decide (approve, or reject with a reason), and close it once the permit is handed over - at the window
(its booking checked in) or by mail. Each step is one write with the SMS telling the citizen
(application_texts.py) and, at closing, the permit's change (a renewal's year, a change's details)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from ..domain import errors
from ..domain.applications import FINAL, State, check_completion, check_decision, check_transition, on_completion
from ..domain.booking import Status
from ..store.applications import Application, PermitUpdate, StateMoved, Step
from ..store.permits import PermitMoved
from ..store.stores import stores
from . import audit
from .application_materials import download_urls
from .application_steps import details_of, kind_of, state_moved, stepped
from .application_texts import how_handed_over, step_sms
from .tokens import Caller

log = logging.getLogger(__name__)
COMPLETE_ATTEMPTS = 3


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


def staff_view(application: Application, contact_for: Caller | None = None, now: datetime | None = None) -> StaffView:
    """One application as its office's staff see it. With `contact_for` (the staff member opening it,
    GET .../applications/{id}): also the applicant's name and the phone staff may call, and the look is
    written to the audit log (who saw whose contact, when)."""
    urls = download_urls(application)
    contact = None
    if contact_for is not None and now is not None:
        account = stores().accounts.get_account(application.account_id)
        contact = Contact(account.name if account else None, account.phone if account else None)
        audit.record(
            contact_for,
            "application.contact_viewed",
            f"APP#{application.application_id}",
            now,
            detail={"office_id": application.office_id},
        )
    return StaffView(application, urls, contact)


def review(caller: Caller, application: Application, now: datetime) -> StaffView:
    """submitted -> under_review: staff open it (and get its materials)."""
    check_transition(application.state, State.UNDER_REVIEW)
    step = Step(State.UNDER_REVIEW.value, now.isoformat(), caller.account_id, caller.role)
    try:
        stores().applications.move(application, step, now)
    except StateMoved:
        raise state_moved(application.application_id) from None
    return staff_view(stepped(application, step))


def decide(caller: Caller, application: Application, approve: bool, reason: str | None, now: datetime) -> StaffView:
    """under_review -> approved | rejected (a rejection with a reason), and the SMS telling the
    citizen, in one write. A rejection frees the permit for a new application."""
    reason = check_decision(approve, reason)
    to = State.APPROVED if approve else State.REJECTED
    check_transition(application.state, to)
    sms = step_sms(application, f"application_{to.value}", now, reason=reason or "")
    step = Step(to.value, now.isoformat(), caller.account_id, caller.role, reason)
    try:
        stores().applications.move(
            application, step, now, decision_reason=reason, release_lock=to in FINAL, messages=sms
        )
    except StateMoved:
        raise state_moved(application.application_id) from None
    log.info("application decided", extra={"application_id": application.application_id, "state": to.value})
    return staff_view(stepped(application, step, decision_reason=reason))


def complete(caller: Caller, application: Application, now: datetime, tracking_number: str | None = None) -> StaffView:
    """collecting -> closed, when the permit was handed over at the window (its booking checked in)
    or posted. A renewal extends the permit by a year, a change writes the new details, in the same
    write; the citizen is told by SMS - for a mail collection with the tracking number staff
    entered. A window collection's booking is then completed and its ticket leaves the board."""
    check_transition(application.state, State.CLOSED)
    collection = application.collection or {}
    method = collection.get("method", "")
    booking = None
    if method == "window":
        booking = stores().bookings.get_booking(collection["booking_id"])
        check_completion(method, booking.status if booking else None)
    tracking = " ".join((tracking_number or "").split()) or None
    if tracking and method != "mail":
        raise errors.ValidationFailed("A tracking number is for a collection by mail.", field="tracking_number")
    how = how_handed_over(method, tracking)
    sms = step_sms(application, "application_closed", now, how=how[0], how_en=how[1])
    step = Step(
        State.CLOSED.value,
        now.isoformat(),
        caller.account_id,
        caller.role,
        note=f"tracking number {tracking}" if tracking else None,
    )
    store = stores().applications
    for _ in range(COMPLETE_ATTEMPTS):
        permit = store.get_permit(application.permit_number)
        if permit is None:
            raise errors.InvalidState(
                "The permit of this application is no longer registered.", state=application.state
            )
        change = on_completion(kind_of(application), details_of(application), permit.valid_until, now.date())
        values = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in change.__dict__.items() if v is not None}
        update = PermitUpdate(values, permit.valid_until.isoformat()) if values else None
        try:
            store.move(application, step, now, release_lock=True, messages=sms, permit=update)
            break
        except StateMoved:
            raise state_moved(application.application_id) from None
        except PermitMoved:
            continue
    else:
        raise errors.Busy("The permit is changing; please retry.")
    if booking is not None and booking.status == Status.CHECKED_IN.value:
        from .tickets import finish_booking_ticket  # the queue's aggregate, imported by the one step that needs it

        finish_booking_ticket(booking, now)
    return staff_view(stepped(application, step))
