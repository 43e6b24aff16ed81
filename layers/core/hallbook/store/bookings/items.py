"""The booking aggregate's items (`BOOKING#<id>`, `SUBJECT#<id number>`), their entities and keys, and
the reads by key (strongly consistent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from ...domain.booking import Status
from ...domain.sanctions import SubjectRecord
from ..base import BaseMeta, ByAccount, connection, latest, setting
from ..slots import SlotItem, SlotState, get_slot, slot_pk, slot_sk, slot_state

if TYPE_CHECKING:
    from datetime import date as Day  # the name `date` is a field in Booking's body


class ByReference(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_reference"
        projection = AllProjection()

    reference = UnicodeAttribute(hash_key=True)


class BySubject(GlobalSecondaryIndex):
    """Keys of a subject's bookings by day: check-in by ID number (R14), also for a minor's."""

    class Meta:
        index_name = "by_subject"
        projection = KeysOnlyProjection()

    subject_id_number = UnicodeAttribute(hash_key=True)
    date = UnicodeAttribute(range_key=True)


class ByOfficeDay(GlobalSecondaryIndex):
    """Keys of one hall's bookings of one day, every status, in booking order: closures (cancel the
    day's bookings) and anything else that needs a hall's day."""

    class Meta:
        index_name = "by_office_day"
        projection = KeysOnlyProjection()

    office_day = UnicodeAttribute(hash_key=True)  # <office_id>#<YYYY-MM-DD>
    created_at = UnicodeAttribute(range_key=True)


class BySlotEnd(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_slot_end"
        projection = KeysOnlyProjection()

    sweep_day = UnicodeAttribute(hash_key=True)
    sweep_at = UnicodeAttribute(range_key=True)


class BookingItem(Model):
    class Meta(BaseMeta):
        table_name = setting("bookings_table")

    pk = UnicodeAttribute(hash_key=True)  # BOOKING#<booking_id>
    booking_id = UnicodeAttribute()
    reference = UnicodeAttribute()
    account_id = UnicodeAttribute()
    subject_id_number = UnicodeAttribute()
    office_id = UnicodeAttribute()
    service_code = UnicodeAttribute()
    date = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    cancelled_by = UnicodeAttribute(null=True)  # citizen | hall | operator
    cancel_reason = UnicodeAttribute(null=True)
    # present only while the booking is `booked`: the sparse index the no-show sweep queries (R12)
    sweep_day = UnicodeAttribute(null=True)
    sweep_at = UnicodeAttribute(null=True)
    # at the hall (R14, R15): set by store.tickets in the check-in and completion transactions
    checked_in_at = UnicodeAttribute(null=True)
    ticket_id = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    moves = NumberAttribute(null=True)  # R8a: how often it was rescheduled (absent: never)
    newborn_name = UnicodeAttribute(null=True)  # R2: a newborn's booking (its subject is the certificate number)

    by_account = ByAccount()
    by_reference = ByReference()
    by_slot_end = BySlotEnd()
    by_subject = BySubject()
    office_day = UnicodeAttribute(null=True)  # <office_id>#<date>: the by_office_day index (closures)
    by_office_day = ByOfficeDay()


class SubjectItem(Model):
    class Meta(BaseMeta):
        table_name = setting("bookings_table")

    pk = UnicodeAttribute(hash_key=True)  # SUBJECT#<id number>
    active_services = UnicodeSetAttribute(null=True)  # R9 lock: services with a `booked` booking
    cancel_month = UnicodeAttribute(null=True)  # R11: "YYYY-MM" of cancel_count
    cancel_count = NumberAttribute(null=True)
    no_shows: ListAttribute[Any] = ListAttribute(of=UnicodeAttribute, null=True)  # R12: days of no-shows (str)
    noshow_until = UnicodeAttribute(null=True)  # R12: instant the no-show suspension ends


@dataclass(frozen=True)
class Booking:
    booking_id: str
    reference: str
    account_id: str
    subject_id_number: str
    office_id: str
    service_code: str
    date: date
    start: str
    end: str
    status: str
    created_at: str
    updated_at: str | None = None
    cancelled_by: str | None = None
    cancel_reason: str | None = None
    moves: int = 0  # R8a: how often it was rescheduled; each move's SMS, reminder and freed place derive from it
    newborn_name: str | None = None  # R2: a newborn's business: its name; subject_id_number is its certificate
    ticket_id: str | None = None  # R14: its queue ticket once checked in

    def same_request(self, office_id: str, service_code: str, day: Day, start: str, subject: str) -> bool:
        return (self.office_id, self.service_code, self.date, self.start, self.subject_id_number) == (
            office_id,
            service_code,
            day,
            start,
            subject,
        )


@dataclass
class Subject:
    id_number: str
    active_services: set[str] = field(default_factory=set)
    cancel_month: str | None = None
    cancel_count: int = 0
    no_shows: list[date] = field(default_factory=list)
    noshow_until: str | None = None

    def record(self) -> SubjectRecord:
        cancellations = {self.cancel_month: self.cancel_count} if self.cancel_month else {}
        return SubjectRecord(cancellations=cancellations, no_shows=list(self.no_shows))


def booking_key(booking_id: str) -> str:
    return f"BOOKING#{booking_id}"


def subject_key(id_number: str) -> str:
    return f"SUBJECT#{id_number}"


def booking_from(item: BookingItem) -> Booking:
    return Booking(
        booking_id=item.booking_id,
        reference=item.reference,
        account_id=item.account_id,
        subject_id_number=item.subject_id_number,
        office_id=item.office_id,
        service_code=item.service_code,
        date=date.fromisoformat(item.date),
        start=item.start,
        end=item.end,
        status=item.status,
        created_at=item.created_at,
        updated_at=item.updated_at,
        cancelled_by=item.cancelled_by,
        cancel_reason=item.cancel_reason,
        moves=int(item.moves or 0),
        newborn_name=item.newborn_name,
        ticket_id=item.ticket_id,
    )


def get_booking(booking_id: str) -> Booking | None:
    item = latest(BookingItem, booking_key(booking_id))
    return None if item is None else booking_from(item)


def get_subject(id_number: str) -> Subject:
    item = latest(SubjectItem, subject_key(id_number))
    if item is None:
        return Subject(id_number)
    return subject_from(id_number, item)


def subject_from(id_number: str, item: SubjectItem) -> Subject:
    return Subject(
        id_number=id_number,
        active_services=set(item.active_services or ()),
        cancel_month=item.cancel_month,
        cancel_count=int(item.cancel_count or 0),
        no_shows=[date.fromisoformat(d) for d in item.no_shows or []],
        noshow_until=item.noshow_until,
    )


def read_for_booking(
    booking_id: str, id_number: str, office_id: str, service_code: str, day: date, start: str
) -> tuple[Booking | None, Subject, SlotState | None]:
    """Everything a booking decides on before it writes, in ONE BatchGetItem across two tables
    (strongly consistent): the idempotency probe (the booking id the key derives), the subject's
    lock and limits, and the slot's places."""
    bookings_table, slots_table = BookingItem.Meta.table_name, SlotItem.Meta.table_name
    request = {
        bookings_table: {
            "Keys": [{"pk": {"S": booking_key(booking_id)}}, {"pk": {"S": subject_key(id_number)}}],
            "ConsistentRead": True,
        },
        slots_table: {
            "Keys": [{"pk": {"S": slot_pk(office_id, service_code)}, "sk": {"S": slot_sk(day, start)}}],
            "ConsistentRead": True,
        },
    }
    response = connection().client.batch_get_item(RequestItems=request)
    if response.get("UnprocessedKeys"):  # throttled: read them one by one
        return get_booking(booking_id), get_subject(id_number), get_slot(office_id, service_code, day, start)
    booking: Booking | None = None
    subject = Subject(id_number)
    for raw in response["Responses"].get(bookings_table, []):
        if raw["pk"]["S"].startswith("BOOKING#"):
            booking = booking_from(BookingItem.from_raw_data(raw))
        else:
            subject = subject_from(id_number, SubjectItem.from_raw_data(raw))
    slots = response["Responses"].get(slots_table, [])
    return booking, subject, slot_state(SlotItem.from_raw_data(slots[0])) if slots else None


def booking_item(booking: Booking, slot_ends_at: datetime) -> BookingItem:
    """A new `booked` booking's item, in the no-show sweep's index (R12) and its hall's day (closures)."""
    return BookingItem(
        booking_key(booking.booking_id),
        booking_id=booking.booking_id,
        reference=booking.reference,
        account_id=booking.account_id,
        subject_id_number=booking.subject_id_number,
        office_id=booking.office_id,
        service_code=booking.service_code,
        date=booking.date.isoformat(),
        start=booking.start,
        end=booking.end,
        status=Status.BOOKED.value,
        created_at=booking.created_at,
        sweep_day=sweep_key(slot_ends_at.date(), booking.booking_id),
        sweep_at=f"{slot_ends_at.isoformat()}#{booking.booking_id}",
        office_day=office_day_key(booking.office_id, booking.date),
        newborn_name=booking.newborn_name,
    )


def office_day_key(office_id: str, day: date) -> str:
    return f"{office_id}#{day.isoformat()}"


SWEEP_SHARDS = 10


def sweep_key(day: date, booking_id: str) -> str:
    """The by_slot_end partition of a booking: its slot's day and one of SWEEP_SHARDS shards. At noon
    every booking of the city lands on the same day; spread over shards, the index's writes stay far
    below one partition's limit (~1,000 writes/s), which would otherwise throttle the bookings."""
    return f"{day.isoformat()}#{int(booking_id[:8], 16) % SWEEP_SHARDS}"


def get_bookings(booking_ids: list[str]) -> list[Booking]:
    """Bookings by id, strongly consistent, 100 to a BatchGetItem request (pynamodb retries the
    unprocessed keys); ids that do not exist are left out."""
    keys = [booking_key(b) for b in dict.fromkeys(booking_ids)]
    return [booking_from(i) for i in BookingItem.batch_get(keys, consistent_read=True)] if keys else []


def get_subjects(id_numbers: list[str]) -> dict[str, Subject]:
    """Subjects by ID number, strongly consistent, 100 to a BatchGetItem request."""
    numbers = list(dict.fromkeys(id_numbers))
    found = {
        item.pk.removeprefix("SUBJECT#"): item
        for item in (SubjectItem.batch_get([subject_key(n) for n in numbers], consistent_read=True) if numbers else [])
    }
    return {n: subject_from(n, found[n]) if n in found else Subject(n) for n in numbers}
