"""The hall's services (check-in, the queue, the counter, the board) on the in-memory stores
(store/memory/): no AWS. Expected values are the SPEC's (R14 check-in window, R15 call order, R15a at
the counter, R13's place in the queue), written here; the HTTP contract, the guard (another hall's
clerk), DynamoDB's conditions and the races stay in tests/api and tests/races."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from itertools import count
from threading import Barrier

import pytest

from hallbook.clock import SHANGHAI
from hallbook.domain import errors
from hallbook.domain.reference import new_reference
from hallbook.services import audit, board, checkin, counters, tickets
from hallbook.services.tokens import Caller
from hallbook.store.accounts import Account
from hallbook.store.bookings import Booking
from hallbook.store.catalog import Catalog
from hallbook.store.guardians import ACTIVE, Link
from hallbook.store.memory import MemoryStores
from hallbook.store.outbox import Message
from hallbook.store.stores import installed
from hallbook.store.tickets import Ticket
from tests.idnumbers import id_number
from tests.unit.builders import catalog, hall, person, service, slots

pytestmark = [pytest.mark.R13, pytest.mark.R14, pytest.mark.R15, pytest.mark.R15a]

OFFICE, OTHER, BOOK_FIRST = "test-hall", "other-hall", "book-first-hall"
SERVICE, CHILD_SERVICE, WALK_IN, NOT_HERE = "ID_RENEW", "HR_BIRTH", "WALK", "RP_APPLY"
DAY = date(2026, 9, 15)  # a Tuesday
BOOKED_AT = datetime(2026, 9, 14, 9, 0, tzinfo=SHANGHAI)
_numbers = count(100)


def at(hhmm: str, day: date = DAY) -> datetime:
    return datetime.combine(day, datetime.strptime(hhmm, "%H:%M").time(), SHANGHAI)


NINE = at("09:00")


def _catalog() -> Catalog:
    timetable = {
        SERVICE: slots(("09:00", "09:30", 5), ("09:30", "10:00", 5)),
        CHILD_SERVICE: slots(("10:00", "11:00", 5)),
    }
    services = [service(SERVICE), service(CHILD_SERVICE, subject="minor"), service(WALK_IN, False), service(NOT_HERE)]
    offered = [SERVICE, CHILD_SERVICE, WALK_IN]
    return catalog(
        services,
        [
            hall(OFFICE, offered, timetable, name=OFFICE, name_en=OFFICE),
            hall(OTHER, offered, timetable, name=OTHER, name_en=OTHER),
            hall(BOOK_FIRST, offered, timetable, mode="book_first", name=BOOK_FIRST, name_en=BOOK_FIRST),
        ],
    )


@dataclass
class World:
    fake: MemoryStores
    audited: list[tuple[str, str]]  # (action, outcome)

    def citizen(self, name: str = "李四", born: str = "19900101") -> Account:
        n = next(_numbers)
        account = person(n, BOOKED_AT, born=born, name=name, identity_verified=False)
        return self.fake.add_account(account)

    def book(
        self,
        account: Account,
        start: str = "09:00",
        service: str = SERVICE,
        subject: str | None = None,
        made_at: datetime = BOOKED_AT,
        office: str = OFFICE,
        day: date = DAY,
    ) -> Booking:
        """A `booked` booking, as the booking services leave it (their rules: test_booking_services)."""
        slot = self.fake.bookings.get_slot(office, service, day, start)
        assert slot is not None
        n = next(_numbers)
        booking = Booking(
            booking_id=f"bk-{n}",
            reference=new_reference(),
            account_id=account.account_id,
            subject_id_number=subject or account.id_number or "",
            office_id=office,
            service_code=service,
            date=day,
            start=start,
            end=slot.end,
            status="booked",
            created_at=made_at.isoformat(),
        )
        sms = Message(f"m-{n}", "booked", account.phone or "", booking.reference, made_at)
        self.fake.bookings.book_slot(booking, sms, made_at, at(slot.end, day))
        return booking

    def booking(self, booking: Booking) -> Booking:
        found = self.fake.bookings.get_booking(booking.booking_id)
        assert found is not None
        return found

    def ticket(self, ticket_id: str, office: str = OFFICE) -> Ticket:
        found = self.fake.tickets.get_ticket(office, DAY, ticket_id)
        assert found is not None
        return found

    def link_guardian(self, guardian: Account, minor_id_number: str) -> None:
        links = self.fake.family.get(minor_id_number)
        self.fake.family.links[minor_id_number] = links.with_link(Link(guardian.account_id, ACTIVE, "staff", ""))


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """Three halls (two `priority`, one `book_first`) whose slots of DAY are released; the audit
    trail (its own store, tested on the embedded AWS) is recorded here."""
    fake = MemoryStores(_catalog())
    fake.release(DAY, DAY + timedelta(days=1))
    audited: list[tuple[str, str]] = []
    monkeypatch.setattr(
        audit, "record", lambda caller, action, target, now, **f: audited.append((action, f.get("outcome", "ok")))
    )
    with installed(fake.stores()):
        yield World(fake, audited)


CLERK = Caller("clerk-1", "staff", office_id=OFFICE)
STATUS = {"VALIDATION_ERROR": 422, "NOT_FOUND": 404, "QUEUE_EMPTY": 404}  # any other refusal here is 409


def refused(code: str, call, *args, **kwargs) -> errors.DomainError:
    with pytest.raises(errors.DomainError) as raised:
        call(*args, **kwargs)
    assert raised.value.code == code, raised.value.detail
    assert raised.value.status == STATUS.get(code, 409)
    return raised.value


def walk_in(now: datetime = NINE, office: str = OFFICE, service: str = WALK_IN) -> Ticket:
    return tickets.walk_in(office, service, now)


def call(counter: str = "1", now: datetime = NINE, office: str = OFFICE) -> Ticket:
    return tickets.call_next(office, counter, now)


def waiting_numbers(now: datetime = NINE) -> list[str]:
    return [w["number"] for w in board.board(OFFICE, now)["waiting"]]


# ---------------------------------------------------------------- R14: check-in


@pytest.mark.parametrize(
    "when, opens",
    [("08:29", False), ("08:30", True), ("09:30", True), ("09:31", False)],  # slot 09:00-09:30: -30 min to its end
)
def test_check_in_opens_30_minutes_before_the_slot_and_closes_at_its_end(world, when, opens):
    booking = world.book(world.citizen())
    if not opens:
        error = refused("CHECK_IN_CLOSED", checkin.check_in, OFFICE, booking.reference, None, at(when))
        assert "08:30-09:30" in error.detail
        assert world.booking(booking).status == "booked" and world.fake.tickets.tickets_of(OFFICE, DAY) == []
        return
    done = checkin.check_in(OFFICE, booking.reference, None, at(when))
    assert (done.ticket.number, done.ticket.kind, done.ticket.status) == ("A001", "booking", "waiting")
    assert done.ticket.booking_id == booking.booking_id and done.booking.status == "checked_in"
    assert world.booking(booking).status == "checked_in" and world.booking(booking).ticket_id == done.ticket.ticket_id


def test_check_in_only_on_the_day_of_the_booking(world):
    booking = world.book(world.citizen(), day=DAY + timedelta(days=1))
    error = refused("CHECK_IN_CLOSED", checkin.check_in, OFFICE, booking.reference, None, at("09:00"))
    assert "2026-09-16" in error.detail


def test_check_in_by_reference_forgiving_once_only_and_at_its_own_hall_only(world):
    booking = world.book(world.citizen())
    spoken = booking.reference.replace("-", " ").lower()
    error = refused("NOT_FOUND", checkin.check_in, OTHER, booking.reference, None, at("08:45"))
    assert OFFICE not in error.detail and DAY.isoformat() not in error.detail  # as unknown: nothing of it leaks
    assert checkin.check_in(OFFICE, spoken, None, at("08:45")).ticket.number == "A001"
    refused("INVALID_STATE", checkin.check_in, OFFICE, booking.reference, None, at("08:46"))  # once
    refused("NOT_FOUND", checkin.check_in, OFFICE, "ZZZZ-ZZZZ", None, at("08:46"))
    refused("VALIDATION_ERROR", checkin.check_in, OFFICE, "nope", None, at("08:46"))
    refused("VALIDATION_ERROR", checkin.check_in, OFFICE, booking.reference, "440305199001011234", at("08:46"))
    refused("VALIDATION_ERROR", checkin.check_in, OFFICE, None, None, at("08:46"))
    assert len(world.fake.tickets.tickets_of(OFFICE, DAY)) == 1


def test_a_checked_in_booking_releases_the_subjects_lock_and_a_cancelled_or_no_show_one_cannot_check_in(world):
    citizen = world.citizen()
    booking = world.book(citizen)
    assert SERVICE in world.fake.bookings.get_subject(booking.subject_id_number).active_services
    checkin.check_in(OFFICE, booking.reference, None, at("09:00"))
    assert SERVICE not in world.fake.bookings.get_subject(booking.subject_id_number).active_services  # R9
    other = world.book(world.citizen(), start="09:30")
    world.fake.bookings.bookings[other.booking_id] = replace(other, status="cancelled")
    refused("INVALID_STATE", checkin.check_in, OFFICE, other.reference, None, at("09:10"))
    late = world.book(world.citizen(), start="09:30")
    world.fake.bookings.bookings[late.booking_id] = replace(late, status="no_show")
    refused("CHECK_IN_CLOSED", checkin.check_in, OFFICE, late.reference, None, at("09:10"))  # R12: a late booking


def test_check_in_by_id_number_of_the_subject_or_of_the_guardian_who_booked(world):
    guardian = world.citizen(name="王小明")
    child = id_number("440305", "20200301", "123")
    world.link_guardian(guardian, child)
    own = world.book(guardian, start="09:00")
    minor = world.book(guardian, start="10:00", service=CHILD_SERVICE, subject=child)
    done = checkin.check_in(OFFICE, None, guardian.id_number, at("08:40"))  # only the 09:00 one is open
    assert done.booking.booking_id == own.booking_id
    masked = guardian.id_number[:3] + "*" * 11 + guardian.id_number[-4:]
    assert done.identity == checkin.Identity("王*明", masked, None, "2026-09-15", "09:00", "09:30")  # R15a
    done = checkin.check_in(OFFICE, None, guardian.id_number, at("09:45"))  # the minor's, by the guardian's number
    assert done.booking.booking_id == minor.booking_id and done.ticket.number == "A002"
    assert done.identity is not None and (done.identity.name, done.identity.booked_by) == (None, "王*明")
    assert done.identity.id_number == child[:3] + "*" * 11 + child[-4:]  # R15a: masked, for the ID card
    refused("INVALID_STATE", checkin.check_in, OFFICE, None, child, at("09:46"))  # the minor's own number finds it
    refused("NOT_FOUND", checkin.check_in, OFFICE, None, id_number("440305", "19800101", "555"), at("09:46"))
    refused("VALIDATION_ERROR", checkin.check_in, OFFICE, None, "440305198001015559", at("09:46"))


def test_two_bookings_open_at_once_for_one_id_number_ask_for_the_reference(world):
    guardian = world.citizen()
    child = id_number("440305", "20200301", "125")
    world.link_guardian(guardian, child)
    own = world.book(guardian, start="09:00")  # check-in 08:30-09:30
    world.book(guardian, start="10:00", service=CHILD_SERVICE, subject=child)  # check-in 09:30-11:00
    error = refused("VALIDATION_ERROR", checkin.check_in, OFFICE, None, guardian.id_number, at("09:30"))
    assert {m["service_code"] for m in error.extra["matches"]} == {SERVICE, CHILD_SERVICE}
    assert child not in str(error.extra) and guardian.id_number not in str(error.extra)
    assert checkin.check_in(OFFICE, own.reference, None, at("09:30")).ticket.number == "A001"


# ---------------------------------------------------------------- R15: tickets and the call order


def test_walk_ins_numbered_per_hall_and_day_and_refused_at_a_book_first_hall(world):
    assert (walk_in().ticket_id, walk_in().number) == ("20260915-B001", "B002")
    assert walk_in(service=SERVICE).number == "B003"  # bookable business may walk in at a priority hall
    assert walk_in(office=OTHER).number == "B001"
    assert walk_in(at("09:00", DAY + timedelta(days=1))).ticket_id == "20260916-B001"
    refused("BOOKING_REQUIRED", walk_in, office=BOOK_FIRST, service=SERVICE)  # R4
    assert walk_in(office=BOOK_FIRST).number == "B001"  # R3: walk-in-only business cannot be booked at all
    refused("SERVICE_NOT_OFFERED", walk_in, service=NOT_HERE)
    refused("NOT_FOUND", walk_in, service="NOPE")


def test_booking_tickets_before_walk_ins_by_slot_then_by_when_booked(world):
    made = [BOOKED_AT + timedelta(minutes=m) for m in range(4)]
    late_slot = world.book(world.citizen(), start="09:30", made_at=made[0])  # booked first, for the later slot
    second = world.book(world.citizen(), made_at=made[2])
    first = world.book(world.citizen(), made_at=made[1])
    walk_in(at("08:40"))  # the walk-in came before any of them checked in
    for b in (late_slot, second, first):  # checked in in another order than booked
        checkin.check_in(OFFICE, b.reference, None, at("09:05"))
    assert waiting_numbers() == ["A003", "A002", "A001", "B001"]
    called = [call(c) for c in ("1", "2", "1", "2")]
    assert [t.booking_id for t in called] == [first.booking_id, second.booking_id, late_slot.booking_id, None]
    assert [(t.status, t.counter) for t in called] == [
        ("called", "1"),
        ("called", "2"),
        ("called", "1"),
        ("called", "2"),
    ]
    refused("QUEUE_EMPTY", call)


def test_two_counters_calling_at_once_never_get_the_same_ticket(world):
    for _ in range(6):
        walk_in()
    start = Barrier(8)

    def at_once(counter: int) -> Ticket | Exception:
        start.wait()
        try:
            return call(str(counter))
        except errors.DomainError as error:
            return error

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(at_once, range(1, 9)))
    numbers = sorted(r.number for r in results if isinstance(r, Ticket))
    assert numbers == [f"B00{i}" for i in range(1, 7)]
    assert sum(isinstance(r, errors.QueueEmpty) for r in results) == 2


def test_complete_only_a_called_ticket_and_its_booking_with_it(world):
    booking = world.book(world.citizen())
    ticket = checkin.check_in(OFFICE, booking.reference, None, at("09:00")).ticket
    refused("INVALID_STATE", tickets.complete, OFFICE, ticket.ticket_id, at("09:01"))  # not called yet
    call("5")
    done = tickets.complete(OFFICE, ticket.ticket_id, at("09:12"))
    assert done.ticket.status == "done" and done.booking is not None and done.booking.status == "completed"
    assert world.booking(booking).status == "completed"
    refused("INVALID_STATE", tickets.complete, OFFICE, ticket.ticket_id, at("09:13"))
    walker = walk_in()
    call()
    assert tickets.complete(OFFICE, walker.ticket_id, at("09:20")).booking is None
    for missing in ("20260915-A999", "nonsense"):
        refused("NOT_FOUND", tickets.complete, OFFICE, missing, at("09:20"))


def test_the_end_of_the_day_closes_what_is_still_open_once(world):
    booking = world.book(world.citizen())
    checkin.check_in(OFFICE, booking.reference, None, at("09:00"))
    walk_in()
    walk_in()
    served = call()
    tickets.complete(OFFICE, served.ticket_id, at("09:10"))
    call()  # B001 called, B002 waiting, A001 done
    assert tickets.close_day_end(at("22:30")) == {"job": "close_day", "closed": 2}
    statuses = [(t.number, t.status) for t in world.fake.tickets.tickets_of(OFFICE, DAY)]
    assert statuses == [("A001", "done"), ("B001", "closed_at_day_end"), ("B002", "closed_at_day_end")]
    assert world.booking(booking).status == "completed" and waiting_numbers(at("22:31")) == []
    assert tickets.close_day_end(at("22:31"))["closed"] == 0


def test_a_booking_ticket_finished_elsewhere_completes_its_booking(world):
    booking = world.book(world.citizen())
    checkin.check_in(OFFICE, booking.reference, None, at("09:00"))
    assert tickets.finish_booking_ticket(world.booking(booking), at("09:30")) is True
    assert world.booking(booking).status == "completed" and waiting_numbers() == []
    assert tickets.finish_booking_ticket(world.booking(booking), at("09:31")) is False


def test_counter_names_are_folded_to_one_spelling(world):
    walk_in()
    walk_in()
    refused("VALIDATION_ERROR", call, "3.1")
    assert call("３号窗口").counter == "3号窗口"
    assert call(" A-12 ").counter == "A-12"


# ---------------------------------------------------------------- what the hall shows (R13, R15)


def test_the_board_shows_numbers_served_and_waiting_with_the_wait(world):
    booking = world.book(world.citizen())
    checkin.check_in(OFFICE, booking.reference, None, at("09:00"))
    walk_in()
    walk_in()
    call("3")
    shown = board.board(OFFICE, at("09:00"))
    assert shown["last_called"]["number"] == "A001" and shown["last_called"]["counter"] == "3"
    assert shown["counters"] == [{"counter": "3", "number": "A001", "paused": False}]
    assert [(w["number"], w["estimated_wait_minutes"]) for w in shown["waiting"]] == [("B001", 0), ("B002", 10)]
    assert shown["waiting_count"] == 2 and shown["estimated_wait_minutes"] == 20 and shown["sound"] == "off"
    assert booking.reference not in str(shown) and booking.subject_id_number not in str(shown)
    empty = board.board(OTHER, at("09:00"))
    assert empty["waiting"] == [] and empty["last_called"] is None and empty["estimated_wait_minutes"] == 0
    refused("NOT_FOUND", board.board, "nope", at("09:00"))


def test_a_completed_ticket_leaves_the_board_at_once(world):
    first, _ = walk_in(), walk_in()
    call("3")
    call("4")
    tickets.complete(OFFICE, first.ticket_id, at("09:05"))
    shown = board.board(OFFICE, at("09:05"))
    assert shown["counters"] == [{"counter": "4", "number": "B002", "paused": False}]
    assert shown["last_called"]["number"] == "B002"


def test_a_checked_in_booking_knows_how_many_are_called_before_it(world):
    """R13: on the day, a checked-in booking shows how many are called before it."""
    bookings = [world.book(world.citizen(), made_at=BOOKED_AT + timedelta(seconds=s)) for s in range(2)]
    walker = walk_in(at("09:05"))
    ids = [checkin.check_in(OFFICE, b.reference, None, at("09:05")).ticket.ticket_id for b in reversed(bookings)]
    later, earlier = ids  # checked in in reverse: the queue still follows the bookings' order
    assert [board.queue_position(OFFICE, DAY, t) for t in (earlier, later, walker.ticket_id)] == [0, 1, 2]
    call()
    assert board.queue_position(OFFICE, DAY, earlier) is None and board.queue_position(OFFICE, DAY, later) == 0


def test_the_place_in_the_queue_counts_a_skipped_ticket_held_back(world):
    """R13 and R15a: a skipped booking ticket is called after the next three calls, so three are before it."""
    booking = world.book(world.citizen())
    tid = checkin.check_in(OFFICE, booking.reference, None, NINE).ticket.ticket_id
    for _ in range(3):
        walk_in()
    assert board.queue_position(OFFICE, DAY, tid) == 0
    call()
    counters.skip(CLERK, OFFICE, tid, at("09:01"))
    assert board.queue_position(OFFICE, DAY, tid) == 3


def test_the_day_list_holds_every_ticket_of_today_in_the_order_issued(world):
    booking = world.book(world.citizen())
    assert board.day_tickets(OFFICE, at("08:40")).tickets == []
    walk_in(at("08:40"))
    checkin.check_in(OFFICE, booking.reference, None, at("08:41"))
    call("3", at("08:42"))  # the booking ticket goes first (R15)
    day = board.day_tickets(OFFICE, at("08:43"))
    assert [(t.number, t.status, t.counter) for t in day.tickets] == [
        ("B001", "waiting", None),
        ("A001", "called", "3"),
    ]
    assert board.day_tickets(OFFICE, at("08:40", DAY + timedelta(days=1))).tickets == []  # tomorrow starts empty


# ---------------------------------------------------------------- R15a: recall


def test_recall_only_a_called_ticket_announced_again_and_audited(world):
    ticket = walk_in()
    refused("INVALID_STATE", counters.recall, CLERK, OFFICE, ticket.ticket_id, at("09:00"))  # not called yet
    call("3")
    seq = board.board(OFFICE, at("09:00"))["last_called"]["seq"]
    counters.recall(CLERK, OFFICE, ticket.ticket_id, at("09:01"))
    assert board.board(OFFICE, at("09:01"))["last_called"]["seq"] == seq + 1  # said again
    again = counters.recall(CLERK, OFFICE, ticket.ticket_id, at("09:02"))
    assert (again.recalls, again.status, again.counter) == (2, "called", "3")
    last = board.board(OFFICE, at("09:02"))["last_called"]
    assert last["number"] == "B001" and last["called_at"] == at("09:02").isoformat()
    assert world.audited == [("ticket.recall", "INVALID_STATE"), ("ticket.recall", "ok"), ("ticket.recall", "ok")]


def test_a_change_on_a_ticket_read_before_another_change_is_refused(world):
    """Two clerks (or two clicks) acting on what they read: only the first change applies."""
    walk_in()
    stale = call()
    counters.recall(CLERK, OFFICE, stale.ticket_id, at("09:01"))
    assert world.fake.tickets.recall(stale, at("09:02")) is False
    assert world.fake.tickets.requeue(stale, at("09:02"), held_until=4, skipped=True) is False
    assert world.ticket(stale.ticket_id).recalls == 1


# ---------------------------------------------------------------- R15a: skip


def test_a_skipped_ticket_comes_back_after_the_next_three_calls_and_a_second_skip_ends_it(world):
    first = [walk_in() for _ in range(5)][0]
    assert call().number == "B001"
    skipped = counters.skip(CLERK, OFFICE, first.ticket_id, at("09:01"))
    assert (skipped.status, skipped.skips) == ("waiting", 1)
    shown = board.board(OFFICE, at("09:01"))
    assert shown["counters"] == [] and shown["last_called"] is None  # it left the screen
    assert waiting_numbers() == ["B002", "B003", "B004", "B001", "B005"]
    assert [call().number for _ in range(4)] == ["B002", "B003", "B004", "B001"]
    ended = counters.skip(CLERK, OFFICE, first.ticket_id, at("09:10"))
    assert (ended.status, ended.skips) == ("no_show", 2)
    assert waiting_numbers() == ["B005"]
    refused("INVALID_STATE", counters.skip, CLERK, OFFICE, first.ticket_id, at("09:11"))
    assert [a for a, _ in world.audited] == ["ticket.skip"] * 3


def test_the_hall_sets_how_many_calls_a_skipped_ticket_waits(world):
    catalog = world.fake.catalog.catalog
    hall = replace(catalog.offices[OFFICE], skip_returns_after=1)
    world.fake.catalog.catalog = replace(catalog, offices={**catalog.offices, OFFICE: hall})
    first = [walk_in() for _ in range(3)][0]
    call()
    counters.skip(CLERK, OFFICE, first.ticket_id, at("09:01"))
    assert waiting_numbers() == ["B002", "B001", "B003"]


@pytest.mark.R12
def test_a_booking_ticket_skipped_twice_is_a_no_show_counted_only_then(world):
    citizen = world.citizen()
    booking = world.book(citizen)
    tid = checkin.check_in(OFFICE, booking.reference, None, at("09:00")).ticket.ticket_id
    call()
    counters.skip(CLERK, OFFICE, tid, at("09:01"))
    assert world.fake.bookings.get_subject(booking.subject_id_number).no_shows == []  # the first skip: nothing
    assert call().ticket_id == tid  # nothing else waits: it comes at once
    assert counters.skip(CLERK, OFFICE, tid, at("09:05")).status == "no_show"
    assert world.booking(booking).status == "no_show"
    assert world.fake.bookings.get_subject(booking.subject_id_number).no_shows == [DAY]
    sms = [m.template for m in world.fake.bookings.outbox if m.phone == citizen.phone]
    assert sms == ["booked", "no_show"]  # R16: the no-show's SMS, as the sweep sends it


# ---------------------------------------------------------------- R15a: transfer


def test_transfer_to_a_counter_keeps_booking_tickets_ahead_and_other_counters_pass_it_by(world):
    booking = world.book(world.citizen())
    walkers = [walk_in(), walk_in()]
    assert call("1").number == "B001"
    moved = counters.transfer(CLERK, OFFICE, walkers[0].ticket_id, "5", None, at("09:01"))
    assert (moved.status, moved.for_counter, moved.counter) == ("waiting", "5", None)
    assert board.board(OFFICE, at("09:01"))["counters"] == []
    checkin.check_in(OFFICE, booking.reference, None, at("09:02"))
    assert waiting_numbers() == ["A001", "B001", "B002"]
    assert call("5").number == "A001"  # a booking ticket stays ahead of walk-ins
    assert call("2").number == "B002"  # counter 2 passes counter 5's ticket by
    refused("QUEUE_EMPTY", call, "2")
    assert call("5").number == "B001"
    refused("VALIDATION_ERROR", counters.transfer, CLERK, OFFICE, walkers[0].ticket_id, "5", None, at("09:03"))  # there


def test_transfer_to_a_service_and_its_refusals(world):
    tid = walk_in().ticket_id
    call("1")
    refused("NOT_FOUND", counters.transfer, CLERK, OFFICE, tid, None, "NOPE", at("09:01"))
    refused("SERVICE_NOT_OFFERED", counters.transfer, CLERK, OFFICE, tid, None, NOT_HERE, at("09:01"))
    refused("VALIDATION_ERROR", counters.transfer, CLERK, OFFICE, tid, None, None, at("09:01"))
    refused("VALIDATION_ERROR", counters.transfer, CLERK, OFFICE, tid, "2", SERVICE, at("09:01"))
    moved = counters.transfer(CLERK, OFFICE, tid, None, SERVICE, at("09:01"))
    assert (moved.service_code, moved.kind, moved.status) == (SERVICE, "walk_in", "waiting")
    again = call("2")
    assert again.ticket_id == tid and again.service_code == SERVICE
    refused("NOT_FOUND", counters.transfer, CLERK, OFFICE, "20260915-B999", "2", None, at("09:02"))
    tickets.complete(OFFICE, tid, at("09:03"))
    refused("INVALID_STATE", counters.transfer, CLERK, OFFICE, tid, "3", None, at("09:04"))
    assert ("ticket.transfer", "ok") in world.audited


# ---------------------------------------------------------------- R15a: pause and resume


def test_a_paused_counter_calls_nobody_shows_paused_and_releases_its_transfers(world):
    first, _ = walk_in(), walk_in()
    call("3")
    refused("INVALID_STATE", counters.pause, CLERK, OFFICE, "3", at("09:01"))  # serving B001
    counters.transfer(CLERK, OFFICE, first.ticket_id, "5", None, at("09:01"))  # back, for counter 5
    assert counters.pause(CLERK, OFFICE, "3", at("09:02")) == counters.CounterState(OFFICE, "3", True)
    counters.pause(CLERK, OFFICE, "5", at("09:02"))
    refused("INVALID_STATE", call, "3")
    assert board.board(OFFICE, at("09:02"))["counters"] == [
        {"counter": "3", "number": None, "paused": True},
        {"counter": "5", "number": None, "paused": True},
    ]
    assert call("4").number == "B001"  # counter 5's ticket: any counter while it pauses
    assert counters.pause(CLERK, OFFICE, "3", at("09:03"), paused=False).paused is False
    assert call("3").number == "B002"
    shown = board.board(OFFICE, at("09:03"))["counters"]
    assert [(c["counter"], c["paused"]) for c in shown] == [("3", False), ("4", False), ("5", True)]
    assert {"counter.pause", "counter.resume"} <= {a for a, _ in world.audited}
