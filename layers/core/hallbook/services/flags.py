"""R22: abuse flags. Each event a pattern watches is counted as it happens, right after the change it
reports was written (registrations, reclaims, cancellations, minors named, a minor's bookings, noon
bursts): one UpdateItem of the pattern's counter, a second when the pattern is met (the flag). The
counters are advisory: counting never fails or slows the act it watches (an error is logged and
the act goes on), and no flag suspends or refuses anybody - an administrator looks at the evidence
(`GET /v1/admin/flags`) and marks it reviewed (audited).

Evidence is masked (ID numbers, phones) with account ids, booking ids and references, which an
administrator can follow in the audit log and the call-centre routes; keys are pseudonymous."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .. import keyed
from ..domain import errors
from ..domain.flags import (
    BOOK_CANCEL_LOOP,
    INSIDER_CHANGE,
    MANY_MINORS,
    NOON_BURST,
    PHONE_CYCLES_IDS,
    SUBJECT_MANY_ACCOUNTS,
    Pattern,
    in_noon_minute,
)
from ..domain.identity import mask_id_number, mask_phone
from ..store.flags import Flag, NotRaised
from ..store.stores import stores
from . import audit
from .tokens import Caller

if TYPE_CHECKING:
    from ..store.bookings import Booking

log = logging.getLogger(__name__)


def _pseudonym(value: str) -> str:
    """A distinct value (a phone, an ID number) as the flag's evidence keeps it: a keyed hash."""
    return keyed.digest("flag-distinct", value).hex()[:16]


def note(pattern: Pattern, key: str, subject: str, now: datetime, distinct: str | None = None, **evidence: Any) -> None:
    """Count one event of `pattern` for `key`; raise the flag when the pattern is met. Never raises."""
    event = {"at": now.isoformat(), **{k: v for k, v in evidence.items() if v is not None}}
    if distinct is not None:
        event["distinct"] = _pseudonym(distinct)
    try:
        counters = stores().flags
        events = counters.record(pattern.name, key, subject, event, now)
        met = pattern.met(events, now)
        if met and counters.raise_flag(pattern.name, key, pattern.value(met), met, now):
            log.info("abuse flag raised", extra={"pattern": pattern.name, "count": pattern.value(met)})
    except Exception:  # noqa: BLE001 - a counter must never fail the act it watches
        log.exception("abuse-flag counter not written", extra={"pattern": pattern.name})


# ---------------------------------------------------------------- the events


def registered(phone: str, id_number: str, account_id: str, now: datetime) -> None:
    """A registration (unverified until the SMS code): one more ID number this phone went through."""
    note(
        PHONE_CYCLES_IDS,
        phone,
        mask_phone(phone),
        now,
        distinct=id_number,
        event="registered",
        id_number=mask_id_number(id_number),
        account_id=account_id,
    )


def reclaimed(holder_phone: str | None, id_number: str, holder_account_id: str, now: datetime) -> None:
    """An ID number taken back by its owner from the account (and phone) that held it."""
    if holder_phone:
        note(
            PHONE_CYCLES_IDS,
            holder_phone,
            mask_phone(holder_phone),
            now,
            distinct=id_number,
            event="reclaimed",
            id_number=mask_id_number(id_number),
            account_id=holder_account_id,
        )


def cancelled(booking: Booking, by: str, now: datetime) -> None:
    """A book-and-cancel cycle of the booking's subject on its service (the hall's own don't count)."""
    if by == "hall":
        return
    note(
        BOOK_CANCEL_LOOP,
        f"{booking.subject_id_number}#{booking.service_code}",
        f"{mask_id_number(booking.subject_id_number)} {booking.service_code}",
        now,
        by=by,
        booking_id=booking.booking_id,
        reference=booking.reference,
        account_id=booking.account_id,
        date=booking.date.isoformat(),
        start=booking.start,
        office_id=booking.office_id,
    )


def named_minor(account_id: str, minor_id_number: str, what: str, now: datetime) -> None:
    """An account named a minor: a guardian link asked for, or a minor's booking refused for want of one."""
    note(
        MANY_MINORS,
        account_id,
        f"account {account_id}",
        now,
        distinct=minor_id_number,
        event=what,
        minor=mask_id_number(minor_id_number),
        account_id=account_id,
    )


def booked_minor(booking: Booking, now: datetime) -> None:
    """A booking for a minor: one more account that booked for this subject."""
    note(
        SUBJECT_MANY_ACCOUNTS,
        booking.subject_id_number,
        mask_id_number(booking.subject_id_number),
        now,
        distinct=booking.account_id,
        account_id=booking.account_id,
        booking_id=booking.booking_id,
        reference=booking.reference,
        service_code=booking.service_code,
    )


def noon_burst(account_id: str, now: datetime, limit: str) -> None:
    if in_noon_minute(now):
        note(
            NOON_BURST,
            f"{account_id}#{now.date().isoformat()}",
            f"account {account_id}",
            now,
            account_id=account_id,
            limit=limit,
        )


def insider_change(
    staff_account_id: str,
    what: str,
    id_number: str,
    office_id: str,
    now: datetime,
    change_id: str | None = None,
    step: str = "done",
    **evidence: Any,
) -> None:
    """R1, R2: a hall's change of who holds an ID number, a phone or a minor's link: each one is listed,
    from the clerk's request (`step` requested, or refused when the real-name source contradicted it)
    to its approval (done); the steps of one change are one flag's evidence."""
    note(
        INSIDER_CHANGE,
        f"{what}#{change_id or _pseudonym(id_number) + '#' + str(int(now.timestamp()))}",
        f"{what} {mask_id_number(id_number)}",
        now,
        event=what,
        step=step,
        staff_account_id=staff_account_id,
        office_id=office_id,
        id_number=mask_id_number(id_number),
        **evidence,
    )


# ---------------------------------------------------------------- the administrator


@dataclass(frozen=True)
class FlagPage:
    flags: list[Flag]
    next_cursor: str | None


def list_flags(status: str | None, limit: int, cursor: str | None) -> FlagPage:
    if status not in (None, "open", "reviewed"):
        raise errors.ValidationFailed("`status` is open or reviewed", field="status")
    return FlagPage(*stores().oversight.list_flags(limit, cursor, status))


def review(caller: Caller, flag_id: str, note_text: str | None, now: datetime) -> Flag:
    """Mark a flag reviewed (audited). It opens again only when its pattern counts more events."""
    oversight = stores().oversight
    before = oversight.get_flag(flag_id) if flag_id and len(flag_id) <= 80 else None
    if before is None:
        raise errors.NotFound("No such flag.")
    try:
        flag = oversight.mark_reviewed(flag_id, caller.account_id, note_text, now)
    except NotRaised:
        raise errors.NotFound("No such flag.") from None
    audit.record(
        caller,
        "flag.review",
        f"FLAG#{flag_id}",
        now,
        before={"status": before.status, "count": before.count},
        after={"status": flag.status, "count": flag.count},
        detail={"note": note_text} if note_text else None,
    )
    return flag
