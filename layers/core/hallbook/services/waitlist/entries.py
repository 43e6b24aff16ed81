"""R18: a citizen's waitlist entries - joining (refused as a booking would be), listing, leaving."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from ...domain import errors
from ...domain.booking import CANCEL_CUTOFF_TEXT
from ...domain.timetable import parse_hhmm
from ...domain.waitlist import EntryStatus, cut_off
from ...i18n import N_, Bilingual
from ...store.stores import stores
from ...store.waitlist import Entry, EntryMoved
from .. import eligibility
from ..catalog import get_office, get_service, parse_day
from ..ownership import owned_by
from ..tokens import Caller
from .offers import end_offer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JoinRequest:
    office_id: str
    service_code: str
    date: str
    start: str | None = None
    subject_id_number: str | None = None


def join(caller: Caller, request: JoinRequest, now: datetime) -> Entry:
    """R18: wait for a full day (no `start`) or one slot. Refused like a booking (R1-R6, R9, R11, R12),
    and with INVALID_STATE while the day or slot has a free place (book it instead)."""
    day = parse_day(request.date, "date")
    if request.start is not None:
        try:
            parse_hhmm(request.start)
        except ValueError:
            raise errors.ValidationFailed("`start` must be a time HH:MM", field="start") from None
    store = stores()
    catalog = store.catalog.load_catalog()
    office = get_office(request.office_id, catalog)
    service = get_service(request.service_code, catalog)
    eligibility.ensure_appointment_service(service)
    eligibility.ensure_offered(office, service)
    eligibility.ensure_in_booking_window(
        catalog, office, day, now, "A waitlist is for a released day from tomorrow on."
    )
    if now >= cut_off(day):
        raise errors.OutsideBookingWindow(
            N_("The waitlist for that day closed at the cut-off ({cutoff} the day before).", cutoff=CANCEL_CUTOFF_TEXT)
        )
    planned = set(eligibility.day_plan(catalog, office, service, day))
    if request.start is not None and request.start not in planned or not planned:
        raise errors.NoSuchSlot(
            N_(
                "{office} has no {service} slot on {day} at {start}.",
                office=Bilingual(office.name, office.name_en),
                service=Bilingual(service.name_zh, service.name_en),
                day=day,
                start=request.start,
            )
            if request.start
            else N_(
                "{office} has no {service} slot on {day}.",
                office=Bilingual(office.name, office.name_en),
                service=Bilingual(service.name_zh, service.name_en),
                day=day,
            )
        )
    slots = [
        s
        for s in store.slots.slots_between(office.office_id, service.code, day, day)
        if not s.closed and (request.start is None or s.start == request.start)
    ]
    if not slots:
        raise errors.NoSuchSlot(
            N_("No released slot on {day} at {start}.", day=day, start=request.start)
            if request.start
            else N_("No released slot on {day}.", day=day)
        )
    free = [s.start for s in slots if s.remaining > 0]
    if free:
        raise errors.InvalidState(N_("There are free places ({starts}): book one instead of waiting.", starts=free))

    account = eligibility.account_that_may_book(caller, now)
    subject_id = eligibility.subject_for(account, request.subject_id_number, service, now.date())
    entry = Entry(
        uuid.uuid4().hex,
        account.account_id,
        subject_id,
        office.office_id,
        service.code,
        day,
        request.start,
        EntryStatus.WAITING.value,
        now.isoformat(timespec="milliseconds"),
    )
    store.waitlist.join(entry, cut_off(day), now)
    log.info(
        "joined the waitlist",
        extra={"office_id": office.office_id, "service_code": service.code, "date": day.isoformat()},
    )
    return entry


def own_entry(caller: Caller, entry_id: str) -> Entry:
    """Only the account that made an entry sees or changes it; anybody else's is 404, as an unknown one."""
    return owned_by(caller, entry_id, stores().waitlist.get_entry, "waitlist entry")


def list_entries(caller: Caller) -> list[Entry]:
    return stores().waitlist.entries_of_account(caller.account_id)


def leave(caller: Caller, entry_id: str, now: datetime) -> Entry:
    """Leave the waitlist; an offer held is declined and its place passes on at once. Leaving never
    counts as a cancellation (R11): no place was ever the subject's."""
    entry = own_entry(caller, entry_id)
    store = stores()
    catalog = store.catalog.load_catalog()
    if entry.status == EntryStatus.WAITING.value:
        try:
            store.waitlist.end_entry(entry, EntryStatus.LEFT, now, [])
            return store.waitlist.get_entry(entry.entry_id) or entry
        except EntryMoved:
            entry = own_entry(caller, entry_id)  # offered meanwhile: decline it below
    if entry.status != EntryStatus.OFFERED.value:
        raise errors.InvalidState(
            N_("The entry is {status}; only a waiting or offered one can be left.", status=entry.status)
        )
    end_offer(entry, EntryStatus.DECLINED, now, catalog)
    return store.waitlist.get_entry(entry.entry_id) or entry
