"""The booking services' rules (book, cancel, reschedule) on the in-memory stores (store/memory/): no
AWS. Expected values are the SPEC's (R2, R3, R6-R11, R12, R8a, R13), written here; what only DynamoDB
can show (its conditions, transactions, races, streams) stays in tests/api and tests/races."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from itertools import count
from threading import Barrier

import pytest

from hallbook.clock import SHANGHAI, AdjustableClock, get_clock, set_clock
from hallbook.domain import errors
from hallbook.services import bookings, reschedule, waitlist
from hallbook.services.bookings import BookingRequest
from hallbook.services.eligibility import Newborn
from hallbook.services.reschedule import RescheduleRequest
from hallbook.services.tokens import Caller
from hallbook.store import readcache
from hallbook.store.bookings import Booking, Subject
from hallbook.store.catalog import Catalog, service_from
from hallbook.store.memory import MemoryStores
from hallbook.store.stores import installed
from tests.idnumbers import id_number
from tests.unit.builders import catalog, hall, person, service, slots

pytestmark = [
    pytest.mark.R2,
    pytest.mark.R3,
    pytest.mark.R6,
    pytest.mark.R7,
    pytest.mark.R8,
    pytest.mark.R8a,
    pytest.mark.R9,
    pytest.mark.R10,
    pytest.mark.R11,
    pytest.mark.R12,
    pytest.mark.R13,
]

OFFICE, SERVICE, CHILD_SERVICE, NEWBORN_SERVICE, WALK_IN = "test-hall", "ID_RENEW", "HR_BIRTH", "NB_REG", "WALK"
MONDAY_9 = datetime(2026, 9, 14, 9, 0, tzinfo=SHANGHAI)  # before the noon release
TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (date(2026, 9, 15 + i) for i in range(4))
SATURDAY = date(2026, 9, 19)
_numbers = count(100)
NEWBORN = Newborn(name="小明", birth_certificate_number="O440012345")


def _catalog(capacity: int) -> Catalog:
    timetable = {
        SERVICE: slots(("09:00", "09:30", capacity), ("09:30", "10:00", capacity)),
        CHILD_SERVICE: slots(("10:00", "11:00", 3)),
        NEWBORN_SERVICE: slots(("11:00", "11:30", 3)),
    }
    services = [
        service(SERVICE),
        service(CHILD_SERVICE, subject="minor"),
        service(NEWBORN_SERVICE, subject="newborn"),
        service(WALK_IN, required=False),
    ]
    return catalog(services, [hall(OFFICE, [SERVICE, CHILD_SERVICE, NEWBORN_SERVICE, WALK_IN], timetable)])


@dataclass
class World:
    fake: MemoryStores
    handed_to_waitlist: list[tuple[str, object]]  # R18/R19: what the booking services passed on (another aggregate)

    def citizen(
        self, phone_verified: bool = True, born: str = "19900101", role: str = "citizen", lang: str = "zh"
    ) -> Caller:
        n = next(_numbers)
        account = person(n, MONDAY_9, born=born, phone_verified=phone_verified, role=role, lang=lang)
        self.fake.add_account(account)
        return Caller(account.account_id, role, phone_verified=phone_verified)

    def id_of(self, caller: Caller) -> str:
        account = self.fake.accounts.get_account(caller.account_id)
        assert account is not None and account.id_number
        return account.id_number

    def slot(self, day: date, start: str = "09:00", service: str = SERVICE) -> tuple[int, int]:
        """(booked, held) of a slot."""
        state = self.fake.bookings.get_slot(OFFICE, service, day, start)
        assert state is not None
        return state.booked, state.held

    def sms(self, phone_of: Caller) -> list[str]:
        account = self.fake.accounts.get_account(phone_of.account_id)
        assert account is not None
        return [m.text for m in self.fake.bookings.outbox if m.phone == account.phone]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A hall whose ID_RENEW slots take 2 (HR_BIRTH, NB_REG: 3), released for the next 14 days. The places
    a cancellation or a move passes to the waitlist (R18, R19: its own aggregate, tested on the embedded
    AWS) are recorded, not dispatched."""
    fake = MemoryStores(_catalog(capacity=2))
    fake.release(*(MONDAY_9.date() + timedelta(days=i) for i in range(1, 15)))
    handed: list[tuple[str, object]] = []
    monkeypatch.setattr(waitlist, "after_cancellation", lambda place, now: handed.append(("delayed", place)))
    monkeypatch.setattr(waitlist, "offer_free_places", lambda *args: handed.append(("free", args[:4])))
    with installed(fake.stores()), readcache.environment(readcache.ReadCaches()):
        yield World(fake, handed)


def book(
    caller: Caller,
    day: date = TUESDAY,
    start: str = "09:00",
    service: str = SERVICE,
    now: datetime = MONDAY_9,
    key: str | None = None,
    **request: object,
) -> tuple[Booking, bool]:
    body = {
        "office_id": OFFICE,
        "service_code": service,
        "date": day.isoformat(),
        "start": start,
        "notice_acknowledged": True,
        **request,
    }
    return bookings.book(caller, BookingRequest(**body), key, now)  # type: ignore[arg-type]


STATUS = {
    "VALIDATION_ERROR": 422,
    "NOTICE_NOT_ACKNOWLEDGED": 422,
    "FORBIDDEN": 403,
    "PHONE_NOT_VERIFIED": 403,
    "SUSPENDED": 403,
    "NOT_FOUND": 404,
}  # the contract's HTTP status of each code; any other refusal here is 409


def refused(code: str, call, *args, **kwargs) -> errors.DomainError:
    with pytest.raises(errors.DomainError) as raised:
        call(*args, **kwargs)
    assert raised.value.code == code, raised.value.detail
    assert raised.value.status == STATUS.get(code, 409)
    return raised.value


# ---------------------------------------------------------------- R8: a booking, and what refuses one


def test_a_booking_has_an_id_a_readable_reference_its_slot_and_its_sms(world):
    citizen = world.citizen()
    booking, created = book(citizen)
    assert created and booking.status == "booked" and booking.booking_id
    assert (booking.start, booking.end) == ("09:00", "09:30")
    assert len(booking.reference) == 9 and not set(booking.reference) & set("ILOU")  # R8: no ambiguous characters
    assert booking.subject_id_number == world.id_of(citizen)
    assert world.slot(TUESDAY) == (1, 0)
    assert any(booking.reference in text for text in world.sms(citizen))  # R16: the booking's SMS
    assert bookings.own_booking(citizen, booking.booking_id) == booking
    assert bookings.list_bookings(citizen, 10, None).bookings == [booking]


@pytest.mark.parametrize(
    "change, code",
    [
        ({"notice_acknowledged": False}, "NOTICE_NOT_ACKNOWLEDGED"),  # R3
        ({"service": WALK_IN}, "WALK_IN_ONLY"),  # R3
        ({"office_id": "nope"}, "NOT_FOUND"),
        ({"day": MONDAY_9.date()}, "OUTSIDE_WINDOW"),  # R6: today
        ({"day": date(2026, 9, 13)}, "OUTSIDE_WINDOW"),  # R6: a past day
        ({"day": date(2026, 9, 28)}, "OUTSIDE_WINDOW"),  # R6: 14 days ahead, before the noon release
        ({"day": SATURDAY}, "NO_SUCH_SLOT"),  # R5: no slots on a weekend
        ({"day": date(2026, 9, 25)}, "NO_SUCH_SLOT"),  # R5: the Mid-Autumn Festival, a Friday
        ({"start": "09:15"}, "NO_SUCH_SLOT"),  # R4: not a slot of the timetable
        ({"day_text": "15/09/2026"}, "VALIDATION_ERROR"),
        ({"start": "9am"}, "VALIDATION_ERROR"),
    ],
)
def test_refusals_carry_the_contract_codes_and_book_nothing(world, change, code):
    citizen = world.citizen()
    args = dict(change)
    if "day_text" in args:
        body = {"office_id": OFFICE, "service_code": SERVICE, "date": args["day_text"], "start": "09:00"}
        refused(code, bookings.book, citizen, BookingRequest(**body, notice_acknowledged=True), None, MONDAY_9)
    else:
        refused(code, book, citizen, **args)
    assert world.fake.bookings.bookings == {} and world.slot(TUESDAY) == (0, 0)


def test_the_window_reaches_14_days_ahead_from_the_noon_release(world):
    """R6: before noon the last bookable day is 13 days ahead; from 12:00 it is 14 days ahead."""
    citizen, other = world.citizen(), world.citizen()
    last_before_noon, opened_at_noon = date(2026, 9, 24), date(2026, 9, 28)  # 10 and 14 days ahead, weekdays
    assert book(citizen, day=last_before_noon)[1]
    refused("OUTSIDE_WINDOW", book, other, day=opened_at_noon, now=MONDAY_9.replace(hour=11, minute=59))
    assert book(other, day=opened_at_noon, now=MONDAY_9.replace(hour=12, minute=0))[1]


def test_a_service_the_hall_does_not_offer(world):
    catalog = world.fake.catalog.catalog
    other = service_from({"code": "RP_RENEW", "name_zh": "居住证", "name_en": "Permit", "appointment_required": True})
    world.fake.catalog.catalog = replace(catalog, services={**catalog.services, "RP_RENEW": other})
    refused("SERVICE_NOT_OFFERED", book, world.citizen(), service="RP_RENEW")


def test_a_slot_not_released_is_no_such_slot(world):
    world.fake.bookings.slots.pop((OFFICE, SERVICE, TUESDAY, "09:00"))
    refused("NO_SUCH_SLOT", book, world.citizen())


def test_only_a_citizen_with_a_confirmed_phone_books(world):
    """R1: the phone is verified by an SMS code before the account may book."""
    refused("PHONE_NOT_VERIFIED", book, world.citizen(phone_verified=False))
    refused("FORBIDDEN", book, world.citizen(role="staff"))


# ---------------------------------------------------------------- R7: never beyond capacity


def test_a_full_slot_is_refused(world):
    a, b, c = world.citizen(), world.citizen(), world.citizen()
    book(a)
    book(b)
    refused("SLOT_FULL", book, c)
    assert world.slot(TUESDAY) == (2, 0)
    assert book(c, start="09:30")[1]  # another slot of the day has room


def test_capacity_holds_when_many_book_at_once(world):
    callers = [world.citizen() for _ in range(12)]
    start = Barrier(len(callers))

    def attempt(caller: Caller) -> str:
        start.wait()
        try:
            with readcache.environment(readcache.ReadCaches()):  # each its own Lambda environment
                book(caller)
            return "booked"
        except errors.DomainError as e:
            return e.code

    with installed(world.fake.stores()), ThreadPoolExecutor(len(callers)) as pool:
        outcomes = list(pool.map(attempt, callers))
    assert sorted(outcomes) == ["SLOT_FULL"] * 10 + ["booked"] * 2
    assert world.slot(TUESDAY) == (2, 0)
    assert len([b for b in world.fake.bookings.bookings.values() if b.date == TUESDAY]) == 2


# ---------------------------------------------------------------- R9: one active booking per subject per service


def test_one_active_booking_per_subject_and_service(world):
    citizen = world.citizen()
    first, _ = book(citizen)
    refused("ALREADY_BOOKED", book, citizen, day=WEDNESDAY)  # another day: still the same service
    refused("ALREADY_BOOKED", book, citizen, start="09:30")
    bookings.cancel(citizen, first.booking_id, MONDAY_9)
    assert book(citizen, day=WEDNESDAY)[1]  # cancelled: the lock is released


# ---------------------------------------------------------------- R2: for whom


def test_a_guardian_books_a_linked_minor_and_the_limits_are_the_minors(world):
    guardian, other_parent = world.citizen(), world.citizen()
    child = id_number("440305", "20200101", "555")
    world.fake.link_guardian(guardian.account_id, child)
    world.fake.link_guardian(other_parent.account_id, child)
    booking, _ = book(guardian, start="10:00", service=CHILD_SERVICE, subject_id_number=child)
    assert booking.subject_id_number == child and booking.account_id == guardian.account_id
    refused(  # R9 counts the minor, whoever books
        "ALREADY_BOOKED",
        book,
        other_parent,
        day=WEDNESDAY,
        start="10:00",
        service=CHILD_SERVICE,
        subject_id_number=child,
    )
    assert book(guardian)[1]  # the guardian's own limit is untouched


def test_a_minor_without_a_link_an_adult_and_a_minors_service_for_oneself_are_refused(world):
    guardian = world.citizen()
    stranger_child = id_number("440305", "20190101", "556")
    refused("FORBIDDEN", book, guardian, start="10:00", service=CHILD_SERVICE, subject_id_number=stranger_child)
    assert world.fake.flags.events  # R22: a minor named without a link is counted
    adult = id_number("440305", "19800101", "557")
    refused("FORBIDDEN", book, guardian, subject_id_number=adult)
    refused("VALIDATION_ERROR", book, guardian, start="10:00", service=CHILD_SERVICE)  # a minor's business


def test_a_newborn_is_booked_with_the_guardians_id_and_its_certificate_is_the_subject(world):
    guardian = world.citizen()
    booking, _ = book(guardian, start="11:00", service=NEWBORN_SERVICE, newborn=NEWBORN)
    assert booking.subject_id_number == "O440012345" and booking.newborn_name == "小明"
    refused("VALIDATION_ERROR", book, guardian, start="11:00", service=NEWBORN_SERVICE, day=WEDNESDAY)  # no newborn


@pytest.mark.parametrize(
    "cert",
    ["440012345", "O44001234", "O4400123456", "OO40012345", "O44001234X", "O٤٤٠٠١٢٣٤٥", "", "出生证O440012345"],
)
def test_certificate_numbers_of_another_shape_are_refused(world, cert):
    """R2: a medical birth certificate number is a letter and nine ASCII digits (full-width folded)."""
    newborn = Newborn(name="王小明", birth_certificate_number=cert)
    refused("VALIDATION_ERROR", book, world.citizen(), start="11:00", service=NEWBORN_SERVICE, newborn=newborn)


def test_the_same_certificate_written_otherwise_is_the_same_subject(world):
    guardian, other_parent = world.citizen(), world.citizen()
    written = Newborn(name="王小明", birth_certificate_number="Ｏ４４００１２３４５")  # full-width, as an IME types it
    booking, _ = book(guardian, start="11:00", service=NEWBORN_SERVICE, newborn=written)
    assert booking.subject_id_number == "O440012345"
    again = Newborn(name="王小明", birth_certificate_number="o 4400-12345")
    refused("ALREADY_BOOKED", book, guardian, day=WEDNESDAY, start="11:00", service=NEWBORN_SERVICE, newborn=again)
    refused(
        "ALREADY_BOOKED", book, other_parent, day=WEDNESDAY, start="11:00", service=NEWBORN_SERVICE, newborn=NEWBORN
    )
    twin = Newborn(name="王小亮", birth_certificate_number="O440012346")
    assert book(guardian, start="11:00", service=NEWBORN_SERVICE, newborn=twin)[1]


def test_a_newborn_service_needs_the_newborn_and_only_it(world):
    guardian = world.citizen()
    child = id_number("440305", "20250101", "731")
    refused("VALIDATION_ERROR", book, guardian, start="11:00", service=NEWBORN_SERVICE)
    refused(
        "VALIDATION_ERROR",
        book,
        guardian,
        start="11:00",
        service=NEWBORN_SERVICE,
        newborn=NEWBORN,
        subject_id_number=child,
    )
    nameless = Newborn(name="", birth_certificate_number="O440012345")
    refused("VALIDATION_ERROR", book, guardian, start="11:00", service=NEWBORN_SERVICE, newborn=nameless)
    refused("VALIDATION_ERROR", book, guardian, newborn=NEWBORN)  # not a newborn's business


def test_a_cancelled_newborn_booking_counts_against_the_certificate(world):
    guardian = world.citizen()
    booking, _ = book(guardian, start="11:00", service=NEWBORN_SERVICE, newborn=NEWBORN)
    bookings.cancel(guardian, booking.booking_id, MONDAY_9)
    assert world.fake.bookings.get_subject("O440012345").cancel_count == 1
    assert world.fake.bookings.get_subject(world.id_of(guardian)).cancel_count == 0


def test_a_self_service_is_not_booked_for_a_minor(world):
    guardian = world.citizen()
    child = id_number("440305", "20200101", "732")
    world.fake.link_guardian(guardian.account_id, child)
    assert book(guardian, start="10:00", service=CHILD_SERVICE, subject_id_number=child)[1]
    catalog = world.fake.catalog.catalog
    own_only = replace(catalog.services[SERVICE], subject="self")
    world.fake.catalog.catalog = replace(catalog, services={**catalog.services, SERVICE: own_only})
    refused("VALIDATION_ERROR", book, guardian, subject_id_number=child)


# ---------------------------------------------------------------- idempotency


def test_a_replayed_key_answers_the_first_booking_and_takes_one_place(world):
    citizen = world.citizen()
    first, created = book(citizen, key="same-key")
    again, created_again = book(citizen, key="same-key")
    assert created and not created_again and again == first
    assert world.slot(TUESDAY) == (1, 0)
    refused("VALIDATION_ERROR", book, citizen, day=WEDNESDAY, key="same-key")  # the key, for another booking
    refused("VALIDATION_ERROR", book, citizen, key="k" * 129)


def test_the_retry_of_the_booking_that_took_the_last_place_still_finds_it(world):
    a, b = world.citizen(), world.citizen()
    book(a)
    last, _ = book(b, key="retry")  # the slot is full now, and known full here
    refused("SLOT_FULL", book, world.citizen())
    assert book(b, key="retry") == (last, False)


# ---------------------------------------------------------------- R10, R11: cancelling


def test_a_cancellation_ends_the_booking_at_once_and_keeps_the_place_for_the_delay(world):
    """R10: the booking ends at once; R19: its place returns after a random delay, not at once."""
    a, b, c = world.citizen(), world.citizen(), world.citizen()
    booking, _ = book(a)
    book(b)
    cancelled = bookings.cancel(a, booking.booking_id, MONDAY_9)
    assert cancelled.status == "cancelled"
    assert world.slot(TUESDAY) == (2, 1)  # still taken, as a delayed place
    assert len(world.fake.bookings.places) == 1
    assert [kind for kind, _ in world.handed_to_waitlist] == ["delayed"]
    refused("SLOT_FULL", book, c)
    refused("NOT_CANCELLABLE", bookings.cancel, a, booking.booking_id, MONDAY_9)


def test_cancellation_closes_at_18_the_day_before(world):
    citizen = world.citizen()
    booking, _ = book(citizen)
    assert bookings.cancel_booking(booking, MONDAY_9.replace(hour=17, minute=59), by="citizen").status == "cancelled"
    booking, _ = book(citizen, day=WEDNESDAY, now=MONDAY_9.replace(hour=17, minute=59))
    refused(
        "CANCEL_CLOSED", bookings.cancel, citizen, booking.booking_id, datetime(2026, 9, 15, 18, 0, tzinfo=SHANGHAI)
    )
    refused("CANCEL_CLOSED", bookings.cancel, citizen, booking.booking_id, datetime(2026, 9, 16, 8, 0, tzinfo=SHANGHAI))
    assert world.fake.bookings.bookings[booking.booking_id].status == "booked"


def test_three_cancellations_in_a_month_suspend_the_subject_until_it_ends(world):
    citizen = world.citizen()
    for day in (TUESDAY, WEDNESDAY, THURSDAY):
        booking, _ = book(citizen, day=day)
        bookings.cancel(citizen, booking.booking_id, MONDAY_9)
    error = refused("SUSPENDED", book, citizen, day=FRIDAY)
    assert str(error.extra["suspended_until"]).startswith("2026-10-01T00:00:00+08:00")
    october_8 = datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI)
    world.fake.release(date(2026, 10, 9))
    assert book(citizen, day=date(2026, 10, 9), now=october_8)[1]


@pytest.mark.R21
def test_the_second_cancellation_of_a_month_warns_once_in_the_accounts_language(world):
    """R21: one more cancellation would suspend - said by SMS after the second, in the account's language,
    in one billed segment (R16); the third suspends."""
    english, chinese = world.citizen(lang="en"), world.citizen()
    for day in (TUESDAY, WEDNESDAY):
        for caller in (english, chinese):
            booking, _ = book(caller, day=day)
            bookings.cancel(caller, booking.booking_id, MONDAY_9)
    [text] = [t for t in world.sms(english) if "cancels;" in t]
    assert "2 cancels; 1 more by 30 Sep suspends you to 1 Oct" in text, text
    [text] = [t for t in world.sms(chinese) if "请注意" in t]
    assert "本月已取消预约2次" in text and "再取消1次" in text and "暂停预约至2026-10-01" in text, text
    booking, _ = book(chinese, day=THURSDAY)
    bookings.cancel(chinese, booking.booking_id, MONDAY_9)
    assert len([t for t in world.sms(chinese) if "请注意" in t]) == 1  # warned once; now suspended
    refused("SUSPENDED", book, chinese, day=FRIDAY)


def test_the_halls_cancellation_does_not_count(world):
    citizen = world.citizen()
    for day in (TUESDAY, WEDNESDAY, THURSDAY):
        booking, _ = book(citizen, day=day)
        bookings.cancel_booking(booking, MONDAY_9, by="hall", reason="closed")
    assert world.slot(TUESDAY) == (0, 0)  # the hall's frees the place at once, to the waitlist first (R18)
    assert [kind for kind, _ in world.handed_to_waitlist] == ["free"] * 3
    assert book(citizen, day=FRIDAY)[1]


# ---------------------------------------------------------------- R12: no-shows


def test_three_no_shows_within_six_months_suspend_for_six_months_from_the_last(world):
    citizen = world.citizen()
    subject = world.id_of(citizen)
    world.fake.bookings.subjects[subject] = Subject(
        subject, no_shows=[date(2026, 4, 1), date(2026, 6, 1), date(2026, 9, 1)]
    )
    error = refused("SUSPENDED", book, citizen)
    assert str(error.extra["suspended_until"]).startswith("2027-03-01")
    other = world.citizen()
    other_subject = world.id_of(other)
    world.fake.bookings.subjects[other_subject] = Subject(  # the first is more than six months before the third
        other_subject, no_shows=[date(2026, 3, 1), date(2026, 6, 1), date(2026, 9, 10)]
    )
    assert book(other)[1]


# ---------------------------------------------------------------- R13: one's own


def test_nobody_sees_cancels_or_moves_another_citizens_booking(world):
    owner, stranger = world.citizen(), world.citizen()
    booking, _ = book(owner)
    refused("NOT_FOUND", bookings.own_booking, stranger, booking.booking_id)
    refused("NOT_FOUND", bookings.cancel, stranger, booking.booking_id, MONDAY_9)
    request = RescheduleRequest(date=WEDNESDAY.isoformat(), start="09:00")
    refused("NOT_FOUND", reschedule.reschedule, stranger, booking.booking_id, request, None, MONDAY_9)
    refused("NOT_FOUND", reschedule.reschedule, stranger, "0" * 32, request, None, MONDAY_9)
    assert world.fake.bookings.get_booking(booking.booking_id) == booking
    assert bookings.list_bookings(stranger, 10, None).bookings == []


# ---------------------------------------------------------------- R8a: rescheduling


def test_a_move_keeps_the_booking_takes_the_new_place_first_and_sends_one_sms(world):
    citizen = world.citizen()
    booking, _ = book(citizen)
    before = len(world.fake.bookings.outbox)
    moved = reschedule.reschedule(
        citizen, booking.booking_id, RescheduleRequest(date=WEDNESDAY.isoformat(), start="09:30"), None, MONDAY_9
    )
    assert (moved.booking_id, moved.reference, moved.date, moved.start) == (
        booking.booking_id,
        booking.reference,
        WEDNESDAY,
        "09:30",
    )
    assert world.slot(WEDNESDAY, "09:30") == (1, 0)
    assert world.slot(TUESDAY) == (1, 1)  # the old place: kept, as a cancellation's would be (R18, R19)
    assert len(world.fake.bookings.outbox) == before + 1  # one SMS with both times
    text = world.fake.bookings.outbox[-1].text
    assert "09:00" in text and "09:30" in text
    subject = world.fake.bookings.get_subject(world.id_of(citizen))
    assert subject.cancel_count == 0 and subject.active_services == {SERVICE}  # not a cancellation (R11)


def test_a_move_is_refused_like_a_booking_and_past_the_cut_off(world):
    citizen, filler, other = world.citizen(), world.citizen(), world.citizen()
    booking, _ = book(citizen)
    book(filler, day=WEDNESDAY)
    book(other, day=WEDNESDAY)

    def move(day: date, start: str = "09:00", now: datetime = MONDAY_9):
        return reschedule.reschedule(
            citizen, booking.booking_id, RescheduleRequest(date=day.isoformat(), start=start), None, now
        )

    refused("SLOT_FULL", move, WEDNESDAY)
    refused("NO_SUCH_SLOT", move, SATURDAY)
    refused("NO_SUCH_SLOT", move, WEDNESDAY, "09:15")
    refused("OUTSIDE_WINDOW", move, MONDAY_9.date())
    refused("CANCEL_CLOSED", move, THURSDAY, now=datetime(2026, 9, 14, 18, 0, tzinfo=SHANGHAI))
    refused("VALIDATION_ERROR", move, WEDNESDAY, "9am")
    with pytest.raises(errors.DomainError) as raised:
        reschedule.reschedule(citizen, booking.booking_id, RescheduleRequest("16/09/2026", "09:00"), None, MONDAY_9)
    assert raised.value.code == "VALIDATION_ERROR"
    with pytest.raises(errors.DomainError) as raised:
        reschedule.reschedule(
            citizen, booking.booking_id, RescheduleRequest(WEDNESDAY.isoformat(), "09:00", "nope"), None, MONDAY_9
        )
    assert raised.value.code == "NOT_FOUND"
    assert world.fake.bookings.get_booking(booking.booking_id) == booking  # nothing moved
    assert world.slot(TUESDAY) == (1, 0) and world.fake.bookings.places == {}  # nor any place kept
    assert move(TUESDAY) == booking  # where it is already: unchanged
    assert world.slot(TUESDAY) == (1, 0)
    bookings.cancel(citizen, booking.booking_id, MONDAY_9)
    refused("NOT_CANCELLABLE", move, THURSDAY)


def test_a_suspended_subject_may_still_move_what_it_holds(world):
    """R8a: a move is not a new booking, nor a cancellation."""
    citizen = world.citizen()
    booking, _ = book(citizen)
    subject = world.fake.bookings.subjects[world.id_of(citizen)]
    subject.cancel_month, subject.cancel_count = "2026-09", 3
    moved = reschedule.reschedule(
        citizen, booking.booking_id, RescheduleRequest(date=THURSDAY.isoformat(), start="09:00"), None, MONDAY_9
    )
    assert moved.date == THURSDAY


def test_the_same_key_replays_a_move_and_a_reused_key_is_refused(world):
    citizen = world.citizen()
    booking, _ = book(citizen)
    to_wednesday = RescheduleRequest(date=WEDNESDAY.isoformat(), start="09:00")
    first = reschedule.reschedule(citizen, booking.booking_id, to_wednesday, "move-1", MONDAY_9)
    again = reschedule.reschedule(citizen, booking.booking_id, to_wednesday, "move-1", MONDAY_9)
    assert again == first and first.moves == 1
    assert world.slot(WEDNESDAY) == (1, 0)
    refused(
        "VALIDATION_ERROR",
        reschedule.reschedule,
        citizen,
        booking.booking_id,
        RescheduleRequest(date=THURSDAY.isoformat(), start="09:00"),
        "move-1",
        MONDAY_9,
    )
    moved_again = reschedule.reschedule(
        citizen, booking.booking_id, RescheduleRequest(date=THURSDAY.isoformat(), start="09:00"), "move-2", MONDAY_9
    )
    assert moved_again.date == THURSDAY and moved_again.moves == 2


# ---------------------------------------------------------------- the noon cache around the rule (R7 stays the store's)


@pytest.fixture
def clock() -> Iterator[AdjustableClock]:
    """The noon caches' TTLs run on hallbook.clock: frozen here, moved by the test."""
    before = get_clock()
    frozen = AdjustableClock(MONDAY_9, frozen=True)
    set_clock(frozen)
    yield frozen
    set_clock(before)


def store_requests(world: World, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The booking store's calls from now on, by name (each one DynamoDB request or transaction there)."""
    calls: list[str] = []
    fake = world.fake.bookings
    for name in ("read_for_booking", "book_slot", "slots_between", "get_booking", "get_subject"):
        original = getattr(fake, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(fake, name, counted)
    return calls


def elsewhere() -> readcache.ReadCaches:
    return readcache.ReadCaches()


def test_a_slot_seen_full_is_refused_without_a_store_request(world, clock, monkeypatch):
    calls = store_requests(world, monkeypatch)
    book(world.citizen())
    book(world.citizen())  # the last place: the slot is known full here now
    late = world.citizen()
    before = len(calls)
    for i in range(5):
        refused("SLOT_FULL", book, late, key=f"s{i}")
    assert calls[before:] == []
    with readcache.environment(elsewhere()):  # another environment has not seen it: it reads
        refused("SLOT_FULL", book, late, key="o")
    assert calls[before:] == ["read_for_booking"]


def test_the_last_places_retry_is_found_though_the_slot_is_marked_full(world, clock, monkeypatch):
    calls = store_requests(world, monkeypatch)
    book(world.citizen())
    winner = world.citizen()
    first, _ = book(winner, key="same-key")
    before = len(calls)
    refused("SLOT_FULL", book, world.citizen(), key="l")
    assert calls[before:] == []
    again, created = book(winner, key="same-key")
    assert not created and again.booking_id == first.booking_id


def test_a_day_with_a_full_slot_renews_its_full_marks_in_one_read_a_second(world, clock, monkeypatch):
    calls = store_requests(world, monkeypatch)
    with readcache.environment(elsewhere()):
        for start in ("09:00", "09:00", "09:30", "09:30"):  # both slots of the day are full
            book(world.citizen(), start=start)
    late = world.citizen()
    refused("SLOT_FULL", book, late, start="09:00", key="l1")  # never seen here: it reads its slot
    before = len(calls)
    refused("SLOT_FULL", book, late, start="09:30", key="l2")  # not marked, but its day is: the day in one read
    assert calls[before:] == ["slots_between"]
    before = len(calls)
    for i, start in enumerate(["09:00", "09:30"] * 3):
        refused("SLOT_FULL", book, late, start=start, key=f"l3-{i}")
    assert calls[before:] == []
    clock.advance(timedelta(seconds=readcache.FULL_SLOT_SECONDS))  # every mark has run out
    for i, start in enumerate(["09:30", "09:00"] * 3):
        refused("SLOT_FULL", book, late, start=start, key=f"l4-{i}")
    assert calls[before:] == ["slots_between"], "one read renews both marks; the other five attempts read nothing"


def test_a_stale_full_refuses_a_slot_with_room_for_the_ttl_at_most(world, clock):
    there = elsewhere()
    with readcache.environment(there):
        held, _ = book(world.citizen())
        book(world.citizen())
    waiting = world.citizen()
    refused("SLOT_FULL", book, waiting, key="w1")  # here the slot is now known full
    with readcache.environment(there):
        bookings.cancel_booking(held, MONDAY_9, by="hall")  # room again, seen there only
    refused("SLOT_FULL", book, waiting, key="w2")  # within the TTL: the stale "full" is allowed
    clock.advance(timedelta(seconds=readcache.FULL_SLOT_SECONDS))
    assert book(waiting, key="w3")[1]  # never longer
    assert world.slot(TUESDAY) == (2, 0)


def test_the_day_read_lets_through_a_slot_that_has_room_again(world, clock):
    there = elsewhere()
    with readcache.environment(there):
        held, _ = book(world.citizen())
        for start in ("09:00", "09:30", "09:30"):
            book(world.citizen(), start=start)
    waiting = world.citizen()
    for start in ("09:00", "09:30"):
        refused("SLOT_FULL", book, waiting, start=start, key=f"w-{start}")
    with readcache.environment(there):
        bookings.cancel_booking(held, MONDAY_9, by="hall")
    clock.advance(timedelta(seconds=readcache.FULL_SLOT_SECONDS))
    refused("SLOT_FULL", book, waiting, start="09:30", key="w2")  # the day read: 09:30 still full, 09:00 has room
    assert book(waiting, start="09:00", key="w3")[1]
    assert world.slot(TUESDAY) == (2, 0)
