"""R6: the noon release. The scheduled run plans one message per hall (fan-out through SQS); each
hall's slots are then written by `release_office`, idempotently (a second run never resets places).

Slots are written a day before their release: at 12:00 the window itself (the clock) opens them, so
the rush at 12:00:00 never waits for this job, and a late or retried run changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ..clock import SHANGHAI
from ..clock import now as clock_now
from ..domain.booking_window import RELEASE_TIME, days_to_stage
from ..domain.calendar import Source, next_year_missing
from ..domain.timetable import plan_fingerprint, slots_for_day
from ..store.catalog import Catalog
from ..store.stores import stores
from . import calendar_sync

log = logging.getLogger(__name__)


SAFETY_MARGIN = timedelta(minutes=10)


def opens_at(day: date, booking_window_days: int) -> datetime:
    """The noon whose release makes `day` bookable."""
    return datetime.combine(day - timedelta(days=booking_window_days), RELEASE_TIME, SHANGHAI)


@dataclass
class ReleaseResult:
    office_id: str
    batched: int = 0  # slots written by batched puts, unread (days not open yet)
    conditional: int = 0  # slots written by conditional puts (days possibly open)
    unchanged: int = 0  # slots that already existed: not written

    @property
    def written(self) -> int:
        return self.batched + self.conditional


@dataclass(frozen=True)
class OfficeRelease:
    office_id: str
    days: list[date]

    def message(self) -> dict[str, Any]:
        return {"office_id": self.office_id, "days": [d.isoformat() for d in self.days]}


def next_release(now: datetime) -> datetime:
    """The next noon run (12:00 Asia/Shanghai) after `now`."""
    local = now.astimezone(SHANGHAI)
    noon = datetime.combine(local.date(), RELEASE_TIME, SHANGHAI)
    return noon if local < noon else noon + timedelta(days=1)


def plan_release(now: datetime, catalog: Catalog | None = None) -> list[OfficeRelease]:
    """What the noon run must make sure exists: every hall's bookable days and the next one."""
    catalog = catalog or stores().catalog_admin.load_catalog(max_age=0)
    return [
        OfficeRelease(office.office_id, days_to_stage(now, catalog.booking_window_days(office)))
        for office in sorted(catalog.offices.values(), key=lambda o: o.office_id)
    ]


def release_office(
    office_id: str, days: Iterable[date], now: datetime | None = None, *, serving: bool = True
) -> ReleaseResult:
    """Write one hall's missing slots for `days`; idempotent. A day recorded as released with the
    same plan (store.slots.released_days) is skipped without reading its slots: a second run reads
    one Query and writes nothing. Of the others, a day whose window opens more than a safety margin
    from now cannot have been booked: its planned slots are written with batched plain puts, unread
    (an existing one is written again as the plan has it, with no place taken); a day that may
    already be open is read, and its missing slots get conditional puts (places booked are never
    reset). Then the days are recorded as released. `serving=False`: nothing takes bookings yet (local
    mode seeding before it serves), so no day can have been booked: every day is written unread."""
    now = now or clock_now()
    store = stores().catalog_admin
    catalog = store.load_catalog()
    office = catalog.offices.get(office_id)
    result = ReleaseResult(office_id)
    if office is None:
        log.warning("release skipped an unknown office", extra={"office_id": office_id})
        return result
    days = sorted(set(days))
    if not days:
        return result
    booking_window_days = catalog.booking_window_days(office)
    codes = sorted(c for c in office.timetable if c in office.services)
    plans = {
        day: [
            s
            for code in codes
            for s in slots_for_day({code: office.timetable[code]}, day, catalog.calendar, office.closed_days)
        ]
        for day in days
    }
    fingerprints = {day: plan_fingerprint(planned) for day, planned in plans.items() if planned}
    released = store.released_days(office_id, days[0], days[-1])
    if serving and calendar_sync.days_to_close(office, {d: released[d] for d in days if d in released}, catalog):
        calendar_sync.reconcile_office(office_id, days, now, catalog)  # R5: a schedule arrived
    todo = [day for day, fingerprint in fingerprints.items() if released.get(day) != fingerprint]
    result.unchanged += sum(len(plans[day]) for day in fingerprints if day not in todo)
    unopened = [day for day in todo if not serving or opens_at(day, booking_window_days) - now > SAFETY_MARGIN]
    result.batched += store.create_unopened_slots(office_id, [s for day in unopened for s in plans[day]])
    opened = [day for day in todo if day not in unopened]
    for code in codes if opened else []:
        planned = [s for day in opened for s in plans[day] if s.service_code == code]
        if not planned:
            continue
        for slot in (s for s in planned if released.get(s.day) == calendar_sync.CALENDAR_CLOSED):
            # a day the calendar had closed is a working day again: its closed slots open at this noon
            store.set_capacity_keeping_bookings(office_id, code, slot.day, slot.start, slot.capacity, slot.end)
        existing = store.existing_starts(office_id, code, opened[0], opened[-1])
        missing = [s for s in planned if (s.day, s.start) not in existing]
        result.conditional += store.create_slots_if_missing(office_id, missing)
        result.unchanged += len(planned) - len(missing)
    store.mark_days_released(office_id, {day: fingerprints[day] for day in todo})
    return result


def release_booking_window(now: datetime | None = None, *, serving: bool = True) -> int:
    """Everything at once, in this process (local mode's start, tests); `serving` as release_office."""
    now = now or clock_now()
    return sum(release_office(plan.office_id, plan.days, now, serving=serving).written for plan in plan_release(now))


def next_year_calendar_missing(now: datetime, catalog: Catalog | None = None) -> bool:
    """R5: from 1 December, alarm while next year's calendar is neither bundled nor entered."""
    return next_year_missing(now.date(), (catalog or stores().catalog_admin.load_catalog(max_age=0)).calendar)


CALENDAR_LOOKAHEAD_DAYS = 60


def calendar_days_by_source(now: datetime, days: int = CALENDAR_LOOKAHEAD_DAYS) -> dict[str, int]:
    """How many of the coming `days` days each calendar source rules (R5: official, admin,
    provisional): the Jobs dashboard shows a provisional stretch coming before the alarm does."""
    calendar = stores().catalog_admin.load_catalog().calendar
    counts = {source.value: 0 for source in Source}
    for i in range(1, days + 1):
        counts[calendar.source((now.date() + timedelta(days=i)).year).value] += 1
    return counts
