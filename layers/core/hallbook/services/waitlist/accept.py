"""R18: an offer accepted becomes a booking, with every rule of R8-R12 checked then."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from ...clock import SHANGHAI
from ...domain import errors
from ...domain.booking import Status
from ...domain.reference import new_reference
from ...domain.timetable import parse_hhmm
from ...domain.waitlist import EntryStatus
from ...store.bookings import Booking
from ...store.stores import stores
from ...store.waitlist import EntryMoved
from .. import eligibility, guardians, messages
from ..catalog import get_office, get_service
from ..reminders import own_reminder
from ..tokens import Caller
from .entries import own_entry

log = logging.getLogger(__name__)


def accept(caller: Caller, entry_id: str, notice_acknowledged: bool, now: datetime) -> tuple[Booking, bool]:
    """R18: the offer becomes a booking, with every rule of R8-R12 checked then. (booking, created):
    accepting again answers the same booking."""
    entry = own_entry(caller, entry_id)
    store = stores()
    catalog = store.catalog.load_catalog()
    if entry.status == EntryStatus.ACCEPTED.value and entry.booking_id:
        booking = store.bookings.get_booking(entry.booking_id)
        if booking is not None:
            return booking, False
    if entry.status != EntryStatus.OFFERED.value or entry.offer_until is None or entry.offer_until <= now:
        raise errors.InvalidState("There is no place held for this entry to accept.")
    if notice_acknowledged is not True:
        raise errors.NoticeNotAcknowledged("Read and acknowledge the service's notice before booking.")
    office, service = get_office(entry.office_id, catalog), get_service(entry.service_code, catalog)
    account = eligibility.account_that_may_book(caller, now)
    if entry.subject_id_number != account.id_number and not guardians.is_guardian(
        account.account_id, entry.subject_id_number
    ):
        raise errors.Forbidden("Your account no longer acts for this minor.")  # R2: the link was revoked
    assert entry.offer_start and entry.offer_end
    booking = Booking(
        booking_id=hashlib.sha256(f"waitlist\n{entry.entry_id}".encode()).hexdigest()[:32],
        reference=new_reference(),
        account_id=account.account_id,
        subject_id_number=entry.subject_id_number,
        office_id=entry.office_id,
        service_code=entry.service_code,
        date=entry.date,
        start=entry.offer_start,
        end=entry.offer_end,
        status=Status.BOOKED.value,
        created_at=now.isoformat(timespec="milliseconds"),
    )
    sms = [
        messages.booking_message("booked", booking, office, service, account.phone or "", account.lang, now),
        *own_reminder(booking, account, catalog, now),
    ]
    ends_at = datetime.combine(entry.date, parse_hhmm(entry.offer_end), SHANGHAI)
    try:
        store.waitlist.accept_offer(entry, booking, ends_at, now, sms)
    except EntryMoved:
        again = store.waitlist.get_entry(entry.entry_id)
        if again and again.status == EntryStatus.ACCEPTED.value and again.booking_id:
            made = store.bookings.get_booking(again.booking_id)
            if made is not None:
                return made, False
        raise errors.InvalidState("There is no place held for this entry to accept.") from None
    log.info("waitlist offer accepted", extra={"booking_id": booking.booking_id, "office_id": entry.office_id})
    return booking, True
