"""R1 under PIPL: closing an account (DELETE /v1/me) ends what it holds and erases its personal data."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from ..domain import errors
from ..domain.booking import Status
from ..domain.identity import mask_id_number, mask_phone
from ..store.base import Cancelled
from ..store.stores import stores
from . import audit, messages, tokens
from .account_life import own_citizen_account

log = logging.getLogger(__name__)


def close(caller: tokens.Caller, now: datetime) -> dict[str, int]:
    """DELETE /v1/me: active bookings cancelled (never counted against anyone, the places returning as a
    citizen's cancellation does, R19), waitlist entries left, proxies and guardian links ended, the
    bookings' subjects pseudonymised; then the claims deleted (the ID number and phone can register
    again) and the personal data erased in one transaction with the audit entry. The subject's sanction record (R11, R12) stays with the ID
    number: closing an account does not lift a suspension."""
    from . import guardians, proxies, waitlist
    from .bookings import cancel_booking

    account = own_citizen_account(caller)
    cancelled = 0
    cursor = None
    while True:
        page, cursor = stores().bookings.list_for_account(account.account_id, 100, cursor)
        for booking in page:
            if booking.status != Status.BOOKED.value:
                continue
            try:
                cancel_booking(booking, now, by="citizen", reason="账号已注销 / the account was closed", counted=False)
                cancelled += 1
            except errors.DomainError as error:
                log.warning("closure: a booking could not be cancelled", extra={"code": error.code})
        if not cursor:
            break
    for waiting in waitlist.list_entries(caller):
        if waiting.status in ("waiting", "offered"):
            try:
                waitlist.leave(caller, waiting.entry_id, now)
            except errors.DomainError as error:
                log.warning("closure: a waitlist entry could not be left", extra={"code": error.code})
    for authorisation in proxies.my_proxies(caller, now):
        if authorisation.link.status != "revoked":
            try:
                proxies.revoke(caller, authorisation.link.proxy_id, now)
            except errors.DomainError as error:
                log.warning("closure: a proxy could not be ended", extra={"code": error.code})
    for link in guardians.my_links(caller, now):
        own = link.guardians.links.get(account.account_id)
        if own is not None and own.status != "revoked":
            try:
                guardians.revoke_own(caller, link.guardians.minor_id_number, now)
            except errors.DomainError as error:
                log.warning("closure: a guardian link could not be ended", extra={"code": error.code})
    from .. import keyed

    erased = stores().bookings.pseudonymise_for_account(account.account_id, keyed.pseudonym)
    pseudonym = "closed-" + hashlib.sha256(account.account_id.encode()).hexdigest()[:12]
    entry = audit.entry(
        caller,
        "account.close",
        f"ACCOUNT#{account.account_id}",
        now,
        before={"id_number": mask_id_number(account.id_number or ""), "phone": mask_phone(account.phone or "")},
        after={"cancelled_bookings": cancelled, "bookings_pseudonymised": erased},
    )
    sms = []
    if account.phone:
        sms.append(
            messages.message(
                f"{account.account_id}#closed",
                "account_closed",
                account.phone,
                account.lang,
                now,
                {"account_id": account.account_id},
                bookings=cancelled,
            )
        )
    try:
        stores().account_store.close_account(account, pseudonym, sms, now, entry)
    except Cancelled:
        raise errors.InvalidState("The account changed meanwhile; try again.") from None
    log.info("account closed", extra={"account_id": account.account_id, "cancelled": cancelled})
    return {"cancelled_bookings": cancelled}
