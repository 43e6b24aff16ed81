"""R17's last citizen step: once approved, the citizen picks how the permit is collected - at the
window of the permit's office, a booking under the booking rules (services.bookings.book), or by mail
to a validated recipient. A window booking cancelled or missed lets them choose again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain import errors
from ..domain.applications import (
    COLLECTION_SERVICE,
    State,
    check_collection_choice,
    check_collection_office,
    check_mail_address,
)
from ..domain.identity import parse_name, parse_phone
from ..store.applications import Application, StateMoved, Step
from ..store.stores import stores
from . import bookings
from .application_reads import own_application
from .application_steps import state_moved, stepped
from .tokens import Caller


def _at_window(
    caller: Caller,
    application: Application,
    now: datetime,
    office_id: str | None,
    day: str | None,
    start: str | None,
    notice_acknowledged: bool,
) -> dict[str, Any]:
    """A booking of the permit-collection service at the permit's office, made by
    services.bookings.book - the same rules, window and capacity as any booking (SLOT_FULL,
    OUTSIDE_WINDOW, ...), with an idempotency key derived from the application and its attempt so a
    retried request never takes a second place."""
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
    return {
        "method": "window",
        "office_id": office_id,
        "date": booking.date.isoformat(),
        "start": booking.start,
        "end": booking.end,
        "booking_id": booking.booking_id,
        "reference": booking.reference,
    }


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
    """approved -> collecting (or collecting again after a lost window booking): at the window, a
    booking; by mail, the recipient."""
    application = own_application(caller, application_id)
    current = application.collection
    booking_status = None
    if current and current.get("booking_id"):
        previous = stores().bookings.get_booking(current["booking_id"])
        booking_status = previous.status if previous else None
    check_collection_choice(application.state, current, booking_status)

    if method == "window":
        collection = _at_window(caller, application, now, office_id, day, start, notice_acknowledged)
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
        stores().applications.move(application, step, now, collection=collection)
    except StateMoved:
        latest = stores().applications.get_application(application_id)
        if latest and latest.collection and latest.collection == collection:  # the same request, retried
            return latest
        raise state_moved(application_id) from None
    return stepped(application, step, collection=collection, collection_attempts=application.collection_attempts + 1)
