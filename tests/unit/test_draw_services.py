"""R23's service rules (fair release by lot) on the in-memory stores (store/memory/): no AWS, no clock
moves - each call is given its instant. Expected values are the SPEC's (R23 with R6, R8-R12, R16, R18),
written here; the algorithm itself is tests/unit/test_draw_rules.py's. What only DynamoDB shows - a
crash in the middle of a draw with its lease, the HTTP contract, the guard's condition in the booking
transaction - stays in tests/api/test_draws.py."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from itertools import count

import pytest

from hallbook.clock import SHANGHAI
from hallbook.domain import errors
from hallbook.services import bookings, draw_entries, draw_run, draws
from hallbook.services.bookings import BookingRequest
from hallbook.services.draw_entries import EntryRequest
from hallbook.services.tokens import Caller
from hallbook.store import readcache
from hallbook.store.base import GuardMoved
from hallbook.store.bookings import Booking, Subject
from hallbook.store.catalog import Catalog, DrawSetting
from hallbook.store.draws import Entry
from hallbook.store.guardians import Guardians
from hallbook.store.memory import MemoryStores
from hallbook.store.outbox import Message
from hallbook.store.stores import installed, stores
from tests.idnumbers import id_number
from tests.unit import builders
from tests.unit.builders import person

pytestmark = [pytest.mark.R23, pytest.mark.R9, pytest.mark.R11, pytest.mark.R12, pytest.mark.R18]

OFFICE, OTHER, SERVICE = "test-hall", "other-hall", "ID_RENEW"  # two halls of one district
NOON = datetime(2026, 9, 14, 12, 0, tzinfo=SHANGHAI)  # a Monday: its release opens DAY (14 days ahead)
ENTERING = NOON + timedelta(seconds=30)
CLOSES = NOON + timedelta(minutes=10)  # entry_minutes 10
DRAWN = CLOSES + timedelta(seconds=61)  # the draw runs once its close is SETTLE (60 s) past
DAY, EARLIER = date(2026, 9, 28), date(2026, 9, 24)  # DAY is drawn; EARLIER (opened before the setting) is not
DRAW_ID = f"shenzhen.{SERVICE}.{DAY}"
_numbers = count(300)


def _catalog() -> Catalog:
    """DAY's places: 2 + 2 at OFFICE, 1 at OTHER; ID_RENEW drawn in shenzhen from DAY on (10 minutes of entries)."""
    halls = [
        builders.hall(OFFICE, [SERVICE], {SERVICE: builders.slots(("09:00", "09:30", 2), ("09:30", "10:00", 2))}),
        builders.hall(OTHER, [SERVICE], {SERVICE: builders.slots(("09:00", "09:30", 1))}),
    ]
    built = builders.catalog([builders.service(SERVICE)], halls)
    return replace(built, draws={("shenzhen", SERVICE): DrawSetting("shenzhen", SERVICE, 10, DAY)})


@dataclass
class World:
    fake: MemoryStores

    def citizen(self, born: str = "19900101") -> Caller:
        n = next(_numbers)
        account = person(n, NOON, born=born, phone_prefix="137")
        self.fake.add_account(account)
        return Caller(account.account_id, "citizen", phone_verified=True)

    def id_of(self, caller: Caller) -> str:
        account = self.fake.accounts.get_account(caller.account_id)
        assert account is not None and account.id_number
        return account.id_number

    def suspend(self, caller: Caller) -> None:
        """R12: three no-shows within six months (the last on 2026-09-01): suspended until 2027-03-01."""
        subject = self.id_of(caller)
        no_shows = [date(2026, 4, 1), date(2026, 6, 1), date(2026, 9, 1)]
        self.fake.bookings.subjects[subject] = Subject(subject, no_shows=no_shows)

    def entry(self, made: Entry) -> Entry:
        """The entry as stored now."""
        stored = self.fake.draws.get_entry(made.draw_id, made.subject_id_number)
        assert stored is not None
        return stored

    def booked(self, start: str, office_id: str = OFFICE) -> int:
        slot = self.fake.bookings.get_slot(office_id, SERVICE, DAY, start)
        assert slot is not None
        return slot.booked

    def sms(self, entry: Entry, template: str) -> list[Message]:
        account = self.fake.accounts.get_account(entry.account_id)
        assert account is not None
        return [m for m in self.fake.bookings.outbox if m.phone == account.phone and m.template == template]

    def waiting(self, entry: Entry) -> list[str]:
        """The waitlist entries (R18) of the entry's subject: whole-day entries of its hall's DAY."""
        return [
            w.entry_id
            for w in self.fake.waitlist.waiting_entries(entry.office_id, SERVICE, DAY)
            if w.subject_id_number == entry.subject_id_number and w.start is None
        ]


@pytest.fixture
def world() -> Iterator[World]:
    """DAY drawn in shenzhen (10 minutes of entries from its noon release), EARLIER first-come; both released."""
    fake = MemoryStores(_catalog())
    fake.release(EARLIER, DAY)
    draws.forget_cached()
    with installed(fake.stores()), readcache.environment(readcache.ReadCaches()):
        yield World(fake)
    draws.forget_cached()


def enter(caller: Caller, key: str = "k1", now: datetime = ENTERING, **request: object) -> Entry:
    return draw_entries.enter(caller, EntryRequest(OFFICE, SERVICE, DAY.isoformat(), **request), key, now)[0]  # type: ignore[arg-type]


def book(caller: Caller, day: date = DAY, start: str = "09:00", now: datetime = DRAWN) -> Booking:
    body = {"office_id": OFFICE, "service_code": SERVICE, "date": day.isoformat(), "start": start}
    return bookings.book(caller, BookingRequest(**body, notice_acknowledged=True), None, now)[0]  # type: ignore[arg-type]


def refused(code: str, call, *args, **kwargs) -> errors.DomainError:
    with pytest.raises(errors.DomainError) as raised:
        call(*args, **kwargs)
    assert raised.value.code == code, raised.value.detail
    return raised.value


def draw_order(entries: list[Entry]) -> list[Entry]:
    """The SPEC's reproducible draw, from the seed published after it: SHA-256 of `<seed>\\n<entry id>`."""
    draw = stores().draws.get_draw(DRAW_ID)
    assert draw is not None and draw.state == "drawn"
    return sorted(entries, key=lambda e: hashlib.sha256(f"{draw.seed}\n{e.entry_id}".encode()).hexdigest())


# ---------------------------------------------------------------- DRAW_OPEN, DRAW_CLOSED


def test_a_drawn_day_is_not_first_come_from_its_noon_release_until_its_draw_is_done(world):
    citizen = world.citizen()
    refused("OUTSIDE_WINDOW", book, citizen, now=NOON - timedelta(seconds=1))  # R6: not released yet
    refused("DRAW_OPEN", book, citizen, now=ENTERING)
    assert book(citizen, day=EARLIER, now=ENTERING).date == EARLIER  # a day that is not drawn: first-come
    refused("DRAW_OPEN", book, world.citizen(), now=CLOSES + timedelta(seconds=30))  # closed, not drawn yet
    announced = draws.get_public(DRAW_ID)
    assert announced.state == "open" and (announced.opens_at, announced.closes_at) == (NOON, CLOSES)
    assert draws.places_of(announced, world.fake.catalog.catalog) == 5

    assert draw_run.run_draw(DRAW_ID, DRAWN).outcome == "drawn"  # nobody entered
    drawn = draws.get_public(DRAW_ID)
    assert drawn.state == "drawn" and hashlib.sha256(drawn.seed.encode()).hexdigest() == announced.seed_sha256
    assert book(world.citizen()).date == DAY  # the places left go first-come after the draw


def test_entries_are_taken_from_noon_to_the_close_for_a_drawn_day_only(world):
    citizen = world.citizen()
    refused("DRAW_CLOSED", enter, citizen, now=NOON - timedelta(seconds=1))
    refused("DRAW_CLOSED", enter, citizen, now=CLOSES)
    body = {"office_id": OFFICE, "service_code": SERVICE, "date": EARLIER.isoformat()}
    refused("DRAW_CLOSED", draw_entries.enter, citizen, EntryRequest(**body), "k", ENTERING)  # type: ignore[arg-type]
    entry = enter(citizen, now=NOON)
    assert (entry.status, entry.draw_id, entry.closes_at, entry.starts) == ("entered", DRAW_ID, CLOSES, None)
    assert entry.subject_id_number == world.id_of(citizen)
    assert draw_entries.list_entries(citizen) == [entry]
    assert world.fake.bookings.bookings == {} and world.booked("09:00") == 0  # an entry takes no place


def test_an_entry_names_up_to_three_distinct_slots_of_its_hall(world):
    citizen = world.citizen()
    refused("VALIDATION_ERROR", enter, citizen, starts=["09:00", "09:00"])
    refused("VALIDATION_ERROR", enter, citizen, starts=["09:00", "09:30", "10:00", "10:30"])
    refused("NO_SUCH_SLOT", enter, citizen, starts=["08:00"])
    assert world.fake.draws.entries == {}
    assert enter(citizen, starts=["09:30", "09:00"]).starts == ("09:30", "09:00")


def test_one_entry_per_subject_whoever_enters_it(world):
    citizen = world.citizen()
    first = enter(citizen, "k1")
    assert draw_entries.enter(citizen, EntryRequest(OFFICE, SERVICE, DAY.isoformat()), "k1", ENTERING) == (
        first,
        False,
    )  # a retry with its Idempotency-Key finds its entry
    refused("ALREADY_BOOKED", enter, citizen, "k2", starts=["09:30"])

    mother, father = world.citizen(), world.citizen()
    minor = id_number("440305", "20150101", "777")
    world.fake.link_guardian(mother.account_id, minor)
    world.fake.link_guardian(father.account_id, minor)
    assert enter(mother, subject_id_number=minor).subject_id_number == minor
    refused("ALREADY_BOOKED", enter, father, subject_id_number=minor)  # the minor has entered already
    assert len(world.fake.draws.entries) == 2


def test_an_entry_is_refused_like_a_booking_of_its_subject(world):
    """R9: a subject holding a booking of the service; R11/R12: a suspended subject."""
    holder, suspended = world.citizen(), world.citizen()
    book(holder, day=EARLIER, now=NOON - timedelta(hours=1))
    refused("ALREADY_BOOKED", enter, holder)
    world.suspend(suspended)
    refused("SUSPENDED", enter, suspended)
    assert world.fake.draws.entries == {}


# ---------------------------------------------------------------- the draw at the close


def test_the_winners_are_booked_and_told_the_losers_told_and_waitlisted_if_they_asked(world):
    """8 entries for OFFICE's 4 places: the first 4 of the seed's order win, one place each."""
    entries = [enter(world.citizen(), starts=None, waitlist=n % 2 == 0) for n in range(8)]
    result = draw_run.run_draw(DRAW_ID, DRAWN)
    order = draw_order(entries)
    asked = sum(1 for e in order[4:] if e.waitlist)
    assert (result.outcome, result.entries, result.winners, result.losers, result.waitlisted) == (
        "drawn",
        8,
        4,
        4,
        asked,
    )

    for rank, made in enumerate(order, start=1):
        entry = world.entry(made)
        assert entry.rank == rank
        if rank <= 4:
            booking = world.fake.bookings.bookings[entry.booking_id or ""]
            assert entry.status == "won" and booking.status == "booked" and booking.date == DAY
            assert booking.subject_id_number == entry.subject_id_number and booking.office_id == OFFICE
            assert SERVICE in world.fake.bookings.get_subject(entry.subject_id_number).active_services  # R9
            assert len(world.sms(entry, "draw_won")) == 1 and not world.sms(entry, "draw_lost")
        else:
            assert (entry.status, entry.reason, entry.booking_id) == ("lost", "no_place", None)
            assert len(world.sms(entry, "draw_lost")) == 1 and not world.sms(entry, "draw_won")
            assert world.waiting(entry) == ([entry.waitlist_id] if made.waitlist else [])
    assert len(world.fake.bookings.bookings) == 4  # each subject at most one place
    assert (world.booked("09:00"), world.booked("09:30"), world.booked("09:00", OTHER)) == (2, 2, 0)


def test_preferences_are_taken_in_order_then_any_hall_of_the_district(world):
    early = [enter(world.citizen(), starts=["09:00"]) for _ in range(3)]
    wide = enter(world.citizen(), starts=["09:00"], any_office=True)
    late = enter(world.citizen(), starts=["09:30", "09:00"])
    draw_run.run_draw(DRAW_ID, DRAWN)

    def place(made: Entry) -> tuple[str, str] | None:
        entry = world.entry(made)
        if entry.status != "won":
            return None
        booking = world.fake.bookings.bookings[entry.booking_id or ""]
        return booking.office_id, booking.start

    assert place(late) == (OFFICE, "09:30")  # its first choice, which only it asked for
    first_two = draw_order([*early, wide])[:2]  # OFFICE's 2 places at 09:00
    assert sorted(place(e) or () for e in first_two) == [(OFFICE, "09:00")] * 2
    assert place(wide) == ((OFFICE, "09:00") if wide in first_two else (OTHER, "09:00"))
    for made in early:
        if made not in first_two:
            assert (world.entry(made).status, world.entry(made).reason) == ("lost", "no_place")

    assert book(world.citizen(), start="09:30").start == "09:30"  # a place nobody drew: first-come
    refused("SLOT_FULL", book, world.citizen(), start="09:00")


def test_r8_to_r12_are_checked_again_at_the_allocation(world):
    """Entries that became ineligible after entering lose (`ineligible`) and their places go to others."""
    suspended, booked_meanwhile, fine = world.citizen(), world.citizen(), world.citizen()
    guardian, minor = world.citizen(), id_number("440305", "20160101", "888")
    world.fake.link_guardian(guardian.account_id, minor)
    entries = [enter(c) for c in (suspended, booked_meanwhile, fine)] + [enter(guardian, subject_id_number=minor)]

    world.suspend(suspended)  # R12
    book(booked_meanwhile, day=EARLIER, now=ENTERING + timedelta(seconds=1))  # R9: an active booking meanwhile
    world.fake.family.links[minor] = Guardians(minor)  # R2: the guardian link revoked

    result = draw_run.run_draw(DRAW_ID, DRAWN)
    assert (result.winners, result.losers) == (1, 3)
    frozen = stores().draws.get_draw(DRAW_ID).frozen
    assert frozen is not None and sorted(frozen["ineligible"]) == sorted(e.entry_id for e in entries if e != entries[2])
    assert world.entry(entries[2]).status == "won"
    for made in (entries[0], entries[1], entries[3]):
        assert (world.entry(made).status, world.entry(made).reason) == ("lost", "ineligible")
    assert [b.date for b in world.fake.bookings.bookings.values()].count(DAY) == 1


def test_the_draw_runs_once_its_close_is_settled_and_a_second_run_changes_nothing(world):
    entries = [enter(world.citizen(), waitlist=True) for _ in range(6)]
    assert draw_run.run_draw(DRAW_ID, CLOSES + timedelta(seconds=30)).outcome == "not_due"
    assert draw_run.run_due(CLOSES + timedelta(seconds=30)) == []
    assert [r.outcome for r in draw_run.run_due(DRAWN)] == ["drawn"]

    before = (dict(world.fake.bookings.bookings), list(world.fake.bookings.outbox), dict(world.fake.draws.entries))
    waiting = [world.waiting(e) for e in entries]
    again = draw_run.run_draw(DRAW_ID, DRAWN + timedelta(minutes=1))
    assert (again.outcome, again.entries, again.winners) == ("done", 6, 4)
    assert draw_run.run_due(DRAWN + timedelta(minutes=1)) == []
    after = (dict(world.fake.bookings.bookings), list(world.fake.bookings.outbox), dict(world.fake.draws.entries))
    assert after == before and [world.waiting(e) for e in entries] == waiting


def test_a_winners_booking_is_written_only_while_its_entry_is_entered(world):
    """The fake's won_guard keeps DynamoDB's condition: the entry `won` in the booking's write, once."""
    made = enter(world.citizen())
    guard = stores().draws.won_guard(made, "b-1", 1)
    booking = Booking(
        "b-1",
        "REF000001",
        made.account_id,
        made.subject_id_number,
        OFFICE,
        SERVICE,
        DAY,
        "09:00",
        "09:30",
        "booked",
        "",
    )
    message = Message("m-1", "draw_won", "13700000000", "text", DRAWN)
    ends = datetime(2026, 9, 28, 9, 30, tzinfo=SHANGHAI)
    stores().bookings.book_slot(booking, message, DRAWN, ends, guard=guard)
    assert (world.entry(made).status, world.entry(made).booking_id, world.entry(made).rank) == ("won", "b-1", 1)

    other = replace(booking, booking_id="b-2", subject_id_number=id_number("440305", "19800101", "123"))
    with pytest.raises(GuardMoved):
        stores().bookings.book_slot(other, message, DRAWN, ends, guard=guard)
    assert list(world.fake.bookings.bookings) == ["b-1"] and world.booked("09:00") == 1
