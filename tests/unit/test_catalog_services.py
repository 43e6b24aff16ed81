"""The catalog and the day plan (R4 timetables and closures, R5 working days, R6 the noon release) on the
in-memory stores (store/memory/): no AWS, each call given its instant. Expected values are the SPEC's,
written here; what only DynamoDB can show (the optimistic write's condition, a large change's job, the
routes' ETag/If-Match and guard) stays in tests/api (test_admin.py, test_admin_console_api.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import count
from typing import Any

import pytest

from hallbook.clock import SHANGHAI
from hallbook.domain import errors
from hallbook.services import bookings, calendar_years, catalog_admin, closures, release, timetables
from hallbook.services.bookings import BookingRequest
from hallbook.services.tokens import Caller
from hallbook.store import readcache
from hallbook.store.bookings import Booking
from hallbook.store.catalog import ChangedMeanwhile
from hallbook.store.memory import MemoryStores
from hallbook.store.stores import installed
from tests.unit.builders import catalog, hall, person, service, slots

pytestmark = [pytest.mark.R4, pytest.mark.R5, pytest.mark.R6]

OFFICE, OTHER, SERVICE = "test-hall", "other-hall", "ID_RENEW"
MONDAY_9 = datetime(2026, 9, 14, 9, 0, tzinfo=SHANGHAI)  # before the noon release
TUESDAY, WEDNESDAY = date(2026, 9, 15), date(2026, 9, 16)
ADMIN = Caller("admin-1", "admin")
_numbers = count(100)


def _hall(office_id: str, *times: tuple[str, str, int]) -> dict[str, Any]:
    return hall(office_id, [SERVICE], {SERVICE: slots(*times)})


@dataclass
class World:
    fake: MemoryStores

    def citizen(self) -> Caller:
        n = next(_numbers)
        account = person(n, MONDAY_9, phone_prefix="139")
        self.fake.add_account(account)
        return Caller(account.account_id, "citizen", phone_verified=True)

    def book(self, office: str = OFFICE, start: str = "09:00", day: date = TUESDAY) -> Booking:
        body = {"office_id": office, "service_code": SERVICE, "date": day.isoformat(), "start": start}
        request = BookingRequest(**body, notice_acknowledged=True)  # type: ignore[arg-type]
        return bookings.book(self.citizen(), request, None, MONDAY_9)[0]

    def status(self, booking: Booking) -> tuple[str, str | None]:
        stored = self.fake.bookings.get_booking(booking.booking_id)
        assert stored is not None
        return stored.status, stored.cancelled_by

    def slot(self, start: str = "09:00", day: date = TUESDAY, office: str = OFFICE) -> tuple[int, int, bool]:
        """(capacity, booked, closed)"""
        state = self.fake.bookings.get_slot(office, SERVICE, day, start)
        assert state is not None
        return state.capacity, state.booked, state.closed

    def sms(self, template: str) -> list[str]:
        return sorted(m.phone for m in self.fake.bookings.outbox if m.template == template)

    def phone(self, booking: Booking) -> str:
        account = self.fake.accounts.get_account(booking.account_id)
        assert account is not None
        return account.phone

    def put_hall(self, *times: tuple[str, str, int], if_match: str | None = None) -> timetables.OfficeSaved:
        return timetables.put_office(ADMIN, OFFICE, _hall(OFFICE, *times), MONDAY_9, if_match)[0]


@pytest.fixture
def world() -> Iterator[World]:
    """Two halls whose ID_RENEW slots (09:00, 09:30) take 2 each, released by the noon run; MONDAY_9."""
    halls = [_hall(h, ("09:00", "09:30", 2), ("09:30", "10:00", 2)) for h in (OFFICE, OTHER)]
    fake = MemoryStores(catalog([service(SERVICE)], halls))
    with installed(fake.stores()), readcache.environment(readcache.ReadCaches()):
        release.release_booking_window(MONDAY_9)
        yield World(fake)


# ---------------------------------------------------------------- R4: a timetable change never drops a booking


def test_capacity_lowered_below_the_bookings_keeps_them_all_and_the_slot_is_full(world: World) -> None:
    kept = [world.book(), world.book()]
    saved = world.put_hall(("09:00", "09:30", 1), ("09:30", "10:00", 2))
    assert world.slot() == (1, 2, False)
    assert [s["start"] for s in saved.slots["over_capacity"] if s["date"] == TUESDAY.isoformat()] == ["09:00"]
    assert [world.status(b) for b in kept] == [("booked", None)] * 2
    with pytest.raises(errors.SlotFull):  # R7: full until cancellations bring it under the new capacity
        world.book()


def test_a_slot_the_timetable_no_longer_has_is_closed_and_its_bookings_stay(world: World) -> None:
    kept = world.book(start="09:30")
    saved = world.put_hall(("09:00", "09:30", 2))
    assert world.slot("09:30") == (2, 1, True)
    assert world.status(kept) == ("booked", None)
    assert {(s["date"], s["start"], s["booked"]) for s in saved.slots["closed_with_bookings"]} == {
        (TUESDAY.isoformat(), "09:30", 1)
    }
    assert world.sms("cancelled_by_hall") == []  # nobody is told anything: the booking stands


def test_a_slot_new_in_the_timetable_is_released_at_once_and_a_raise_takes_effect(world: World) -> None:
    world.book()
    saved = world.put_hall(("09:00", "09:30", 3), ("09:30", "10:00", 2), ("10:00", "10:30", 4))
    assert world.slot() == (3, 1, False)
    assert world.slot("10:00") == (4, 0, False)
    assert saved.slots["created"] > 0 and saved.slots["over_capacity"] == []


def test_a_change_over_a_version_no_longer_stored_is_refused(world: World) -> None:
    _, tag = catalog_admin.office_view(OFFICE)
    world.put_hall(("09:00", "09:30", 2), if_match=tag)
    with pytest.raises(errors.PreconditionFailed):
        world.put_hall(("09:00", "09:30", 1), if_match=tag)
    assert world.slot() == (2, 0, False)
    body, _ = catalog_admin.office_view(OFFICE)
    with pytest.raises(ChangedMeanwhile):  # the write's own condition, when the read was older
        world.fake.catalog.put_audited("OFFICE", OFFICE, body, world.fake.catalog.audit[0], {**body, "name": "x"})


def test_each_change_is_written_with_its_audit_entry(world: World) -> None:
    catalog_admin.put_service(ADMIN, SERVICE, {**service(SERVICE), "notice": "带身份证"}, MONDAY_9)
    world.put_hall(("09:00", "09:30", 1))
    assert [(e.action, e.target, e.actor_id) for e in world.fake.catalog.audit] == [
        ("service.put", f"SERVICE#{SERVICE}", ADMIN.account_id),
        ("office.put", f"OFFICE#{OFFICE}", ADMIN.account_id),
    ]
    assert world.fake.catalog.catalog.services[SERVICE].notice == "带身份证"


# ---------------------------------------------------------------- R4: a closure cancels exactly that day at that hall


def test_a_closure_cancels_that_days_bookings_at_that_hall_and_tells_each_citizen(world: World) -> None:
    closed = [world.book(), world.book(start="09:30")]
    others = [world.book(day=WEDNESDAY), world.book(office=OTHER)]
    result = closures.close_day(ADMIN, OFFICE, TUESDAY.isoformat(), "停电", MONDAY_9, sleep=lambda _: None)
    assert (result["bookings_cancelled"], result["slots_closed"], result["already_closed"]) == (2, 2, False)
    assert [world.status(b) for b in closed] == [("cancelled", "hall")] * 2
    assert [world.status(b) for b in others] == [("booked", None)] * 2
    assert world.sms("cancelled_by_hall") == sorted(world.phone(b) for b in closed)
    assert world.slot()[2] and not world.slot(day=WEDNESDAY)[2] and not world.slot(office=OTHER)[2]
    for booking in closed:  # R11: never counted against the citizen
        assert world.fake.bookings.get_subject(booking.subject_id_number).cancel_count == 0


def test_a_closure_repeated_changes_nothing_more(world: World) -> None:
    world.book()
    closures.close_day(ADMIN, OFFICE, TUESDAY.isoformat(), "停电", MONDAY_9, sleep=lambda _: None)
    again = closures.close_day(ADMIN, OFFICE, TUESDAY.isoformat(), "其他", MONDAY_9, sleep=lambda _: None)
    assert (again["already_closed"], again["cancelled_now"], again["reason"]) == (True, 0, "停电")
    assert len(world.sms("cancelled_by_hall")) == 1


# ---------------------------------------------------------------- R6: the release is idempotent


def test_the_release_run_again_writes_nothing_and_resets_no_place(world: World) -> None:
    world.book()
    assert release.release_booking_window(MONDAY_9) == 0
    assert world.slot() == (2, 1, False)
    days = [TUESDAY, WEDNESDAY]
    assert release.release_office(OFFICE, days, MONDAY_9).written == 0


# ---------------------------------------------------------------- R5: an administrator's year rules it


def test_a_years_admin_entries_win_over_the_bundled_calendar(world: World) -> None:
    bundled, tag = calendar_years.calendar_year(2026, MONDAY_9.date())
    assert (bundled["source"], tag) == ("official", None) and TUESDAY.isoformat() not in bundled["holidays"]
    held = world.book()
    holidays = [*bundled["holidays"], TUESDAY.isoformat()]  # the State Council's year and one more day off
    result, created, _ = calendar_years.put_calendar(ADMIN, 2026, holidays, bundled["workdays"], MONDAY_9)
    year, tag = calendar_years.calendar_year(2026, MONDAY_9.date())
    assert created and year["source"] == "admin" and year["holidays"] == sorted(holidays) and tag
    assert result["changed_days"] == [TUESDAY.isoformat()]
    assert {(d["office_id"], d["date"]) for d in result["closed_days"]} == {
        (OFFICE, TUESDAY.isoformat()),
        (OTHER, TUESDAY.isoformat()),
    }
    assert world.status(held) == ("cancelled", "hall")
    assert world.sms("cancelled_by_calendar") == [world.phone(held)]
    assert world.slot()[2]


def test_a_changed_hall_keeps_its_closures(world: World) -> None:
    closures.close_day(ADMIN, OFFICE, WEDNESDAY.isoformat(), "设备检修", MONDAY_9, sleep=lambda _: None)
    world.put_hall(("09:00", "09:30", 5))
    office = world.fake.catalog.catalog.offices[OFFICE]
    assert [(c.date, c.reason) for c in office.closures] == [(WEDNESDAY, "设备检修")]
    assert world.slot(day=WEDNESDAY)[2] and world.slot() == (5, 0, False)


def test_the_closure_preview_counts_what_closing_would_cancel(world: World) -> None:
    world.book()
    world.book(start="09:30")
    preview = closures.preview_closure(OFFICE, TUESDAY.isoformat(), MONDAY_9)
    assert (preview["bookings"], preview["slots"], preview["closed"], preview["working_day"]) == (2, 2, False, True)
    closures.close_day(ADMIN, OFFICE, TUESDAY.isoformat(), "设备检修", MONDAY_9, sleep=lambda _: None)
    after = closures.preview_closure(OFFICE, TUESDAY.isoformat(), MONDAY_9)
    assert (after["bookings"], after["slots"], after["closed"], after["reason"]) == (0, 0, True, "设备检修")


# ---------------------------------------------------------------- R6: what the release record saves, and when it does not


def test_the_release_without_its_records_of_released_days_keeps_booked_places(world: World) -> None:
    """A day that may be open is read and only its missing slots written: a place booked there stays."""
    world.book()
    world.fake.catalog.released.clear()
    again = release.release_office(OFFICE, [TUESDAY, WEDNESDAY], MONDAY_9)
    assert (again.conditional, again.unchanged) == (0, 4)
    assert world.slot() == (2, 1, False)
    assert set(world.fake.catalog.released_days(OFFICE, TUESDAY, WEDNESDAY)) == {TUESDAY, WEDNESDAY}


def test_a_day_whose_plan_changed_is_released_again(world: World) -> None:
    world.fake.catalog.mark_days_released(OFFICE, {TUESDAY: "another plan"})
    again = release.release_office(OFFICE, [TUESDAY], MONDAY_9)
    assert (again.written, again.unchanged) == (0, 2)  # read again: every slot was there
    assert world.fake.catalog.released_days(OFFICE, TUESDAY, TUESDAY)[TUESDAY] != "another plan"


def test_a_day_that_becomes_a_working_day_again_opens_at_the_next_noon(world: World) -> None:
    bundled, _ = calendar_years.calendar_year(2026, MONDAY_9.date())
    calendar_years.put_calendar(ADMIN, 2026, [*bundled["holidays"], TUESDAY.isoformat()], bundled["workdays"], MONDAY_9)
    result, created, _ = calendar_years.put_calendar(ADMIN, 2026, bundled["holidays"], bundled["workdays"], MONDAY_9)
    assert not created and result["opened_days"] == [TUESDAY.isoformat()]
    assert result["released_at"] == "2026-09-14T12:00:00+08:00"
    assert world.slot()[2]  # nobody can take its places the moment the administrator presses save
    release.release_booking_window(MONDAY_9.replace(hour=12))
    assert world.slot() == (2, 0, False)
