"""The scheduled jobs' rules on the in-memory stores (store/memory/): the no-show sweep (R12) with its
warning (R21), the day-before reminders (R16) and R22's flags. No AWS, no clock moves - each call is
given its instant. Expected values are the SPEC's, written here; what only DynamoDB and the scheduler
can show (the sweep index's shards, the optimistic transaction, the schedules, the SMS pump) stays in
tests/api/test_jobs.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import count

import pytest

from hallbook.clock import SHANGHAI
from hallbook.domain import errors
from hallbook.domain.flags import BOOK_CANCEL_LOOP
from hallbook.domain.sanctions import FLAG_BOOK_CANCEL_CYCLES
from hallbook.services import audit, bookings, flags, reminders, stats, sweep
from hallbook.services.bookings import BookingRequest
from hallbook.services.tokens import Caller
from hallbook.store import readcache
from hallbook.store.bookings import Booking
from hallbook.store.memory import MemoryStores
from hallbook.store.stores import installed
from tests.unit.builders import catalog, hall, person, service, slots

pytestmark = [pytest.mark.R12, pytest.mark.R16, pytest.mark.R21, pytest.mark.R22]

OFFICE, SERVICE = "test-hall", "ID_RENEW"
MONDAY_9 = datetime(2026, 9, 14, 9, 0, tzinfo=SHANGHAI)
TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (date(2026, 9, d) for d in (15, 16, 17, 18))
_numbers = count(300)


def at(day: date, hhmm: str, second: int = 0) -> datetime:
    hh, mm = hhmm.split(":")
    return datetime(day.year, day.month, day.day, int(hh), int(mm), second, tzinfo=SHANGHAI)


@dataclass
class World:
    fake: MemoryStores

    def citizen(self) -> Caller:
        n = next(_numbers)
        account = person(n, MONDAY_9, phone_prefix="139")
        self.fake.add_account(account)
        return Caller(account.account_id, "citizen", phone_verified=True)

    def status(self, booking: Booking) -> str:
        stored = self.fake.bookings.get_booking(booking.booking_id)
        assert stored is not None
        return stored.status

    def sms(self, caller: Caller, template: str) -> list[str]:
        account = self.fake.accounts.get_account(caller.account_id)
        assert account is not None
        return [m.text for m in self.fake.bookings.outbox if m.phone == account.phone and m.template == template]

    def subject(self, caller: Caller):  # type: ignore[no-untyped-def]
        account = self.fake.accounts.get_account(caller.account_id)
        assert account is not None and account.id_number
        return self.fake.bookings.get_subject(account.id_number)


@pytest.fixture
def world() -> Iterator[World]:
    """A hall whose ID_RENEW slots (09:00-09:30, 09:30-10:00) take 2 each, released Tuesday to Friday."""
    timetable = {SERVICE: slots(("09:00", "09:30", 2), ("09:30", "10:00", 2))}
    fake = MemoryStores(catalog([service(SERVICE)], [hall(OFFICE, [SERVICE], timetable)]))
    fake.release(TUESDAY, WEDNESDAY, THURSDAY, FRIDAY)
    with installed(fake.stores()), readcache.environment(readcache.ReadCaches()):
        yield World(fake)


def book(caller: Caller, day: date = TUESDAY, start: str = "09:00", now: datetime = MONDAY_9) -> Booking:
    body = {"office_id": OFFICE, "service_code": SERVICE, "date": day.isoformat(), "start": start}
    return bookings.book(caller, BookingRequest(**body, notice_acknowledged=True), None, now)[0]  # type: ignore[arg-type]


# ---------------------------------------------------------------- the no-show sweep (R12, R21)


def test_the_sweep_marks_a_no_show_after_the_slot_end_once_even_run_twice(world):
    first, second, kept = world.citizen(), world.citizen(), world.citizen()
    b_first, b_second, b_kept = book(first), book(second, start="09:30"), book(kept, day=WEDNESDAY)

    result = sweep.sweep(at(TUESDAY, "09:45"))
    assert (result.due, result.no_shows, result.suspended, result.skipped) == (1, 1, 0, 0)
    assert result.slots == {(OFFICE, SERVICE, TUESDAY.isoformat(), "09:00")}
    assert [world.status(b) for b in (b_first, b_second, b_kept)] == ["no_show", "booked", "booked"]
    (text,) = world.sms(first, "no_show")
    assert b_first.reference in text

    assert sweep.sweep(at(TUESDAY, "09:46")).no_shows == 0  # run twice: the same
    assert sweep.sweep(at(TUESDAY, "09:47"), days_back=7).no_shows == 0
    assert len(world.sms(first, "no_show")) == 1
    assert world.subject(first).no_shows == [TUESDAY]
    assert SERVICE not in world.subject(first).active_services  # R9's lock released: may book again
    assert book(first, day=THURSDAY, now=at(TUESDAY, "09:50")).status == "booked"

    assert sweep.sweep(at(TUESDAY, "10:00")).due == 0  # a slot ending at 10:00:00 is due from 10:00:01
    assert sweep.sweep(at(TUESDAY, "10:00", 1)).no_shows == 1
    assert world.status(b_second) == "no_show"


def test_the_sweep_catches_up_after_an_outage_and_dates_the_no_show_by_its_slot(world):
    citizen = world.citizen()
    booking = book(citizen)
    result = sweep.sweep(at(WEDNESDAY, "07:00"))  # nothing ran since Tuesday morning
    assert (result.no_shows, len(result.slots)) == (1, 1)
    assert world.status(booking) == "no_show" and world.subject(citizen).no_shows == [TUESDAY]
    with pytest.raises(errors.ValidationFailed):
        sweep.sweep(at(WEDNESDAY, "07:00"), days_back=sweep.MAX_DAYS_BACK + 1)


def test_three_no_shows_in_six_months_suspend_for_six_months_from_the_last_warned_one_step_before(world):
    citizen = world.citizen()
    now = MONDAY_9
    for day in (TUESDAY, WEDNESDAY, THURSDAY):
        booking = book(citizen, day=day, now=now)
        now = at(day, "09:45")
        result = sweep.sweep(now)
        assert result.no_shows == 1 and world.status(booking) == "no_show"
        assert len(world.sms(citizen, "warning_no_shows")) == (0 if day == TUESDAY else 1)  # R21: after the 2nd

    assert result.suspended == 1
    assert len(world.sms(citizen, "no_show")) == 3
    (warning,) = world.sms(citizen, "warning_no_shows")
    assert "2027-03-14" in warning  # one more until then (within six months of Tuesday's) suspends
    (suspended,) = world.sms(citizen, "suspended")
    assert "2027-03-17" in suspended
    assert world.subject(citizen).noshow_until == "2027-03-17T00:00:00+08:00"
    with pytest.raises(errors.Suspended) as refused:
        book(citizen, day=FRIDAY, now=at(THURSDAY, "09:50"))
    assert refused.value.extra["suspended_until"] == "2027-03-17T00:00:00+08:00"
    assert sweep.sweep(at(THURSDAY, "09:50"), days_back=7).no_shows == 0
    assert len(world.sms(citizen, "suspended")) == 1


# ---------------------------------------------------------------- day-before reminders (R16)


def test_reminders_go_to_tomorrows_bookings_once_even_run_twice_or_booked_late(world):
    early, other_day, cancelled, late = (world.citizen() for _ in range(4))
    b_early = book(early)
    book(other_day, day=WEDNESDAY)
    bookings.cancel(cancelled, book(cancelled).booking_id, MONDAY_9)

    result = reminders.send_reminders(at(date(2026, 9, 14), "16:01"))
    assert (result.bookings, result.written, result.already) == (1, 1, 0)
    (text,) = world.sms(early, "reminder")
    assert b_early.reference in text
    assert not world.sms(other_day, "reminder") and not world.sms(cancelled, "reminder")

    b_late = book(late, start="09:30", now=at(date(2026, 9, 14), "16:30"))  # after the run: carries its own
    (text,) = world.sms(late, "reminder")
    assert b_late.reference in text

    again = reminders.send_reminders(at(date(2026, 9, 14), "16:40"))
    assert (again.bookings, again.written, again.already) == (2, 0, 2)
    assert len(world.sms(early, "reminder")) == len(world.sms(late, "reminder")) == 1

    assert reminders.send_reminders(at(TUESDAY, "16:01")).written == 1  # Tuesday's run: Wednesday's booking
    assert len(world.sms(other_day, "reminder")) == 1


# ---------------------------------------------------------------- abuse flags (R22)


def test_a_book_and_cancel_loop_raises_one_flag_with_its_evidence_reviewed_and_opened_again(world):
    citizen, admin = world.citizen(), Caller("admin-1", "admin")
    made = []
    for i, day in enumerate((TUESDAY, WEDNESDAY, THURSDAY)[:FLAG_BOOK_CANCEL_CYCLES]):
        assert flags.list_flags(None, 50, None).flags == []
        booking = book(citizen, day=day, now=at(date(2026, 9, 14), f"09:0{i}"))
        bookings.cancel(citizen, booking.booking_id, at(date(2026, 9, 14), f"09:0{i}", 30))
        made.append(booking)

    (flag,) = flags.list_flags("open", 50, None).flags
    assert (flag.pattern, flag.count, flag.status) == (BOOK_CANCEL_LOOP.name, FLAG_BOOK_CANCEL_CYCLES, "open")
    assert SERVICE in (flag.subject or "") and world.subject(citizen).id_number not in str(flag)  # masked
    assert sorted(e["reference"] for e in flag.evidence) == sorted(b.reference for b in made)
    assert {e["by"] for e in flag.evidence} == {"citizen"}

    reviewed = flags.review(admin, flag.flag_id, "a citizen changing plans", at(date(2026, 9, 14), "11:00"))
    assert (reviewed.status, reviewed.reviewed_by) == ("reviewed", admin.account_id)
    assert flags.list_flags("open", 50, None).flags == []
    (entry,) = audit.list_entries(None, 50, None, date(2026, 9, 14)).entries
    assert (entry.action, entry.target, entry.after) == (
        "flag.review",
        f"FLAG#{flag.flag_id}",
        {"status": "reviewed", "count": 3},
    )
    with pytest.raises(errors.NotFound):
        flags.review(admin, "book_cancel_loop-0", None, at(date(2026, 9, 14), "11:01"))

    flags.cancelled(made[0], "hall", at(date(2026, 9, 14), "12:00"))  # a hall's own cancellation is not counted
    assert flags.list_flags("open", 50, None).flags == []
    flags.cancelled(made[0], "citizen", at(date(2026, 9, 14), "12:01"))  # one more than reviewed: open again
    (again,) = flags.list_flags(None, 50, None).flags
    assert (again.flag_id, again.status, again.count) == (flag.flag_id, "open", FLAG_BOOK_CANCEL_CYCLES + 1)


def test_a_flag_counter_that_fails_never_fails_the_act(world, monkeypatch):
    citizen = world.citizen()

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the counters' table is down")

    monkeypatch.setattr(world.fake.flags, "record", broken)
    flags.cancelled(book(citizen), "citizen", MONDAY_9)  # logged, not raised


# ---------------------------------------------------------------- statistics


def test_the_statistics_read_the_slots_places_and_the_days_counters(world):
    for start in ("09:00", "09:00", "09:30"):
        book(world.citizen(), start=start)
    world.fake.oversight.count(OFFICE, SERVICE, TUESDAY, no_shows=1, cancelled_hall=2, checked_in=2, called=2)
    world.fake.oversight.count(OFFICE, SERVICE, TUESDAY, wait_seconds=90)

    report = stats.report(OFFICE, None, TUESDAY.isoformat(), WEDNESDAY.isoformat(), MONDAY_9)
    tuesday, wednesday = report["days"]
    assert (tuesday["date"], tuesday["capacity"], tuesday["booked"], tuesday["utilisation"]) == (
        TUESDAY.isoformat(),
        4,
        3,
        0.75,
    )
    assert (tuesday["no_shows"], tuesday["no_show_rate"], tuesday["cancellations"]) == (1, 0.333, 2)
    assert tuesday["cancelled_by"] == {"citizen": 0, "operator": 0, "hall": 2}
    assert tuesday["average_wait_seconds"] == 45.0 and tuesday["average_service_seconds"] is None
    assert (wednesday["capacity"], wednesday["booked"], wednesday["utilisation"], wednesday["no_show_rate"]) == (
        4,
        0,
        0.0,
        None,
    )
    assert (
        stats.as_csv(report).splitlines()[1].startswith(f"{TUESDAY.isoformat()},{OFFICE},{SERVICE},4,3,0.75,0,0,2,2,1,")
    )
