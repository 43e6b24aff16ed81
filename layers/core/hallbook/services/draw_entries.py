"""R23, entering a draw: during the entry period (12:00 to the close) one entry per subject (canonical
ID number) per draw, one PutItem with nothing contended; R9 and R11/R12 are checked at entry and
again at the allocation. A retry with the same Idempotency-Key finds its entry."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from ..domain import draw as rules
from ..domain import errors
from ..domain.timetable import parse_hhmm
from ..i18n import N_, Bilingual, Text
from ..store.draw_entries import EntryExists
from ..store.draws import Entry
from ..store.stores import stores
from . import eligibility
from .catalog import get_office, get_service, parse_day
from .draws import draw_of
from .tokens import Caller

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EntryRequest:
    office_id: str
    service_code: str
    date: str
    starts: list[str] | None = None
    subject_id_number: str | None = None
    waitlist: bool = False
    any_office: bool = False


def entry_id_for(account_id: str, idempotency_key: str | None) -> str:
    """Derived from the caller and their Idempotency-Key (a retry finds its entry), random without one."""
    if not idempotency_key:
        return uuid.uuid4().hex
    if len(idempotency_key) > 128:
        raise errors.ValidationFailed("Idempotency-Key is at most 128 characters", field="Idempotency-Key")
    return hashlib.sha256(f"draw-entry\n{account_id}\n{idempotency_key}".encode()).hexdigest()[:32]


def enter(caller: Caller, request: EntryRequest, idempotency_key: str | None, now: datetime) -> tuple[Entry, bool]:
    """One entry of the subject in the draw of the day; (entry, created): False for a retry's replay."""
    day = parse_day(request.date, "date")
    try:
        starts = rules.valid_starts(request.starts)
        for start in starts or ():
            parse_hhmm(start)
    except ValueError as e:
        raise errors.ValidationFailed(
            e.args[0] if isinstance(e.args[0], Text) else "`starts` are times HH:MM", field="starts"
        ) from None
    catalog = stores().catalog.load_catalog()
    office = get_office(request.office_id, catalog)
    service = get_service(request.service_code, catalog)
    eligibility.ensure_appointment_service(service)
    eligibility.ensure_offered(office, service)
    setting = catalog.drawn(office, service.code, day)
    if setting is None:
        raise errors.DrawClosed(
            N_("{day} of {code} is not drawn by lot in {region}.", day=day, code=service.code, region=office.region)
        )
    window = catalog.booking_window_days(office)
    if now < rules.opens_at(day, window):
        raise errors.DrawClosed(
            N_("The draw of {day} opens at {opens}.", day=day, opens=rules.opens_at(day, window).isoformat())
        )
    draw = draw_of(office.region, service.code, day, setting.entry_minutes, window, now)
    if not draw.opens_at <= now < draw.closes_at or draw.state != "open":
        raise errors.DrawClosed(N_("Entries for {day} closed at {closes}.", day=day, closes=draw.closes_at.isoformat()))
    planned = set(eligibility.day_plan(catalog, office, service, day))
    if not planned or any(s not in planned for s in starts or ()):
        raise errors.NoSuchSlot(
            N_(
                "{office} has no such {service} slot on {day}.",
                office=Bilingual(office.name, office.name_en),
                service=Bilingual(service.name_zh, service.name_en),
                day=day,
            )
        )
    account = eligibility.account_that_may_book(caller, now)
    subject_id = eligibility.subject_for(account, request.subject_id_number, service, now.date())
    entry_id = entry_id_for(account.account_id, idempotency_key)
    entry = Entry(
        entry_id=entry_id,
        draw_id=draw.draw_id,
        account_id=account.account_id,
        subject_id_number=subject_id,
        office_id=office.office_id,
        service_code=service.code,
        date=day,
        starts=starts,
        any_office=bool(request.any_office),
        waitlist=bool(request.waitlist),
        status="entered",
        created_at=now.isoformat(timespec="milliseconds"),
        closes_at=draw.closes_at,
        request_hash=entry_id,
    )
    try:
        _check_subject(subject_id, service.code, now)
        stores().draws.enter(entry)
    except EntryExists as exists:
        first = exists.existing
        if first is not None and first.entry_id == entry_id and first.account_id == account.account_id:
            return first, False
        raise errors.AlreadyBooked("This person has entered this draw already.") from None
    except errors.AlreadyBooked:
        replay = stores().draws.get_entry(draw.draw_id, subject_id)
        if replay is not None and replay.entry_id == entry_id:
            return replay, False
        raise
    log.info("entered a draw", extra={"draw_id": draw.draw_id, "office_id": office.office_id})
    return entry, True


def _check_subject(subject_id: str, service_code: str, now: datetime) -> None:
    """R9, R11, R12 at entry (checked again at the allocation)."""
    subject = stores().bookings.get_subject(subject_id)
    if service_code in subject.active_services:
        raise errors.AlreadyBooked("There is already an active booking for this service; cancel it first.")
    suspension = subject.record().suspension(now)
    if suspension:
        raise errors.Suspended(suspension.detail(), suspended_until=suspension.until.isoformat())


def list_entries(caller: Caller) -> list[Entry]:
    return stores().draws.entries_of_account(caller.account_id)
