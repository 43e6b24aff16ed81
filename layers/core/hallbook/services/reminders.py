"""R16: the day-before reminder (when and why: hallbook.domain.reminders).

The daily run finds tomorrow's bookings still `booked` in the sparse by_slot_end index (one Query, no
scan), and writes one `reminder` outbox message per booking, id `<booking_id>#reminder`, only if it
does not exist yet: running twice, late, or after a booking already carried its own reminder sends
nothing twice."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..clock import now as clock_now
from ..domain.booking import Status
from ..domain.reminders import booking_carries_reminder
from ..store.accounts import Account
from ..store.bookings import Booking
from ..store.catalog import Catalog
from ..store.outbox import Message
from ..store.stores import stores
from . import messages

log = logging.getLogger(__name__)


@dataclass
class ReminderResult:
    bookings: int = 0  # tomorrow's bookings still booked
    written: int = 0  # reminders this run wrote
    already: int = 0  # reminders that existed (an earlier run, or the booking carried its own)

    def summary(self) -> dict[str, Any]:
        return {"job": "reminders", "bookings": self.bookings, "written": self.written, "already": self.already}


def reminder_message(booking: Booking, catalog: Catalog, phone: str, lang: str, now: datetime) -> Message | None:
    office, service = catalog.offices.get(booking.office_id), catalog.services.get(booking.service_code)
    if not phone or office is None or service is None:
        return None
    return messages.booking_message("reminder", booking, office, service, phone, lang, now)


def send_reminders(now: datetime | None = None) -> ReminderResult:
    now = now or clock_now()
    result = ReminderResult()
    jobs = stores().jobs
    ids = jobs.booked_on(now.date() + timedelta(days=1))
    if not ids:
        return result
    bookings = [b for b in jobs.get_bookings(ids) if b.status == Status.BOOKED.value]
    result.bookings = len(bookings)
    accounts = stores().accounts.get_accounts([b.account_id for b in bookings])
    catalog = stores().catalog.load_catalog()
    for booking in bookings:
        account = accounts.get(booking.account_id)
        message = reminder_message(booking, catalog, account.phone or "", account.lang, now) if account else None
        if message is None:
            continue
        if jobs.enqueue_once(message):
            result.written += 1
        else:
            result.already += 1
    log.info("day-before reminders", extra=result.summary())
    return result


def own_reminder(booking: Booking, account: Account, catalog: Catalog, now: datetime) -> tuple[Message, ...]:
    """R16: a booking made after (or just before) the reminder run of the day before its day carries
    its own day-before reminder, written with it (see hallbook.domain.reminders)."""
    if not booking_carries_reminder(booking.date, now):
        return ()
    message = reminder_message(booking, catalog, account.phone or "", account.lang, now)
    return (message,) if message else ()
