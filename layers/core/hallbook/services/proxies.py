"""R20: family proxies (亲友代办). A citizen - typically an older relative who does not use the app -
authorises another citizen's account to book and cancel for them:

1. the proxy asks with the citizen's ID number and phone (`request`); both must belong to one
   registered citizen with a verified phone, and the code goes to the phone registered on the
   citizen's account - never to a number the request names;
2. the citizen passes the code on (by phone, in person) and the proxy enters it (`confirm`): five
   tries, each counted in the same conditional write that acts on it, so parallel guesses get five
   comparisons in all;
3. the proxy books, lists and cancels for the citizen (`book`, `list_bookings`, `cancel`): the
   booking is the citizen's own (their account, their limits R9-R12, their SMS), and the proxy gets
   a copy of every SMS the act sends, written in the same transaction;
4. either side revokes (`revoke`); the proxy's routes then answer 404, as for an unknown id.

Every act, refused ones too, is written to the audit log with the acting account."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..domain import errors
from ..domain.identity import (
    canonical_id_number,
    mask_id_number,
    mask_name,
    mask_phone,
    parse_id_number,
    parse_phone,
)
from ..store import accounts as account_store
from ..store import bookings as booking_store
from ..store import proxies as store
from ..store.accounts import Account
from ..store.base import GuardMoved
from ..store.bookings import Booking
from ..store.outbox import Message
from ..store.proxies import ACTIVE, PENDING, REVOKED, Link, Proxies, ProxiesMoved
from . import audit, bookings, identity, messages
from .tokens import Caller

if TYPE_CHECKING:
    from .reschedule import RescheduleRequest

log = logging.getLogger(__name__)
CODE_MINUTES = 30  # time enough to phone an older relative and hear the code read out
CODE_ATTEMPTS = 5
ATTEMPTS = 5  # optimistic retries when the authorisations moved


def _code_hash(proxy_id: str, code: str) -> str:
    return hashlib.sha256(f"proxy:{proxy_id}:{code}".encode()).hexdigest()


def _me(caller: Caller) -> Account:
    account = account_store.get_account(caller.account_id)
    if account is None or account.role != "citizen" or not account.id_number:
        raise errors.Forbidden("Only a citizen's account can act as or for a family proxy.")
    if not account.phone_verified:
        raise errors.PhoneNotVerified("Confirm your phone with the SMS code first.")
    return account


def _as_citizen(account: Account) -> Caller:
    return Caller(account.account_id, "citizen", None, account.phone_verified)


def label(account: Account | None) -> str:
    """A party as others are shown it: the name masked."""
    return mask_name(account.name) if account and account.name else "—"


@dataclass(frozen=True)
class Authorisation:
    """A proxy authorisation with its two parties' accounts, as `viewer` (an account id) sees it."""

    link: Link
    citizen: Account | None
    proxy: Account | None
    viewer: str


def request(caller: Caller, id_number: str, phone: str, now: datetime) -> tuple[Authorisation, bool]:
    """(the authorisation, created): `pending` with a code sent to the citizen's registered phone, or
    the active one already held."""
    with audit.recorded(caller, "proxy.request", "PROXIES#", now) as record:
        me = _me(caller)
        person = parse_id_number(id_number, now.date())
        number = parse_phone(phone)
        record["detail"] = {"id_number": mask_id_number(person.value), "phone": mask_phone(number)}
        if person.value == me.id_number:
            raise errors.ValidationFailed("You cannot be your own proxy.", field="id_number")
        account_id = account_store.find_account_id(f"ID#{person.value}")
        citizen = account_store.get_account(account_id) if account_id else None
        if (
            citizen is None
            or citizen.role != "citizen"
            or citizen.id_number != person.value
            or citizen.phone != number
            or not citizen.phone_verified
        ):
            raise errors.NotFound(
                "No registered citizen with that ID number and phone: the citizen registers "
                "(and confirms their phone) first, with their own phone number."
            )
        identity.ensure_verified(me, now)  # the citizen is told who asks: a real name
        record["target"] = f"PROXIES#{citizen.account_id}"
        for _ in range(ATTEMPTS):
            before = store.get(citizen.account_id)
            held = before.links.get(me.account_id)
            if held is not None and held.status == ACTIVE:
                record["detail"]["proxy_id"] = held.proxy_id
                return Authorisation(held, citizen, me, me.account_id), False
            proxy_id = uuid.uuid4().hex
            code = f"{secrets.randbelow(10**6):06d}"
            expires = now + timedelta(minutes=CODE_MINUTES)
            link = Link(
                proxy_id,
                me.account_id,
                PENDING,
                now.isoformat(),
                now.isoformat(),
                code_hash=_code_hash(proxy_id, code),
                code_expires_at=expires.isoformat(),
            )
            sms = messages.message(
                f"proxy#{proxy_id}#code",
                "proxy_request",
                citizen.phone or "",
                citizen.lang,
                now,
                {"account_id": citizen.account_id},
                deliver_by=expires,
                proxy=mask_name(me.name),
                proxy_phone=mask_phone(me.phone or ""),
                code=code,
                minutes=CODE_MINUTES,
            )
            try:
                store.save(before, before.with_link(link), [sms])
            except ProxiesMoved:
                continue
            record["detail"]["proxy_id"] = proxy_id
            return Authorisation(link, citizen, me, me.account_id), True
        raise errors.Busy("Too many changes at once; please retry.")


def _find(proxy_id: str, me: str, as_citizen_too: bool) -> tuple[Proxies, Link]:
    """The authorisation `proxy_id` if `me` is its proxy (or, `as_citizen_too`, its citizen); 404
    otherwise, as for an id that does not exist."""
    pointer = store.pointer(proxy_id) if proxy_id and len(proxy_id) <= 64 else None
    if pointer is None or me not in (
        (pointer.proxy_account_id, pointer.citizen_account_id) if as_citizen_too else (pointer.proxy_account_id,)
    ):
        raise errors.NotFound("No such proxy authorisation.")
    proxies = store.get(pointer.citizen_account_id)
    link = proxies.by_id(proxy_id)
    if link is None:
        raise errors.NotFound("No such proxy authorisation.")
    return proxies, link


def confirm(caller: Caller, proxy_id: str, code: str, now: datetime) -> Authorisation:
    """The code the citizen passed on: the caller's pending authorisation becomes active."""
    with audit.recorded(caller, "proxy.confirm", f"PROXY#{proxy_id}", now):
        me = _me(caller)
        for _ in range(ATTEMPTS):
            before, link = _find(proxy_id, me.account_id, as_citizen_too=False)
            citizen = account_store.get_account(before.citizen_account_id)
            if link.status == ACTIVE:
                return Authorisation(link, citizen, me, me.account_id)
            if link.status != PENDING or not link.code_hash:
                raise errors.InvalidState("This authorisation was revoked; ask again.")
            if link.code_attempts >= CODE_ATTEMPTS:
                raise errors.RateLimited("Too many wrong codes; ask again for a new one.", retry_after=60)
            if datetime.fromisoformat(link.code_expires_at or now.isoformat()) <= now:
                raise errors.ValidationFailed("The code has expired; ask again.", field="code")
            right = hmac.compare_digest(_code_hash(proxy_id, str(code or "").strip()), link.code_hash)
            if right:
                new = Link(proxy_id, me.account_id, ACTIVE, link.asked_at, now.isoformat())
                sms = _active_sms(proxy_id, citizen, me, now)
            else:  # the attempt is counted in the same conditional write that checks the code
                new = Link(**{**link.__dict__, "code_attempts": link.code_attempts + 1})
                sms = []
            try:
                store.save(before, before.with_link(new), sms)
            except ProxiesMoved:
                continue
            if not right:
                raise errors.ValidationFailed("The code is wrong.", field="code")
            return Authorisation(new, citizen, me, me.account_id)
        raise errors.Busy("Too many changes at once; please retry.")


def _active_sms(proxy_id: str, citizen: Account | None, proxy: Account, now: datetime) -> list[Message]:
    sms = []
    if citizen is not None and citizen.phone:
        sms.append(
            messages.message(
                f"proxy#{proxy_id}#active#citizen",
                "proxy_active_citizen",
                citizen.phone,
                citizen.lang,
                now,
                {"account_id": citizen.account_id},
                proxy=mask_name(proxy.name),
                proxy_phone=mask_phone(proxy.phone or ""),
            )
        )
    if proxy.phone:
        sms.append(
            messages.message(
                f"proxy#{proxy_id}#active#proxy",
                "proxy_active_proxy",
                proxy.phone,
                proxy.lang,
                now,
                {"account_id": proxy.account_id},
                citizen=label(citizen),
            )
        )
    return sms


def revoke(caller: Caller, proxy_id: str, now: datetime) -> Authorisation:
    """Either side ends an authorisation (pending or active); both are told by SMS."""
    with audit.recorded(caller, "proxy.revoke", f"PROXY#{proxy_id}", now) as record:
        account = account_store.get_account(caller.account_id)
        if account is None or account.role != "citizen":
            raise errors.Forbidden("Only a citizen's account can revoke a family proxy.")
        for _ in range(ATTEMPTS):
            before, link = _find(proxy_id, account.account_id, as_citizen_too=True)
            if link.status == REVOKED:
                raise errors.NotFound("No such proxy authorisation.")
            record["before"] = {"status": link.status}
            accounts = account_store.get_accounts([before.citizen_account_id, link.proxy_account_id])
            citizen, proxy = accounts.get(before.citizen_account_id), accounts.get(link.proxy_account_id)
            new = Link(proxy_id, link.proxy_account_id, REVOKED, link.asked_at, now.isoformat(), by=account.account_id)
            words: dict[str, Any] = {"proxy": label(proxy), "citizen": label(citizen)}
            sms = [
                messages.message(
                    f"proxy#{proxy_id}#revoked#{party.account_id}",
                    "proxy_revoked",
                    party.phone,
                    party.lang,
                    now,
                    {"account_id": party.account_id},
                    **words,
                )
                for party in (citizen, proxy)
                if party is not None and party.phone
            ]
            try:
                store.save(before, before.with_link(new), sms)
            except ProxiesMoved:
                continue
            record["after"] = {"status": REVOKED}
            return Authorisation(new, citizen, proxy, account.account_id)
        raise errors.Busy("Too many changes at once; please retry.")


def my_proxies(caller: Caller, now: datetime) -> list[Authorisation]:
    """The authorisations the caller gave (as the citizen) and holds (as a proxy), newest first."""
    me = account_store.get_account(caller.account_id)
    if me is None:
        raise errors.Unauthenticated("The account no longer exists.")
    given = store.get(me.account_id)
    held = [p for p in store.get_many(store.citizens_of(me.account_id))]
    pairs = [(link, given.citizen_account_id) for link in given.links.values()]
    pairs += [(p.links[me.account_id], p.citizen_account_id) for p in held if me.account_id in p.links]
    accounts = account_store.get_accounts([a for link, c in pairs for a in (link.proxy_account_id, c)])
    items = [
        Authorisation(link, accounts.get(c), accounts.get(link.proxy_account_id), me.account_id) for link, c in pairs
    ]
    return sorted(items, key=lambda a: a.link.asked_at, reverse=True)


# ---------------------------------------------------------------- acting for the citizen


def _authorised(caller: Caller, proxy_id: str) -> tuple[Account, Account, Proxies]:
    """(the proxy's account, the citizen's, the citizen's authorisations as read) while the caller
    holds the active authorisation."""
    me = _me(caller)
    proxies, link = _find(proxy_id, me.account_id, as_citizen_too=False)
    citizen = account_store.get_account(proxies.citizen_account_id)
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
        items, next_cursor = booking_store.list_for_account(citizen.account_id, limit, cursor)
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
                    guard=store.unchanged_since_read(proxies),
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
    from . import reschedule as reschedules

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
