"""R1: the owner of an ID number takes it back from a stranger's account.

At a hall, staff who have seen the owner's ID card re-bind the number to a new account with the
owner's own phone (audited). In the same transaction the other account loses the number; then its
future bookings for that subject are cancelled by the hall (SMS to that account, which R11 never
counts), and the cancellations and no-shows it caused on the subject are voided. The owner gets an
SMS code and sets a password with `POST /v1/accounts/reclaim/confirm`."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from .. import i18n
from ..domain import errors
from ..domain.booking import Status
from ..domain.identity import mask_id_number, parse_id_number, parse_name, parse_phone
from ..domain.sanctions import month_key
from ..store.accounts import Account
from ..store.stores import stores
from . import audit, flags, messages
from .bookings import cancel_booking
from .tokens import Caller

log = logging.getLogger(__name__)
CODE_MINUTES = 30
CODE_ATTEMPTS = 5
SOURCE = "hall-id-card"  # the identity was confirmed by staff holding the ID card


def _code_hash(account_id: str, code: str) -> str:
    return hashlib.sha256(f"reclaim:{account_id}:{code}".encode()).hexdigest()


def reclaim(
    staff: Caller, office_id: str, id_number: str, name: str, phone: str, lang: str, now: datetime
) -> dict[str, Any]:
    person = parse_id_number(id_number, now.date())
    name, phone = parse_name(name), parse_phone(phone)
    if person.is_minor_on(now.date()):
        raise errors.ValidationFailed(
            "a minor's number is not held by an account: link the guardian instead", field="id_number"
        )
    store = stores()
    office = store.catalog.load_catalog().offices.get(office_id)
    if office is None:
        raise errors.NotFound("No such hall.")
    holder_id = store.account_store.find_account_id(f"ID#{person.value}")
    holder = store.account_store.get_account(holder_id) if holder_id else None
    if holder is not None and holder.id_number != person.value:
        holder = None  # a stale claim of an account that no longer holds the number
    code = f"{secrets.randbelow(10**6):06d}"
    owner = Account(
        account_id=uuid.uuid4().hex,
        name=name,
        id_number=person.value,
        phone=phone,
        password_hash="",
        phone_verified=False,
        role="citizen",
        office_id=None,
        lang=lang,
        created_at=now.isoformat(),
        code_expires_at=(now + timedelta(minutes=CODE_MINUTES)).isoformat(),
        code_sends=1,
        code_period_start=now.isoformat(),
        identity_verified=True,
        identity_source=SOURCE,
        identity_checked_at=now.isoformat(),
    )
    owner = Account(**{**owner.__dict__, "code_hash": _code_hash(owner.account_id, code)})
    sms = [
        messages.message(
            f"{owner.account_id}#reclaimed",
            "id_reclaimed_owner",
            phone,
            lang,
            now,
            {"account_id": owner.account_id},
            office_name=office.name,
            code=code,
            minutes=CODE_MINUTES,
        )
    ]
    if holder is not None and holder.phone:
        sms.append(
            messages.message(
                f"{holder.account_id}#lost-id#{int(now.timestamp())}",
                "id_reclaimed_holder",
                holder.phone,
                holder.lang,
                now,
                {"account_id": holder.account_id},
                id_number=mask_id_number(person.value),
            )
        )
    entry = audit.entry(
        staff,
        "identity.reclaim",
        f"ID#{mask_id_number(person.value)}",
        now,
        before={"account_id": holder.account_id if holder else None},
        after={"account_id": owner.account_id, "office_id": office_id},
    )
    store.account_store.rebind_id_number(holder_id, holder is not None, owner, sms, entry)
    cancelled, voided = _undo_holder(holder, person.value, now) if holder is not None else (0, {})
    if holder is not None:
        flags.reclaimed(holder.phone, person.value, holder.account_id, now)  # R22
    log.info("ID number reclaimed at a hall", extra={"office_id": office_id, "cancelled": cancelled})
    return {
        "account_id": owner.account_id,
        "id_number": mask_id_number(person.value),
        "previous_account_cancelled_bookings": cancelled,
        "voided": voided,
    }


def _undo_holder(holder: Account, id_number: str, now: datetime) -> tuple[int, dict[str, Any]]:
    """The holder's future bookings for the subject are cancelled by the hall; the cancellations and
    no-shows the holder caused on the subject are voided."""
    store = stores()
    bookings, cursor = [], None
    while True:
        page, cursor = store.bookings.list_for_account(holder.account_id, 100, cursor)
        bookings += [b for b in page if b.subject_id_number == id_number]
        if not cursor:
            break
    cancelled = 0
    for booking in bookings:
        if booking.status == Status.BOOKED.value:
            try:
                # the reason in the holder's language: the SMS quotes it (msgctxt value, docs/i18n.md)
                cancel_booking(booking, now, by="hall", reason=i18n.text("id_reclaimed", "value", holder.lang))
                cancelled += 1
            except errors.DomainError as error:
                log.warning("reclaim: a booking could not be cancelled", extra={"code": error.code})
    from . import waitlist  # R18: the holder's waitlist entries for the subject end too

    waitlist.end_entries_for(holder.account_id, id_number, now)
    this_month = month_key(now.date())
    cancellations = sum(
        1
        for b in bookings
        if b.status == Status.CANCELLED.value and b.cancelled_by != "hall" and (b.updated_at or "")[:7] == this_month
    )
    no_shows = [b.date for b in bookings if b.status == Status.NO_SHOW.value]
    if cancellations or no_shows:
        store.identity.void_sanctions(id_number, this_month, cancellations, no_shows)
    return cancelled, {"cancellations": cancellations, "no_shows": len(no_shows)}


def confirm(id_number: str, code: str, password: str, now: datetime) -> dict[str, Any]:
    """The owner's first password, with the code the reclaim sent to their phone; the phone is then
    verified. Each attempt is counted before the code is compared."""
    from .credentials import check_password, hasher

    person = parse_id_number(id_number, now.date())
    check_password(password)
    store = stores().account_store
    account_id = store.find_account_id(f"ID#{person.value}")
    account = store.get_account(account_id) if account_id else None
    if account is None or account.password_hash or not account.code_hash:
        raise errors.ValidationFailed("The code is wrong or has expired.", field="code")
    if not store.count_code_attempt(account.account_id, CODE_ATTEMPTS):
        raise errors.RateLimited("Too many wrong codes; ask the hall again.", retry_after=3600)
    if datetime.fromisoformat(account.code_expires_at or now.isoformat()) <= now or not hmac.compare_digest(
        _code_hash(account.account_id, str(code or "").strip()), account.code_hash
    ):
        raise errors.ValidationFailed("The code is wrong or has expired.", field="code")
    if not store.set_first_password(account, account.code_hash, hasher().hash(password)):
        raise errors.ValidationFailed("The code was already used.", field="code")
    return {"account_id": account.account_id, "phone_verified": True}
