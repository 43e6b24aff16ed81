"""The phone line's rules (services/operator.py) on the in-memory stores: no AWS. The operator finds a
caller by ID number AND phone together, or a booking by the reference read out; acts only for the
account it found, with the citizen's own rules (an operator's cancellation counts towards R11); and
re-sends a booking's confirmation SMS at most three times a Beijing calendar day. Every act, refused ones
too, is audited with the operator's id. The HTTP contract and the route guard stay in
tests/api/test_operator_phone_line.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

import pytest

from hallbook.clock import SHANGHAI
from hallbook.domain import errors
from hallbook.services import audit, bookings, operator, waitlist
from hallbook.services.bookings import BookingRequest
from hallbook.services.reschedule import RescheduleRequest
from hallbook.services.tokens import Caller
from hallbook.store import readcache
from hallbook.store.accounts import Account
from hallbook.store.bookings import Booking
from hallbook.store.memory import MemoryStores
from hallbook.store.stores import installed
from tests.unit.builders import catalog, hall, person, service, slots

pytestmark = [pytest.mark.R1, pytest.mark.R8a, pytest.mark.R11, pytest.mark.R13, pytest.mark.R16]

OFFICE, SERVICE = "test-hall", "ID_RENEW"
MONDAY_9 = datetime(2026, 9, 14, 9, 0, tzinfo=SHANGHAI)
TUESDAY = date(2026, 9, 15)
OPERATOR = Caller("op-1", "operator", None, True)
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
_numbers = count(300)


@dataclass
class World:
    fake: MemoryStores
    audited: list[dict[str, Any]] = field(default_factory=list)

    def citizen(self, role: str = "citizen", name: str = "李四") -> Account:
        n = next(_numbers)
        account = person(n, MONDAY_9, name=name, role=role)
        return self.fake.add_account(account)

    def book(self, account: Account, start: str = "09:00") -> Booking:
        request = BookingRequest(
            office_id=OFFICE,
            service_code=SERVICE,
            date=TUESDAY.isoformat(),
            start=start,
            notice_acknowledged=True,
        )
        caller = Caller(account.account_id, "citizen", None, True)
        return bookings.book(caller, request, None, MONDAY_9)[0]

    def sms(self, account: Account) -> list[str]:
        return [m.text for m in self.fake.bookings.outbox if m.phone == account.phone]

    def outcomes(self, action: str) -> list[str]:
        return [e["outcome"] for e in self.audited if e["action"] == action]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A hall whose slots take 3, released for the next 14 days; the audit log is a list here (its
    store is tested on the embedded AWS), and what a cancellation hands to the waitlist is dropped."""
    timetable = {SERVICE: slots(("09:00", "09:30", 3), ("09:30", "10:00", 3))}
    fake = MemoryStores(catalog([service(SERVICE)], [hall(OFFICE, [SERVICE], timetable)]))
    fake.release(*(MONDAY_9.date() + timedelta(days=i) for i in range(1, 15)))
    world = World(fake)

    def record(caller: Caller, action: str, target: str, now: datetime, **fields: Any) -> None:
        world.audited.append(
            {"actor": caller.account_id, "action": action, "target": target, "outcome": "ok", **fields}
        )

    monkeypatch.setattr(audit, "record", record)
    monkeypatch.setattr(waitlist, "after_cancellation", lambda place, now: None)
    monkeypatch.setattr(waitlist, "offer_free_places", lambda *args: None)
    with installed(fake.stores()), readcache.environment(readcache.ReadCaches()):
        yield world


def refused(code: str, call: Any, *args: Any) -> errors.DomainError:
    with pytest.raises(errors.DomainError) as raised:
        call(*args)
    assert raised.value.code == code, raised.value.detail
    return raised.value


# ---------------------------------------------------------------- finding the caller


def test_a_caller_is_found_by_id_number_and_phone_together_however_written(world):
    citizen = world.citizen()
    assert citizen.id_number and citizen.phone
    written = f" {citizen.id_number.translate(FULL_WIDTH)} "
    found = operator.find_citizen(OPERATOR, written, f"+86 {citizen.phone[:3]}-{citizen.phone[3:]}", MONDAY_9)
    assert found["account_id"] == citizen.account_id and found["name"] == "李*"
    assert found["phone"] == citizen.phone[:3] + "****" + citizen.phone[-4:]
    assert citizen.id_number not in str(found) and citizen.phone not in str(found)
    assert found["restrictions"]["cancellations_this_month"] == 0
    assert world.audited[-1]["target"] == f"ACCOUNT#{citizen.account_id}"
    assert world.audited[-1]["actor"] == OPERATOR.account_id


def test_a_wrong_phone_or_a_staff_account_finds_nobody_and_is_audited(world):
    citizen, other, clerk = world.citizen(), world.citizen(), world.citizen(role="staff")
    assert citizen.id_number and other.phone and clerk.id_number and clerk.phone
    refused("NOT_FOUND", operator.find_citizen, OPERATOR, citizen.id_number, other.phone, MONDAY_9)
    refused("NOT_FOUND", operator.find_citizen, OPERATOR, clerk.id_number, clerk.phone, MONDAY_9)
    assert world.outcomes("operator.find_citizen") == ["NOT_FOUND", "NOT_FOUND"]
    assert citizen.id_number not in str(world.audited)  # masked in the log too


def test_a_reference_read_out_finds_the_latest_booking_with_whom_to_confirm(world):
    citizen = world.citizen()
    booking = world.book(citizen)
    misheard = booking.reference.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    found = operator.find_by_reference(OPERATOR, misheard, MONDAY_9)
    assert found.booking.booking_id == booking.booking_id and found.account_id == citizen.account_id
    assert found.name == "李*" and found.id_number != citizen.id_number
    assert world.audited[-1]["target"] == f"ACCOUNT#{citizen.account_id}/BOOKING#{booking.booking_id}"


def test_guessed_and_malformed_references_are_refused_and_audited(world):
    refused("NOT_FOUND", operator.find_by_reference, OPERATOR, "ABCD-EFGH", MONDAY_9)
    refused("VALIDATION_ERROR", operator.find_by_reference, OPERATOR, "not-a-ref!", MONDAY_9)
    assert world.outcomes("operator.find_booking") == ["NOT_FOUND", "VALIDATION_ERROR"]


# ---------------------------------------------------------------- acting for the caller


def test_the_operator_acts_only_for_the_account_it_found(world):
    citizen, other, clerk = world.citizen(), world.citizen(), world.citizen(role="staff")
    booking = world.book(citizen)
    move = RescheduleRequest(date=TUESDAY.isoformat(), start="09:30")
    for account_id in (other.account_id, clerk.account_id, "no-such-account", "x" * 65):
        refused("NOT_FOUND", operator.cancel, OPERATOR, account_id, booking.booking_id, MONDAY_9)
        refused("NOT_FOUND", operator.reschedule_for, OPERATOR, account_id, booking.booking_id, move, None, MONDAY_9)
        refused("NOT_FOUND", operator.resend_confirmation, OPERATOR, account_id, booking.booking_id, MONDAY_9)
    assert world.fake.bookings.get_booking(booking.booking_id) == booking  # untouched
    assert set(world.outcomes("operator.cancel")) == {"NOT_FOUND"}


def test_the_operator_books_for_the_caller_once_per_idempotency_key(world):
    citizen = world.citizen()
    request = BookingRequest(
        office_id=OFFICE, service_code=SERVICE, date=TUESDAY.isoformat(), start="09:00", notice_acknowledged=True
    )
    booking, created = operator.book(OPERATOR, citizen.account_id, request, "call-1", MONDAY_9)
    again, replayed = operator.book(OPERATOR, citizen.account_id, request, "call-1", MONDAY_9)
    assert created and not replayed and again.booking_id == booking.booking_id
    assert booking.account_id == citizen.account_id and booking.subject_id_number == citizen.id_number
    assert [e["detail"]["replayed"] for e in world.audited if e["action"] == "operator.book"] == [False, True]


def test_an_operators_cancellation_counts_towards_r11_like_the_citizens_own(world):
    citizen = world.citizen()
    booking = world.book(citizen)
    cancelled = operator.cancel(OPERATOR, citizen.account_id, booking.booking_id, MONDAY_9)
    assert cancelled.status == "cancelled" and cancelled.cancelled_by == "operator"
    assert citizen.id_number
    assert world.fake.bookings.get_subject(citizen.id_number).cancel_count == 1


def test_the_operator_reschedules_with_the_citizens_rules_and_one_sms(world):
    citizen = world.citizen()
    booking = world.book(citizen)
    move = RescheduleRequest(date=TUESDAY.isoformat(), start="09:30")
    moved = operator.reschedule_for(OPERATOR, citizen.account_id, booking.booking_id, move, "move-1", MONDAY_9)
    again = operator.reschedule_for(OPERATOR, citizen.account_id, booking.booking_id, move, "move-1", MONDAY_9)
    assert moved.start == "09:30" and again.booking_id == moved.booking_id and again.start == "09:30"
    assert len([t for t in world.sms(citizen) if "已改至" in t]) == 1
    entry = [e for e in world.audited if e["action"] == "operator.reschedule"][0]
    assert entry["before"].start == "09:00" and entry["after"].start == "09:30"


# ---------------------------------------------------------------- re-sending the confirmation


def test_the_confirmation_is_re_sent_three_times_a_beijing_day_then_429_until_midnight(world):
    citizen = world.citizen()
    booking = world.book(citizen)
    late = datetime(2026, 9, 14, 23, 0, tzinfo=SHANGHAI)  # 15:00 UTC: still Monday in Beijing
    before = len(world.sms(citizen))
    for _ in range(operator.RESENDS_PER_DAY):
        operator.resend_confirmation(OPERATOR, citizen.account_id, booking.booking_id, late)
    assert len(world.sms(citizen)) == before + 3 and booking.reference in world.sms(citizen)[-1]
    limited = refused(
        "RATE_LIMITED", operator.resend_confirmation, OPERATOR, citizen.account_id, booking.booking_id, late
    )
    assert limited.extra["retry_after"] == 3600  # until Beijing's midnight, not UTC's
    after_midnight = datetime(2026, 9, 15, 0, 0, 1, tzinfo=SHANGHAI)
    operator.resend_confirmation(OPERATOR, citizen.account_id, booking.booking_id, after_midnight)
    assert world.outcomes("operator.resend_sms") == ["ok", "ok", "ok", "RATE_LIMITED", "ok"]


def test_the_limit_is_per_booking_and_only_a_booked_one_is_re_sent(world):
    citizen = world.citizen()
    first, second = world.book(citizen), world.book(world.citizen())
    for _ in range(operator.RESENDS_PER_DAY):
        operator.resend_confirmation(OPERATOR, citizen.account_id, first.booking_id, MONDAY_9)
    assert second.account_id != citizen.account_id
    operator.resend_confirmation(OPERATOR, second.account_id, second.booking_id, MONDAY_9)  # its own budget
    operator.cancel(OPERATOR, second.account_id, second.booking_id, MONDAY_9)
    refused("INVALID_STATE", operator.resend_confirmation, OPERATOR, second.account_id, second.booking_id, MONDAY_9)
