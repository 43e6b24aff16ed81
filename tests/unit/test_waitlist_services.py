"""The waitlist's rules (R18) and the delayed return of cancelled places (R19) on the in-memory stores
(store/memory/): no AWS, no clock moves - each call is given its instant, and the minute's timer run is
`run_timers(at)`. Expected values are the SPEC's (R18, R19 with R7, R9, R10, R11 and R16), written
here; what only DynamoDB can show (its conditions, transactions, races, the routes) stays in
tests/api/test_waitlist.py and tests/races/test_waitlist_races.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import count

import pytest

from hallbook.clock import SHANGHAI
from hallbook.domain import errors
from hallbook.domain.sanctions import month_key
from hallbook.domain.waitlist import DelayRange
from hallbook.services import bookings, waitlist
from hallbook.services.bookings import BookingRequest
from hallbook.services.tokens import Caller
from hallbook.services.waitlist import JoinRequest, offers
from hallbook.store import readcache
from hallbook.store.bookings import Booking, Subject
from hallbook.store.catalog import Catalog
from hallbook.store.memory import MemoryStores
from hallbook.store.stores import installed
from hallbook.store.waitlist import Entry, Place
from tests.idnumbers import id_number
from tests.unit.builders import catalog, hall, person, service, slots

pytestmark = [pytest.mark.R18, pytest.mark.R19]

OFFICE, SERVICE, CHILD_SERVICE, WALK_IN = "test-hall", "ID_RENEW", "HR_BIRTH", "WALK"
MONDAY_9 = datetime(2026, 9, 14, 9, 0, tzinfo=SHANGHAI)
TUESDAY, WEDNESDAY = date(2026, 9, 15), date(2026, 9, 16)
CUT_OFF = datetime(2026, 9, 14, 18, 0, tzinfo=SHANGHAI)  # R10: 18:00 the day before TUESDAY
HOLD = timedelta(minutes=20)  # the configured hold time of an offer (Settings.waitlist_hold_minutes)
_numbers = count(100)


def _catalog(capacity: int) -> Catalog:
    timetable = {
        SERVICE: slots(("09:00", "09:30", capacity), ("09:30", "10:00", capacity)),
        CHILD_SERVICE: slots(("10:00", "11:00", 1)),
    }
    services = [service(SERVICE), service(CHILD_SERVICE, subject="minor"), service(WALK_IN, required=False)]
    return catalog(services, [hall(OFFICE, [SERVICE, CHILD_SERVICE, WALK_IN], timetable)])


@dataclass
class World:
    fake: MemoryStores

    def citizen(self, phone_verified: bool = True, born: str = "19900101") -> Caller:
        n = next(_numbers)
        account = person(n, MONDAY_9, born=born, phone_prefix="139", phone_verified=phone_verified)
        self.fake.add_account(account)
        return Caller(account.account_id, "citizen", phone_verified=phone_verified)

    def citizens(self, n: int) -> list[Caller]:
        return [self.citizen() for _ in range(n)]

    def id_of(self, caller: Caller) -> str:
        account = self.fake.accounts.get_account(caller.account_id)
        assert account is not None and account.id_number
        return account.id_number

    def locked(self, caller: Caller) -> bool:
        """R9: the subject holds its one active booking or entry of SERVICE."""
        return SERVICE in self.fake.bookings.get_subject(self.id_of(caller)).active_services

    def slot(self, start: str = "09:00", day: date = TUESDAY) -> tuple[int, int]:
        """(booked, held) of a slot: `booked` counts bookings and places held or delayed (R7)."""
        state = self.fake.bookings.get_slot(OFFICE, SERVICE, day, start)
        assert state is not None
        return state.booked, state.held

    def status(self, entry: Entry) -> str:
        stored = self.fake.waitlist.get_entry(entry.entry_id)
        assert stored is not None
        return stored.status

    def places(self) -> list[Place]:
        return self.fake.waitlist.places_of_day(OFFICE, SERVICE, TUESDAY)

    def sms(self, caller: Caller, template: str) -> list[str]:
        account = self.fake.accounts.get_account(caller.account_id)
        assert account is not None
        return [m.text for m in self.fake.bookings.outbox if m.phone == account.phone and m.template == template]

    def cancel(self, caller: Caller, booking: Booking, now: datetime = MONDAY_9) -> Place:
        """A citizen's cancellation: its place stays taken as a delayed place (R19)."""
        bookings.cancel(caller, booking.booking_id, now)
        (place,) = [p for p in self.places() if p.place_id == offers.delayed_place(booking, now).place_id]
        return place


@pytest.fixture
def world() -> Iterator[World]:
    """A hall whose ID_RENEW slots on TUESDAY (09:00, 09:30) take 2 each, released; it is MONDAY_9."""
    fake = MemoryStores(_catalog(capacity=2))
    fake.release(TUESDAY, WEDNESDAY)
    with installed(fake.stores()), readcache.environment(readcache.ReadCaches()):
        yield World(fake)


def book(caller: Caller, start: str = "09:00", day: date = TUESDAY, now: datetime = MONDAY_9, **kw: str) -> Booking:
    body = {"office_id": OFFICE, "service_code": SERVICE, "date": day.isoformat(), "start": start, **kw}
    return bookings.book(caller, BookingRequest(**body, notice_acknowledged=True), None, now)[0]  # type: ignore[arg-type]


def join(caller: Caller, start: str | None = "09:00", now: datetime = MONDAY_9, **kw: str) -> Entry:
    return waitlist.join(caller, JoinRequest(OFFICE, kw.pop("service", SERVICE), TUESDAY.isoformat(), start, **kw), now)


def full(world: World, start: str = "09:00") -> list[tuple[Caller, Booking]]:
    holders = world.citizens(2)
    return [(h, book(h, start)) for h in holders]


def refused(code: str, call, *args, **kwargs) -> errors.DomainError:
    with pytest.raises(errors.DomainError) as raised:
        call(*args, **kwargs)
    assert raised.value.code == code, raised.value.detail
    return raised.value


# ---------------------------------------------------------------- joining


def test_joining_is_refused_like_a_booking_and_while_a_place_is_free(world):
    me = world.citizen()
    refused("INVALID_STATE", join, me)  # 09:00 has free places: book one instead
    full(world)
    refused("INVALID_STATE", join, me, start=None)  # the day is not full: 09:30 is free
    refused("VALIDATION_ERROR", join, me, start="9am")
    refused("NO_SUCH_SLOT", join, me, start="07:00")  # R4: not a slot of the timetable
    refused("WALK_IN_ONLY", join, me, service=WALK_IN)  # R3
    refused("OUTSIDE_WINDOW", join, me, now=CUT_OFF)  # R10: the waitlist closes at the cut-off
    refused("PHONE_NOT_VERIFIED", join, world.citizen(phone_verified=False))  # R1
    suspended = world.citizen()  # R11: three cancellations this month
    world.fake.bookings.subjects[world.id_of(suspended)] = Subject(
        world.id_of(suspended), cancel_month=month_key(MONDAY_9.date()), cancel_count=3
    )
    refused("SUSPENDED", join, suspended)
    assert world.fake.waitlist.entries == {} and not world.locked(me) and not world.locked(suspended)


def test_an_entry_is_the_subjects_active_booking_until_it_is_left(world):
    """R9: a waiting entry holds the subject's one lock on the service, as a booking does."""
    holder_elsewhere = world.citizen()
    book(holder_elsewhere, day=WEDNESDAY)
    full(world)
    full(world, "09:30")
    refused("ALREADY_BOOKED", join, holder_elsewhere)
    me = world.citizen()
    entry = join(me)
    assert entry.status == "waiting" and world.locked(me)
    assert waitlist.list_entries(me) == [entry]
    assert waitlist.list_entries(holder_elsewhere) == []
    refused("ALREADY_BOOKED", join, me, start="09:30")
    refused("ALREADY_BOOKED", book, me, day=WEDNESDAY)
    refused("NOT_FOUND", waitlist.leave, holder_elsewhere, entry.entry_id, MONDAY_9)  # not theirs: as unknown
    left = waitlist.leave(me, entry.entry_id, MONDAY_9)
    assert left.status == "left" and not world.locked(me)  # leaving is not a cancellation (R11)
    assert world.fake.bookings.get_subject(world.id_of(me)).cancel_count == 0
    refused("INVALID_STATE", waitlist.leave, me, entry.entry_id, MONDAY_9)
    assert book(me, day=WEDNESDAY).status == "booked"


def test_a_stranger_naming_someones_child_cannot_wait_for_them(world):
    """R2: only an active guardian link lets an account act for a minor."""
    guardian, stranger = world.citizen(), world.citizen()
    minor = id_number("440305", "20250101", "881")
    world.fake.link_guardian(guardian.account_id, minor)
    book(guardian, start="10:00", service_code=CHILD_SERVICE, subject_id_number=minor)
    refused(
        "FORBIDDEN",
        join,
        stranger,
        start="10:00",
        service=CHILD_SERVICE,
        subject_id_number=id_number("440305", "20250101", "872"),
    )
    assert world.fake.waitlist.entries == {}
    assert world.fake.bookings.get_subject(id_number("440305", "20250101", "872")).active_services == set()


# ---------------------------------------------------------------- a cancelled place (R19), offered in join order (R18)


def test_a_cancelled_place_is_offered_only_at_its_return_instant_to_the_first_who_waits_for_it(world):
    (holder, made), _ = full(world)
    full(world, "09:30")
    first, second, whole_day = world.citizens(3)
    e1, e2 = join(first), join(second)
    e3 = join(whole_day, start=None)
    place = world.cancel(holder, made)
    assert place.state == "delayed" and timedelta(minutes=5) <= place.return_at - MONDAY_9 <= timedelta(minutes=30)
    assert world.slot() == (2, 1)  # R18: a held or delayed place is never free
    refused("SLOT_FULL", book, world.citizen(), now=MONDAY_9 + timedelta(minutes=1))
    assert waitlist.run_timers(place.return_at - timedelta(seconds=1)).offered == 0
    assert [world.status(e) for e in (e1, e2, e3)] == ["waiting"] * 3  # R19: nobody gets it earlier
    result = waitlist.run_timers(place.return_at)
    assert (result.offered, result.returned) == (1, 0)
    offer = world.fake.waitlist.get_entry(e1.entry_id)
    assert (
        offer is not None and offer.status == "offered" and (offer.offer_start, offer.offer_end) == ("09:00", "09:30")
    )
    assert offer.offer_until == place.return_at + HOLD
    assert [world.status(e) for e in (e2, e3)] == ["waiting", "waiting"]
    assert world.slot() == (2, 1)
    (text,) = world.sms(first, "waitlist_offer")  # R16: the offer's SMS says until when
    assert "候补" in text and (place.return_at + HOLD).strftime("%H:%M") in text


def test_a_whole_day_entry_is_offered_a_place_of_any_slot(world):
    full(world)
    (holder, made), _ = full(world, "09:30")
    waiter = world.citizen()
    entry = join(waiter, start=None)
    place = world.cancel(holder, made)
    waitlist.run_timers(place.return_at)
    offer = world.fake.waitlist.get_entry(entry.entry_id)
    assert offer is not None and offer.status == "offered" and offer.offer_start == "09:30"


def test_a_place_nobody_waits_for_returns_to_the_pool_within_the_delay_and_never_at_once(world):
    (holder, made), _ = full(world)
    rival = world.citizen()
    place = world.cancel(holder, made)
    refused("SLOT_FULL", book, rival, now=MONDAY_9 + timedelta(minutes=1))
    waitlist.run_timers(place.return_at - timedelta(seconds=1))
    assert world.slot() == (2, 1)
    assert waitlist.run_timers(place.return_at).returned == 1
    assert world.slot() == (1, 0) and world.places() == []
    with readcache.environment(readcache.ReadCaches()):  # a process that has not seen the slot full a moment ago
        assert book(rival, now=place.return_at + timedelta(seconds=5)).status == "booked"


def test_a_delay_that_would_pass_the_cut_off_returns_the_place_at_once(world):
    (holder, made), _ = full(world)
    bookings.cancel(holder, made.booking_id, datetime(2026, 9, 14, 17, 56, tzinfo=SHANGHAI))  # + 5 min > 18:00
    assert world.slot() == (1, 0) and world.places() == []


def test_the_delays_are_drawn_uniformly_from_the_configured_range():
    draws = [offers.delay_range().draw() for _ in range(400)]
    assert all(timedelta(minutes=5) <= d <= timedelta(minutes=30) for d in draws)
    assert min(draws) < timedelta(minutes=8) and max(draws) > timedelta(minutes=27)  # spread, not one value
    assert len(set(draws)) > 300
    with pytest.raises(ValueError):
        DelayRange(30, 5)


def test_a_place_the_hall_frees_is_not_delayed_and_goes_to_the_first_waiting(world):
    """R18: a hall's cancellation (or a capacity raise) offers the place at once; only a citizen's is delayed."""
    (_, made), _ = full(world)
    first, second = world.citizens(2)
    e1, e2 = join(first), join(second)
    bookings.cancel_booking(made, MONDAY_9, by="hall")
    assert (world.status(e1), world.status(e2)) == ("offered", "waiting")
    (place,) = world.places()
    assert place.state == "offered" and place.origin == "freed" and world.slot() == (2, 1)


# ---------------------------------------------------------------- an offer: accepted, left, lapsed


def offered(world: World) -> tuple[Caller, Entry, Place, Caller, Entry]:
    """TUESDAY 09:00 full, two waiting, the first holding the place a cancellation freed."""
    (holder, made), _ = full(world)
    first, second = world.citizens(2)
    e1, e2 = join(first), join(second)
    place = world.cancel(holder, made)
    waitlist.run_timers(place.return_at)
    offer = world.fake.waitlist.get_entry(e1.entry_id)
    assert offer is not None and offer.status == "offered"
    return first, offer, place, second, e2


def test_an_accepted_offer_becomes_a_booking_once(world):
    first, offer, place, second, e2 = offered(world)
    at = place.return_at + timedelta(minutes=1)
    refused("NOT_FOUND", waitlist.accept, second, offer.entry_id, True, at)  # nobody else's to accept
    refused("NOTICE_NOT_ACKNOWLEDGED", waitlist.accept, first, offer.entry_id, False, at)  # R3
    booking, created = waitlist.accept(first, offer.entry_id, True, at)
    assert created and booking.status == "booked" and (booking.start, booking.end) == ("09:00", "09:30")
    assert booking.subject_id_number == world.id_of(first) and world.locked(first)
    assert world.status(offer) == "accepted" and world.status(e2) == "waiting"
    assert world.slot() == (2, 0) and world.places() == []  # the held place became the booking (R7)
    again, created = waitlist.accept(first, offer.entry_id, True, at + timedelta(minutes=1))
    assert again == booking and not created
    refused("INVALID_STATE", waitlist.leave, first, offer.entry_id, at)
    assert [t for t in world.sms(first, "booked") if booking.reference in t]  # R16


def test_nothing_is_accepted_before_an_offer_or_after_its_hold_time(world):
    first, offer, place, second, e2 = offered(world)
    refused("INVALID_STATE", waitlist.accept, second, e2.entry_id, True, place.return_at)  # nothing offered yet
    assert offer.offer_until is not None
    refused("INVALID_STATE", waitlist.accept, first, offer.entry_id, True, offer.offer_until)
    assert world.status(offer) == "offered"  # until the timers pass it on


def test_a_subject_suspended_since_joining_cannot_accept(world):
    """R18: every rule of R8-R12 applies when the offer is accepted - R11's suspension included. (The
    refusal's code is INVALID_STATE today, as on DynamoDB: the store reads a held lock before the
    suspension; SUSPENDED would say more.)"""
    first, offer, place, _, _ = offered(world)
    world.fake.bookings.subjects[world.id_of(first)] = Subject(
        world.id_of(first), {SERVICE}, cancel_month=month_key(MONDAY_9.date()), cancel_count=3
    )
    with pytest.raises(errors.DomainError):
        waitlist.accept(first, offer.entry_id, True, place.return_at + timedelta(minutes=1))
    assert world.status(offer) == "offered" and world.slot() == (2, 1)
    assert [b for b in world.fake.bookings.bookings.values() if b.account_id == first.account_id] == []


def test_leaving_with_an_offer_declines_it_and_the_place_passes_on_after_a_fresh_delay(world):
    first, offer, place, second, e2 = offered(world)
    at = place.return_at + timedelta(minutes=2)
    assert waitlist.leave(first, offer.entry_id, at).status == "declined"
    assert not world.locked(first) and world.status(e2) == "waiting"  # R19: delayed again, not at once
    (again,) = world.places()
    assert again.state == "delayed" and timedelta(minutes=5) <= again.return_at - at <= timedelta(minutes=30)
    waitlist.run_timers(again.return_at)
    assert world.status(e2) == "offered"
    assert waitlist.leave(second, e2.entry_id, again.return_at).status == "declined"
    (last,) = world.places()  # nobody left waiting: a fresh delay, then the pool
    assert last.state == "delayed" and world.slot() == (2, 1)
    waitlist.run_timers(last.return_at)
    assert world.slot() == (1, 0) and world.places() == []


def test_an_offer_lapses_after_its_hold_time_and_the_place_goes_on_after_a_fresh_delay(world):
    first, offer, place, second, e2 = offered(world)
    assert offer.offer_until == place.return_at + HOLD
    assert waitlist.run_timers(offer.offer_until - timedelta(seconds=1)).timed_out == 0
    assert waitlist.run_timers(offer.offer_until).timed_out == 1
    assert world.status(offer) == "timed_out" and not world.locked(first)
    (text,) = world.sms(first, "waitlist_timed_out")  # R16
    assert offer.offer_until.strftime("%H:%M") in text
    (again,) = world.places()
    assert again.state == "delayed" and again.return_at - offer.offer_until >= timedelta(minutes=5)
    assert world.status(e2) == "waiting"
    waitlist.run_timers(again.return_at)
    assert world.status(e2) == "offered" and world.slot() == (2, 1)


# ---------------------------------------------------------------- entries that end


def test_waiting_entries_end_at_the_cut_off_with_an_sms(world):
    full(world)
    waiter = world.citizen()
    entry = join(waiter)
    assert waitlist.run_timers(CUT_OFF - timedelta(seconds=1)).ended == 0
    assert waitlist.run_timers(CUT_OFF).ended == 1
    assert world.status(entry) == "ended" and not world.locked(waiter)
    assert [t for t in world.sms(waiter, "waitlist_ended") if "候补已于取消截止时间结束" in t]
    assert waitlist.run_timers(CUT_OFF + timedelta(minutes=1)).ended == 0  # once


@pytest.mark.parametrize("minutes, offered_until", [(10, CUT_OFF), (27, None)])
def test_an_offer_is_never_held_past_the_cut_off_nor_made_too_short_to_use(world, monkeypatch, minutes, offered_until):
    """A place returning at 17:40 is held until the cut-off (18:00), not for the whole hold time; one
    returning at 17:57 is not offered (3 minutes are of no use) and goes to the pool."""
    monkeypatch.setattr(offers, "delay_range", lambda: DelayRange(minutes, minutes))
    (holder, made), _ = full(world)
    entry = join(world.citizen())
    place = world.cancel(holder, made, now=datetime(2026, 9, 14, 17, 30, tzinfo=SHANGHAI))
    assert place.return_at == datetime(2026, 9, 14, 17, 30 + minutes, tzinfo=SHANGHAI)
    waitlist.run_timers(place.return_at)
    stored = world.fake.waitlist.get_entry(entry.entry_id)
    assert stored is not None and stored.offer_until == offered_until
    assert world.status(entry) == ("offered" if offered_until else "waiting")
    assert world.slot() == ((2, 1) if offered_until else (1, 0))


def test_a_closed_day_ends_its_offers_and_entries_and_frees_its_places(world):
    first, offer, place, second, e2 = offered(world)
    at = place.return_at + timedelta(minutes=1)
    assert waitlist.close_day(OFFICE, [SERVICE], TUESDAY, "停电检修", at) == 2
    assert (world.status(offer), world.status(e2)) == ("ended", "ended")
    assert not world.locked(first) and not world.locked(second)
    assert world.places() == [] and world.slot() == (1, 0)  # the held place is gone, the booking stays
    assert world.sms(first, "waitlist_closed") and world.sms(second, "waitlist_closed")


def test_a_reclaimed_subjects_entries_end_and_an_offer_passes_on(world):
    """R1 reclaim: the entries an account made for a subject it no longer holds end."""
    first, offer, place, second, e2 = offered(world)
    at = place.return_at + timedelta(minutes=1)
    assert waitlist.end_entries_for(first.account_id, world.id_of(first), at) == 1
    assert world.status(offer) == "ended" and not world.locked(first)
    assert world.places()[0].state == "delayed"  # passed on after a fresh delay (R19)
    assert waitlist.end_entries_for(second.account_id, world.id_of(second), at) == 1
    assert world.status(e2) == "ended"


# ---------------------------------------------------------------- many waiting


def test_fifty_waiting_five_cancellations_five_offers_in_order_two_time_out_three_accept(world, monkeypatch):
    """The timers run every minute (as the schedule does); every delay is 5-10 minutes, so each offer
    is made within the hold of the one before."""
    monkeypatch.setattr(offers, "delay_range", lambda: DelayRange(5, 10))
    world.fake = fake = MemoryStores(_catalog(capacity=5))
    fake.release(TUESDAY)
    clock = [MONDAY_9]

    def run_until(at: datetime) -> None:
        while clock[0] + timedelta(minutes=1) <= at:
            clock[0] += timedelta(minutes=1)
            waitlist.run_timers(clock[0])

    with installed(fake.stores()):
        holders, waiting = world.citizens(5), world.citizens(50)
        made = [book(h) for h in holders]
        entries = [join(w) for w in waiting]
        assert [e.status for e in entries] == ["waiting"] * 50
        for holder, booking in zip(holders, made):
            bookings.cancel(holder, booking.booking_id, MONDAY_9)
        assert world.slot() == (5, 5)
        returns = sorted(p.return_at for p in world.places() if p.return_at)
        assert len(returns) == 5 and returns[0] >= MONDAY_9 + timedelta(minutes=5)
        run_until(returns[0] - timedelta(seconds=1))
        assert [world.status(e) for e in entries] == ["waiting"] * 50  # R19: nobody before its return
        run_until(returns[-1] + timedelta(seconds=61))
        assert [i for i, e in enumerate(entries) if world.status(e) == "offered"] == [0, 1, 2, 3, 4]  # join order
        assert world.slot() == (5, 5)
        offer = fake.waitlist.get_entry(entries[0].entry_id)
        assert offer is not None and offer.offer_until is not None
        assert returns[0] <= offer.offer_until - HOLD <= returns[0] + timedelta(seconds=60)  # the next minute's run
        assert [t for t in world.sms(waiting[0], "waitlist_offer") if offer.offer_until.strftime("%H:%M") in t]

        for i in (2, 3, 4):
            booking, created = waitlist.accept(waiting[i], entries[i].entry_id, True, clock[0])
            assert created and booking.status == "booked" and booking.start == "09:00"
        assert world.slot() == (5, 2)

        run_until(clock[0] + timedelta(minutes=25))  # the two other offers time out and are delayed again
        assert [world.status(e) for e in entries[:3]] == ["timed_out", "timed_out", "accepted"]
        run_until(clock[0] + timedelta(minutes=11))  # their fresh delays have passed: the next two are offered
        assert [world.status(e) for e in entries[:8]] == [
            "timed_out",
            "timed_out",
            "accepted",
            "accepted",
            "accepted",
            "offered",
            "offered",
            "waiting",
        ]
        assert all(world.status(e) == "waiting" for e in entries[7:])
        assert world.slot() == (5, 2)  # three bookings and two places held (R7)
        assert [world.locked(w) for w in waiting] == [False, False] + [True] * 48  # R9: one each
        refused("INVALID_STATE", waitlist.accept, waiting[0], entries[0].entry_id, True, clock[0])
