"""The call centre (the seeds' phone line 114): an operator finds the caller's account by ID number
and phone together, or the booking by the reference the caller reads out (its subject's masked name
and phone to confirm with the caller), then lists, books, reschedules (R8a) and cancels for them with
exactly the citizen's rules and SMS (services.bookings, services.reschedule) - an operator's
cancellation counts towards R11 like the citizen's own - and re-sends a booking's confirmation SMS
(at most RESENDS_PER_DAY a booking a day). Every action, refused ones too, is written to the audit log
with the operator's id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ..domain import errors
from ..domain.booking import Status
from ..domain.identity import mask_id_number, mask_name, mask_phone, parse_id_number, parse_phone
from ..domain.ratelimit import LocalDay, retry_after
from ..domain.reference import normalise_reference
from ..i18n import N_
from ..store.accounts import Account
from ..store.bookings import Booking
from ..store.stores import stores
from . import accounts, audit, bookings, messages, reschedule
from .tokens import Caller

RESENDS_PER_DAY = 3  # a booking's confirmation SMS re-sent by the call centre, per booking and day


def _citizen(account_id: str) -> Account:
    account = stores().account_store.get_account(account_id) if account_id and len(account_id) <= 64 else None
    if account is None or account.role != "citizen":
        raise errors.NotFound("No citizen with that account id.")
    return account


def _as_citizen(account: Account) -> Caller:
    return Caller(account.account_id, "citizen", None, account.phone_verified)


def find_citizen(caller: Caller, id_number: str, phone: str, now: datetime) -> dict[str, Any]:
    """The account whose ID number and phone both match what the caller gave; NOT_FOUND otherwise
    (without saying which of the two did not match)."""
    with audit.recorded(caller, "operator.find_citizen", "ACCOUNT#", now) as record:
        person = parse_id_number(id_number, now.date())
        number = parse_phone(phone)
        record["detail"] = {"id_number": mask_id_number(person.value), "phone": mask_phone(number)}
        store = stores().account_store
        account_id = store.find_account_id(f"ID#{person.value}")
        account = store.get_account(account_id) if account_id else None
        if account is None or account.phone != number or account.role != "citizen":
            raise errors.NotFound("No citizen with that ID number and phone.")
        record["target"] = f"ACCOUNT#{account.account_id}"
        profile = accounts.profile(_as_citizen(account), now)
    return {
        "account_id": account.account_id,
        "name": mask_name(account.name),
        "id_number": mask_id_number(account.id_number or ""),
        "phone": mask_phone(account.phone or ""),
        "phone_verified": account.phone_verified,
        "restrictions": profile["restrictions"],
    }


def list_bookings(
    caller: Caller, account_id: str, limit: int, cursor: str | None, now: datetime
) -> bookings.BookingPage:
    with audit.recorded(caller, "operator.list_bookings", f"ACCOUNT#{account_id}", now):
        account = _citizen(account_id)
        return bookings.list_bookings(_as_citizen(account), limit, cursor)


def book(
    caller: Caller, account_id: str, request: bookings.BookingRequest, idempotency_key: str | None, now: datetime
) -> tuple[Booking, bool]:
    with audit.recorded(
        caller,
        "operator.book",
        f"ACCOUNT#{account_id}",
        now,
        detail=request.audit_detail(),
    ) as record:
        account = _citizen(account_id)
        key = f"operator:{idempotency_key}" if idempotency_key else None
        booking, created = bookings.book(_as_citizen(account), request, key, now)
        record["after"] = booking
        record["detail"]["booking_id"] = booking.booking_id
        record["detail"]["replayed"] = not created
    return booking, created


def cancel(caller: Caller, account_id: str, booking_id: str, now: datetime) -> Booking:
    with audit.recorded(caller, "operator.cancel", f"ACCOUNT#{account_id}/BOOKING#{booking_id}", now) as record:
        account = _citizen(account_id)
        booking = bookings.own_booking(_as_citizen(account), booking_id)
        record["before"] = booking
        cancelled = bookings.cancel_booking(booking, now, by="operator")
        record["after"] = cancelled
    return cancelled


@dataclass(frozen=True)
class FoundBooking:
    """A booking found by the reference a caller read out, with whom to confirm it with: the booking's
    account (the subject's own, or a guardian's) masked."""

    account_id: str
    name: str
    phone: str
    id_number: str
    booking: Booking


def find_by_reference(caller: Caller, reference: str, now: datetime) -> FoundBooking:
    """The booking with this reference, read out on the phone: case, spaces and hyphens ignored, O read
    as 0 and I/L as 1 (domain.reference). NOT_FOUND for an unknown one. Every look-up is audited, so a
    run of guessed references shows in the log."""
    with audit.recorded(caller, "operator.find_booking", "BOOKING#", now) as record:
        ref = normalise_reference(reference)
        record["detail"] = {"reference": ref or reference[:20]}
        if ref is None:
            raise errors.ValidationFailed(
                "That is not a booking reference (8 letters and digits, e.g. K7M2-9QXH).", field="reference"
            )
        found = sorted(stores().identity.find_by_reference(ref), key=lambda b: b.created_at)
        account = stores().account_store.get_account(found[-1].account_id) if found else None
        if not found or account is None or account.role != "citizen":
            raise errors.NotFound(N_("No booking with reference {reference}.", reference=ref))
        booking = found[-1]
        record["target"] = f"ACCOUNT#{account.account_id}/BOOKING#{booking.booking_id}"
    return FoundBooking(
        account_id=account.account_id,
        name=mask_name(account.name),
        phone=mask_phone(account.phone or ""),
        id_number=mask_id_number(booking.subject_id_number),
        booking=booking,
    )


def reschedule_for(
    caller: Caller,
    account_id: str,
    booking_id: str,
    request: reschedule.RescheduleRequest,
    idempotency_key: str | None,
    now: datetime,
) -> Booking:
    """R8a for a caller: the same move and the same SMS as the citizen's own, audited."""
    with audit.recorded(
        caller,
        "operator.reschedule",
        f"ACCOUNT#{account_id}/BOOKING#{booking_id}",
        now,
        detail={"office_id": request.office_id, "date": request.date, "start": request.start},
    ) as record:
        account = _citizen(account_id)
        booking = bookings.own_booking(_as_citizen(account), booking_id)
        record["before"] = booking
        moved = reschedule.reschedule_booking(
            booking, request, now, actor_id=caller.account_id, idempotency_key=idempotency_key, by="operator"
        )
        record["after"] = moved
    return moved


def resend_confirmation(caller: Caller, account_id: str, booking_id: str, now: datetime) -> Booking:
    """The booking's confirmation SMS again, to the account's phone, as it reads now (a rescheduled
    booking's new time). Only for a `booked` booking; RESENDS_PER_DAY a booking a day (429 after)."""
    with audit.recorded(caller, "operator.resend_sms", f"ACCOUNT#{account_id}/BOOKING#{booking_id}", now) as record:
        account = _citizen(account_id)
        booking = bookings.own_booking(_as_citizen(account), booking_id)
        if booking.status != Status.BOOKED.value:
            raise errors.InvalidState(
                N_("The booking is {status}; only a booked one's SMS is re-sent.", status=booking.status)
            )
        if not account.phone:
            raise errors.InvalidState("The account has no phone to send to.")
        today = LocalDay(now)
        if not stores().identity.spend_resend(booking.booking_id, today.index, RESENDS_PER_DAY, today.ends_at):
            raise errors.RateLimited(
                N_("This booking's SMS was re-sent {count} times today; try again tomorrow.", count=RESENDS_PER_DAY),
                retry_after=retry_after(today.wait),
            )
        catalog = stores().catalog.load_catalog()
        office, service = catalog.offices.get(booking.office_id), catalog.services.get(booking.service_code)
        if office is None or service is None:
            raise errors.NotFound("The booking's hall or service no longer exists.")
        sms = messages.booking_message("booked", booking, office, service, account.phone, account.lang, now)
        stores().identity.send([replace(sms, message_id=f"{booking.booking_id}#resent#{uuid.uuid4().hex[:12]}")])
        record["detail"] = {"phone": mask_phone(account.phone)}
    return booking
