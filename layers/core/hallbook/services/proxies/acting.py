"""R20's third step: the proxy books, lists, cancels and reschedules for the citizen while holding the
active authorisation. The booking is the citizen's own (their account, their limits R9-R12, their
SMS), and the proxy gets a copy of every SMS the act sends, written in the same transaction; every
act, refused ones too, is audited with the proxy's account."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ...domain import errors
from ...domain.identity import canonical_id_number
from ...store.accounts import Account
from ...store.base import GuardMoved
from ...store.bookings import Booking
from ...store.proxies import ACTIVE, Proxies
from ...store.stores import stores
from .. import audit, bookings
from ..tokens import Caller
from .parties import ATTEMPTS, find, label, verified_citizen

if TYPE_CHECKING:
    from ..reschedule import RescheduleRequest


def _as_citizen(account: Account) -> Caller:
    return Caller(account.account_id, "citizen", None, account.phone_verified)


def _authorised(caller: Caller, proxy_id: str) -> tuple[Account, Account, Proxies]:
    """(the proxy's account, the citizen's, the citizen's authorisations as read) while the caller
    holds the active authorisation."""
    me = verified_citizen(caller)
    proxies, link = find(proxy_id, me.account_id, as_citizen_too=False)
    citizen = stores().account_store.get_account(proxies.citizen_account_id)
    if link.status != ACTIVE or citizen is None or citizen.role != "citizen":
        raise errors.NotFound("No such proxy authorisation.")
    return me, citizen, proxies


def _acting(caller: Caller, proxy_id: str) -> tuple[Account, Account]:
    me, citizen, _ = _authorised(caller, proxy_id)
    return me, citizen


def _copy(me: Account, citizen: Account) -> tuple[tuple[str, str, str], ...]:
    return ((me.phone, me.lang, label(citizen)),) if me.phone else ()


def list_bookings(caller: Caller, proxy_id: str, limit: int, cursor: str | None, now: datetime) -> bookings.BookingPage:
    """The citizen's own bookings (not those they made for their minors), newest first."""
    with audit.recorded(caller, "proxy.list_bookings", f"PROXY#{proxy_id}", now):
        _, citizen = _acting(caller, proxy_id)
        items, next_cursor = stores().bookings.list_for_account(citizen.account_id, limit, cursor)
        return bookings.BookingPage([b for b in items if b.subject_id_number == citizen.id_number], next_cursor)


def book(
    caller: Caller, proxy_id: str, request: bookings.BookingRequest, idempotency_key: str | None, now: datetime
) -> tuple[Booking, bool]:
    with audit.recorded(
        caller,
        "proxy.book",
        f"PROXY#{proxy_id}",
        now,
        detail=request.audit_detail(),
    ) as record:
        for _ in range(ATTEMPTS):
            me, citizen, proxies = _authorised(caller, proxy_id)
            record["target"] = f"ACCOUNT#{citizen.account_id}"
            if (
                request.subject_id_number
                and canonical_id_number(request.subject_id_number, "subject_id_number") != citizen.id_number
            ):
                raise errors.Forbidden("A family proxy books for the citizen who authorised it, nobody else.")
            key = f"proxy:{me.account_id}:{idempotency_key}" if idempotency_key else None
            try:
                # the authorisation as read is a condition of the booking's own transaction: a revocation
                # landing between the check above and the booking refuses it
                booking, created = bookings.book(
                    _as_citizen(citizen),
                    request,
                    key,
                    now,
                    copy_to=_copy(me, citizen),
                    guard=stores().family.proxies_unchanged(proxies),
                )
                break
            except GuardMoved:
                continue  # the citizen's authorisations changed: read them again (revoked: NOT_FOUND)
        else:
            raise errors.Busy("Too many changes at once; please retry.")
        record["after"] = booking
        record["detail"].update(booking_id=booking.booking_id, replayed=not created)
    return booking, created


def cancel(caller: Caller, proxy_id: str, booking_id: str, now: datetime) -> Booking:
    with audit.recorded(caller, "proxy.cancel", f"PROXY#{proxy_id}/BOOKING#{booking_id}", now) as record:
        me, citizen = _acting(caller, proxy_id)
        booking = _citizens_booking(citizen, booking_id)
        record["before"] = booking
        cancelled = bookings.cancel_booking(booking, now, by="proxy", copy_to=_copy(me, citizen))
        record["after"] = cancelled
    return cancelled


def reschedule(
    caller: Caller,
    proxy_id: str,
    booking_id: str,
    request: RescheduleRequest,
    idempotency_key: str | None,
    now: datetime,
) -> Booking:
    """R8a for the citizen the caller acts for: the same atomic move and SMS (a copy to the proxy), audited."""
    from .. import reschedule as reschedules

    with audit.recorded(caller, "proxy.reschedule", f"PROXY#{proxy_id}/BOOKING#{booking_id}", now) as record:
        me, citizen = _acting(caller, proxy_id)
        booking = _citizens_booking(citizen, booking_id)
        record["before"] = booking
        moved = reschedules.reschedule_booking(
            booking,
            request,
            now,
            actor_id=me.account_id,
            idempotency_key=idempotency_key,
            by="proxy",
            copy_to=_copy(me, citizen),
        )
        record["after"] = moved
    return moved


def own_booking_for(caller: Caller, proxy_id: str, booking_id: str) -> Booking:
    """A booking of the citizen the caller acts for (the confirmation and calendar routes)."""
    _, citizen = _acting(caller, proxy_id)
    return _citizens_booking(citizen, booking_id)


def _citizens_booking(citizen: Account, booking_id: str) -> Booking:
    """A booking the citizen made for themselves (not for a minor): what a proxy may see and cancel."""
    booking = bookings.own_booking(_as_citizen(citizen), booking_id)
    if booking.subject_id_number != citizen.id_number:
        raise errors.NotFound("No such booking.")
    return booking
