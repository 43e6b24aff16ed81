"""The call centre (the seeds' phone line 114): an operator finds the caller's account by ID number
and phone together, then lists, books and cancels for them with exactly the citizen's rules and
SMS (services.bookings) - an operator's cancellation counts towards R11 like the citizen's own.
Every action, refused ones too, is written to the audit log with the operator's id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain import errors
from ..domain.identity import mask_id_number, mask_name, mask_phone, parse_id_number, parse_phone
from ..store import accounts as account_store
from ..store.accounts import Account
from ..store.bookings import Booking
from . import accounts, audit, bookings
from .tokens import Caller


def _citizen(account_id: str) -> Account:
    account = account_store.get_account(account_id) if account_id and len(account_id) <= 64 else None
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
        account_id = account_store.find_account_id(f"ID#{person.value}")
        account = account_store.get_account(account_id) if account_id else None
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
