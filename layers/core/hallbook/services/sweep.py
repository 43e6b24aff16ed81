"""R12: the no-show sweep. Every few minutes during hall hours (template.yaml: NoShowSweep) bookings
still `booked` after their slot's end become `no_show`; the third no-show of a subject within six
months suspends booking for six months from the last one.

Found without a scan: the sparse by_slot_end index holds a booking only while it is `booked`, keyed
by the local day of its slot's end (spread over SWEEP_SHARDS shards) and `<slot end>#<booking_id>`, so each run is one Query per shard and day
covered, and a booking leaves the index as it is swept (or checked in, or cancelled).

A run covers today and the CATCH_UP_DAYS before it, so it catches up by itself after an outage
of up to a day, and it catches slots ending after the schedule's last run of an evening. Longer
outages: invoke the jobs function with {"job": "sweep", "days_back": N} (at most MAX_DAYS_BACK).
No-shows are dated by the slot's day, not by the sweep's, so a late sweep records the same thing.

Idempotent: each booking is one transaction conditioned on `booked`, and its SMS ids derive from the
booking (`<booking_id>#no_show`, `<booking_id>#suspended`); a second run, late run or concurrent
run changes nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..clock import now as clock_now
from ..domain.booking import Status
from ..domain.errors import ValidationFailed
from ..domain.identity import mask_id_number
from ..domain.sanctions import NO_SHOW_MONTHS, NO_SHOWS_LIMIT, suspension_after_no_show, warning_after_no_show
from ..i18n import N_, pair
from ..store.accounts import Account
from ..store.bookings import Booking, Subject, SubjectMoved
from ..store.catalog import Catalog
from ..store.outbox import Message
from ..store.stores import stores
from . import guardians, messages

log = logging.getLogger(__name__)

CATCH_UP_DAYS = 1
MAX_DAYS_BACK = 31
ATTEMPTS = 5  # optimistic retries when the subject's no-shows moved under us


@dataclass
class SweepResult:
    due: int = 0  # bookings the index listed as due
    no_shows: int = 0  # marked no_show by this run
    suspended: int = 0  # subjects this run suspended (or whose suspension it extended)
    skipped: int = 0  # no longer booked when read or written (checked in, cancelled, swept already)
    slots: set[tuple[str, str, str, str]] = field(default_factory=set)  # (office, service, day, start) swept

    def summary(self) -> dict[str, Any]:
        return {
            "job": "sweep",
            "due": self.due,
            "no_shows": self.no_shows,
            "suspended": self.suspended,
            "skipped": self.skipped,
            "slots": len(self.slots),
        }


def sweep(now: datetime | None = None, days_back: int = CATCH_UP_DAYS) -> SweepResult:
    now = now or clock_now()
    if not 0 <= days_back <= MAX_DAYS_BACK:
        raise ValidationFailed(N_("days_back is 0 to {days}.", days=MAX_DAYS_BACK))
    result = SweepResult()
    today = now.date()
    jobs = stores().jobs
    ids = [i for back in range(days_back, -1, -1) for i in jobs.due_for_sweep(today - timedelta(days=back), now)]
    result.due = len(ids)
    if not ids:
        return result
    catalog = stores().catalog.load_catalog()
    bookings = [b for b in jobs.get_bookings(ids) if b.status == Status.BOOKED.value]
    result.skipped += len(ids) - len(bookings)
    subjects = jobs.get_subjects([b.subject_id_number for b in bookings])
    accounts = stores().accounts.get_accounts([b.account_id for b in bookings])
    for booking in sorted(bookings, key=lambda b: (b.date, b.end, b.booking_id)):
        account = accounts.get(booking.account_id)
        counts = guardians.counts_against_subject(account, booking.subject_id_number)  # R2
        marked, suspended = _mark(booking, subjects[booking.subject_id_number], account, catalog, now, counts)
        if marked:
            result.no_shows += 1
            result.suspended += suspended
            result.slots.add((booking.office_id, booking.service_code, booking.date.isoformat(), booking.start))
            subjects[booking.subject_id_number] = _after(subjects[booking.subject_id_number], booking, counts)
        else:
            result.skipped += 1
    if result.no_shows:
        log.info("no-show sweep", extra=result.summary())
    return result


def _after(subject: Subject, booking: Booking, counted: bool) -> Subject:
    """The subject as this run just wrote it (so a second booking of theirs in the run needs no re-read)."""
    shows = [*subject.no_shows, booking.date] if counted else list(subject.no_shows)
    return Subject(
        subject.id_number,
        subject.active_services - {booking.service_code},
        subject.cancel_month,
        subject.cancel_count,
        shows,
        subject.noshow_until,
    )


def no_show_consequences(
    booking: Booking, subject: Subject, account: Account | None, catalog: Catalog, now: datetime, counts: bool
) -> tuple[list[Message], str | None]:
    """R12, R21: the SMS a no-show sends (the no-show, the warning after the second, the suspension
    after the third) and the suspension it starts (`noshow_until`, None when none or already recorded):
    for the sweep and for the counter's second skip (R15a) alike."""
    office, service = catalog.offices.get(booking.office_id), catalog.services.get(booking.service_code)
    phone, lang = (account.phone or "", account.lang) if account else ("", "zh")
    suspension = suspension_after_no_show(subject.no_shows, booking.date) if counts else None
    until = suspension.until.isoformat() if suspension else None
    if until and subject.noshow_until and subject.noshow_until >= until:
        suspension = until = None  # already recorded (never shorten a suspension)
    sms: list[Message] = []
    if phone and office and service:
        sms.append(messages.booking_message("no_show", booking, office, service, phone, lang, now))
        warning = warning_after_no_show(subject.no_shows, booking.date) if counts else None
        if warning:  # R21: one more suspends
            sms.append(messages.warning_message(booking.booking_id, warning, phone, lang, now))
        if suspension and suspension.until > now:
            why = pair("why.no_shows", count=NO_SHOWS_LIMIT, months=NO_SHOW_MONTHS)
            sms.append(messages.suspended_message(booking.booking_id, why, suspension.until, phone, lang, now))
    return sms, until


def _mark(
    booking: Booking, subject: Subject, account: Account | None, catalog: Catalog, now: datetime, counts: bool
) -> tuple[bool, bool]:
    """(marked, suspended) for one booking; retries when the subject's no-shows changed concurrently."""
    jobs = stores().jobs
    for _ in range(ATTEMPTS):
        sms, until = no_show_consequences(booking, subject, account, catalog, now, counts)
        try:
            marked = jobs.mark_no_show(booking, subject, now, sms, until, counts)
        except SubjectMoved:
            subject = jobs.get_subject(booking.subject_id_number)
            continue
        if marked and until:
            log.info(
                "suspended after no-shows", extra={"subject": mask_id_number(booking.subject_id_number), "until": until}
            )
        return marked, bool(marked and until)
    log.warning("no-show not recorded: the subject kept changing", extra={"booking_id": booking.booking_id})
    return False, False
