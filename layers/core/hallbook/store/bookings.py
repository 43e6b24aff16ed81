"""The booking aggregate (R7-R13): booking items `BOOKING#<id>` and one subject item
`SUBJECT#<id number>` per person booked for, which carries the one-active-booking-per-service lock
(R9) and the counters the suspensions are derived from (R11, R12).

`book_slot` and `cancel_booking` are single DynamoDB transactions over the slot, the subject, the
booking and its outbox message: a place is taken or freed exactly when the booking changes, and
never beyond capacity, whatever runs at the same time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.expressions.condition import size
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from ..clock import SHANGHAI
from ..domain.booking import Status, check_transition, sources_of
from ..domain.errors import AlreadyBooked, NoSuchSlot, NotCancellable, SlotFull, Suspended, ValidationFailed
from ..domain.sanctions import CANCELS_PER_MONTH, SubjectRecord, month_key
from . import stats
from .base import (
    BaseMeta,
    ByAccount,
    Cancelled,
    Guard,
    GuardMoved,
    Items,
    connection,
    latest,
    page,
    setting,
    transact,
    transact_unless,
    updated_if,
)
from .outbox import Message, send_with
from .slots import SlotItem, SlotState, get_slot, slot_item, slot_pk, slot_sk, slot_state

NEW_ITEM = Path("pk").does_not_exist()  # written only if absent (every table's items are keyed `pk`)

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


class ReplayedBooking(Exception):
    """The booking id (derived from the caller's Idempotency-Key) already exists."""


def booking_key(booking_id: str) -> str:
    return f"BOOKING#{booking_id}"


def subject_key(id_number: str) -> str:
    return f"SUBJECT#{id_number}"


def _booking(item: BookingItem) -> Booking:
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
    return None if item is None else _booking(item)


def get_subject(id_number: str) -> Subject:
    item = latest(SubjectItem, subject_key(id_number))
    if item is None:
        return Subject(id_number)
    return _subject(id_number, item)


def _subject(id_number: str, item: SubjectItem) -> Subject:
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
            booking = _booking(BookingItem.from_raw_data(raw))
        else:
            subject = _subject(id_number, SubjectItem.from_raw_data(raw))
    slots = response["Responses"].get(slots_table, [])
    return booking, subject, slot_state(SlotItem.from_raw_data(slots[0])) if slots else None


def slot_has_room():
    """R7: the slot exists, is not closed, and has a place: `booked < capacity` (held and delayed
    places are in `booked`, store.slots). Every path that takes a place uses exactly this."""
    return (
        SlotItem.pk.exists()
        & (SlotItem.booked < SlotItem.capacity)
        & (SlotItem.closed.does_not_exist() | (SlotItem.closed == False))  # noqa: E712
    )


# ---------------------------------------------------------------- the subject item's conditions (R9, R11, R12)
# Every transaction of a booking or a waitlist entry takes, keeps or releases the subject's lock
# (`active_services`) through these functions, and counts cancellations and no-shows with them.


def not_suspended(now: datetime):
    """R11, R12 on the subject item: fewer than CANCELS_PER_MONTH cancellations this month, and no
    no-show suspension running (`noshow_until`, derived by domain.sanctions when the no-show is written)."""
    this_month = month_key(now.date())
    return (
        SubjectItem.cancel_month.does_not_exist()
        | (SubjectItem.cancel_month != this_month)
        | (SubjectItem.cancel_count < CANCELS_PER_MONTH)
    ) & (SubjectItem.noshow_until.does_not_exist() | (SubjectItem.noshow_until <= now.isoformat()))


def take_service_lock(tx: Items, id_number: str, service_code: str, now: datetime) -> None:
    """R9 with R11, R12: the subject takes its one lock on the service (label "subject"), refused
    when it holds that lock already or is suspended (booking_failure tells which)."""
    tx.update(
        "subject",
        SubjectItem(subject_key(id_number)),
        [SubjectItem.active_services.add({service_code})],
        ~SubjectItem.active_services.contains(service_code) & not_suspended(now),
    )


def keep_service_lock(tx: Items, id_number: str, service_code: str, now: datetime) -> None:
    """R9 with R11, R12: a check (label "subject") that the subject still holds its lock on the service
    (a waitlist entry's, passing to the booking it becomes) and is not suspended."""
    tx.check(
        "subject",
        SubjectItem,
        subject_key(id_number),
        SubjectItem.active_services.contains(service_code) & not_suspended(now),
    )


def release_service_lock(tx: Items, id_number: str, service_code: str, actions: tuple = (), condition=None) -> None:
    """R9: the subject's lock on the service is released (label "subject"; the subject must exist),
    with `actions` on the subject in the same update under `condition` (the counters' below)."""
    unchanged = SubjectItem.pk.exists() if condition is None else SubjectItem.pk.exists() & condition
    tx.update(
        "subject",
        SubjectItem(subject_key(id_number)),
        [SubjectItem.active_services.delete({service_code}), *actions],
        unchanged,
    )


def cancellation_counted(subject: Subject, now: datetime) -> tuple[tuple, object]:
    """R11: actions and condition that count one cancellation at `now` in the subject's month counter,
    optimistic on the counter read in `subject` (a new month starts again at one)."""
    this_month = month_key(now.date())
    if subject.cancel_month == this_month:
        return (
            (SubjectItem.cancel_count.set(subject.cancel_count + 1),),
            (SubjectItem.cancel_month == this_month) & (SubjectItem.cancel_count == subject.cancel_count),
        )
    return (
        (SubjectItem.cancel_month.set(this_month), SubjectItem.cancel_count.set(1)),
        SubjectItem.cancel_month.does_not_exist()
        if subject.cancel_month is None
        else SubjectItem.cancel_month == subject.cancel_month,
    )


def no_shows_as_read(subject: Subject):
    """R12: the subject's no-shows are still the list read in `subject` (it is only ever appended to, or
    shortened by a reclaim under this same condition)."""
    unchanged = size(SubjectItem.no_shows) == len(subject.no_shows)
    return unchanged if subject.no_shows else SubjectItem.no_shows.does_not_exist() | unchanged


def no_show_counted(subject: Subject, day: date, noshow_until: str | None) -> tuple[tuple, object]:
    """R12: actions and condition that append the no-show on `day` to the subject's no-shows, with the
    suspension it starts or extends (`noshow_until`, from domain.sanctions), optimistic on the list read."""
    shows = [d.isoformat() for d in subject.no_shows]
    actions = [SubjectItem.no_shows.set([*shows, day.isoformat()])]
    if noshow_until:
        actions.append(SubjectItem.noshow_until.set(noshow_until))
    return tuple(actions), no_shows_as_read(subject)


# ---------------------------------------------------------------- the booking's status


def change_status(
    tx: Items,
    booking_id: str,
    target: Status,
    now: datetime,
    actions: tuple = (),
    condition=None,
    source: Status | None = None,
) -> None:
    """The booking becomes `target` (label "booking") only from a status domain.booking.ALLOWED lists
    for it (or only from `source`, when given: a change that must not happen from the table's other
    sources): the condition is `status IN` those sources (and `condition`, e.g. moves_as_read).
    Leaving `booked` takes the booking out of the no-show sweep's index. Raises TransitionNotAllowed,
    writing nothing, when no status may become `target`."""
    if source is not None:
        check_transition(source, target)
        sources = frozenset({Status(source)})
    else:
        sources = sources_of(target)
    if Status.BOOKED in sources:
        actions = (*actions, BookingItem.sweep_day.remove(), BookingItem.sweep_at.remove())
    allowed_from = BookingItem.status.is_in(*sorted(s.value for s in sources))
    tx.update(
        "booking",
        BookingItem(booking_key(booking_id)),
        [BookingItem.status.set(Status(target).value), BookingItem.updated_at.set(now.isoformat()), *actions],
        allowed_from if condition is None else allowed_from & condition,
    )


def moves_as_read(booking: Booking):
    """R8a: the booking is still where it was read (not rescheduled since): a write that frees or
    counts its slot must not act on a slot it has left."""
    if booking.moves == 0:
        return BookingItem.moves.does_not_exist() | (BookingItem.moves == 0)
    return BookingItem.moves == booking.moves


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


def booking_failure(booking: Booking, now: datetime, cancelled: Cancelled) -> Exception | None:
    """The contract's refusal for a booking transaction whose slot or subject condition failed."""
    if cancelled.failed("slot"):
        state = get_slot(booking.office_id, booking.service_code, booking.date, booking.start)
        if state is None or state.closed:
            return NoSuchSlot("There is no slot at that date and time.")
        return SlotFull("That slot has just been fully booked; please choose another.")
    if cancelled.failed("subject"):
        current = get_subject(booking.subject_id_number)
        if booking.service_code in current.active_services:
            return AlreadyBooked("There is already an active booking for this service.")
        suspension = current.record().suspension(now)
        return Suspended(
            suspension.detail() if suspension else "Booking is suspended.",
            suspended_until=suspension.until.isoformat() if suspension else None,
        )
    return None


def book_slot(
    booking: Booking,
    message: Message,
    now: datetime,
    slot_ends_at: datetime,
    also: tuple[Message, ...] = (),
    slot_was_open: bool = False,
    guard: Guard | None = None,
) -> None:
    """Take one place and record the booking, atomically (R7, R9, R11, R12).

    One TransactWriteItems: the slot (`booked < capacity`, not closed), the subject (no active
    booking for the service, not suspended), the booking (its id not used yet: idempotent replays)
    and the booked SMS. Raises SlotFull, NoSuchSlot, AlreadyBooked, Suspended or ReplayedBooking.
    `slot_was_open`: the caller read the slot released and open just before, so a refusal on the slot
    is a lost race for its last place (SlotFull) without reading it again (a closure in those
    milliseconds is then answered SLOT_FULL rather than NO_SUCH_SLOT: both refuse). `guard` adds
    condition checks labelled "guard" (a family proxy's authorisation as read: R20); GuardMoved when
    one failed."""
    slot = slot_item(booking.office_id, booking.service_code, booking.date, booking.start)

    def build(tx: Items) -> None:
        tx.update("slot", slot, [SlotItem.booked.add(1)], slot_has_room())
        take_service_lock(tx, booking.subject_id_number, booking.service_code, now)
        tx.put("booking", booking_item(booking, slot_ends_at), BookingItem.pk.does_not_exist())
        send_with(tx, [message, *also])  # also: e.g. the day-before reminder of a booking made after the reminder run
        if guard is not None:
            guard(tx)

    try:
        transact(build)
    except Cancelled as cancelled:
        if cancelled.failed("booking"):
            raise ReplayedBooking() from None
        if cancelled.failed("guard"):
            raise GuardMoved() from None
        if slot_was_open and cancelled.failed("slot"):  # read open and released just before: a race lost
            raise SlotFull("That slot has just been fully booked; please choose another.") from None
        refusal = booking_failure(booking, now, cancelled)
        if refusal is not None:
            raise refusal from None
        raise


class SubjectMoved(Exception):
    """The subject (its month's cancellation count, its no-shows) changed since it was read: read again and retry."""


def cancel_booking(
    booking: Booking,
    subject: Subject,
    now: datetime,
    by: str,
    reason: str | None,
    messages: list[Message],
    count_against_subject: bool,
    delayed_place: Model | None = None,
) -> None:
    """Cancel a `booked` booking at once (R10), atomically with the subject's lock release, its
    cancellation counter (R11, optimistic on the value read) and the SMS. Its place is freed, or,
    with `delayed_place` (a place's item, store.waitlist.delayed_place_item: R18, R19, written only if
    new), stays taken as a delayed place:
    `booked` unchanged, `held` + 1 and the place's item written, in the same transaction.
    Raises NotCancellable if the booking is no longer `booked`, SubjectMoved on a concurrent change of
    the subject, BookingMoved when the booking was rescheduled since it was read (R8a)."""
    counted, unchanged = cancellation_counted(subject, now) if count_against_subject else ((), None)

    def build(tx: Items) -> None:
        change_status(
            tx,
            booking.booking_id,
            Status.CANCELLED,
            now,
            (BookingItem.cancelled_by.set(by), *([BookingItem.cancel_reason.set(reason)] if reason else [])),
            moves_as_read(booking),  # R8a: a booking moved meanwhile is read again (BookingMoved)
        )
        slot = slot_item(booking.office_id, booking.service_code, booking.date, booking.start)
        if delayed_place is None:
            tx.update("slot", slot, [SlotItem.booked.add(-1)], SlotItem.booked > 0)
        else:  # the place stays taken (in `booked`), now as a delayed place
            tx.update("slot", slot, [SlotItem.held.add(1)], SlotItem.booked > 0)
            tx.put("place", delayed_place, NEW_ITEM)
        release_service_lock(tx, booking.subject_id_number, booking.service_code, counted, unchanged)
        stats.count_in(tx, booking.office_id, booking.service_code, booking.date, **{stats.cancelled_count_name(by): 1})
        send_with(tx, messages)

    try:
        transact(
            build,
            {"subject": SubjectMoved, "slot": ValidationFailed("the slot of this booking is gone")},
        )
    except Cancelled as cancelled:
        if not cancelled.failed("booking"):
            raise
        current = get_booking(booking.booking_id)
        if current is not None and current.status == Status.BOOKED.value and current.moves != booking.moves:
            raise BookingMoved() from None  # rescheduled since it was read: read it again
        raise NotCancellable("Only a booking in status `booked` can be cancelled.") from None


class RescheduleItem(Model):
    """R8a: an Idempotency-Key of a reschedule (`RESCHEDULE#<hash of the caller and the key>`), written
    in the move's transaction: a retry finds it and answers the booking without moving it twice."""

    class Meta(BaseMeta):
        table_name = setting("bookings_table")

    pk = UnicodeAttribute(hash_key=True)
    booking_id = UnicodeAttribute()
    office_id = UnicodeAttribute()
    date = UnicodeAttribute()
    start = UnicodeAttribute()
    created_at = UnicodeAttribute()


@dataclass(frozen=True)
class RescheduleKey:
    key_id: str  # RESCHEDULE#<hash>
    booking_id: str
    office_id: str
    date: date
    start: str


class BookingMoved(Exception):
    """The booking is no longer `booked` where it was read (moved, cancelled, checked in meanwhile)."""


class ReplayedReschedule(Exception):
    """The reschedule's Idempotency-Key was already used (store.bookings.get_reschedule_key tells for what)."""


def get_reschedule_key(key_id: str) -> RescheduleKey | None:
    item = latest(RescheduleItem, key_id)
    if item is None:
        return None
    return RescheduleKey(item.pk, item.booking_id, item.office_id, date.fromisoformat(item.date), item.start)


def move_booking(
    booking: Booking,
    moved: Booking,
    now: datetime,
    slot_ends_at: datetime,
    messages: list[Message],
    delayed_place: Model,
    key_id: str | None = None,
) -> None:
    """R8a: move a `booked` booking to another slot of its service in ONE transaction: the new slot's
    place is taken (`booked < capacity`, not closed: R7) in the same write that keeps the old one taken
    as a delayed place (`held` + 1 and the place's item, as a citizen's cancellation does: R18, R19),
    and the booking changes only if it is still `booked` where it was read (its `moves` as read), so two
    moves or a move and a cancellation can never both succeed. The subject's R9 lock on the service is
    untouched (it stays the one active booking) and no cancellation is counted (R11). `key_id`: the
    Idempotency-Key's record, written only if absent.
    Raises SlotFull or NoSuchSlot (the new slot), BookingMoved, ReplayedReschedule."""
    new_slot = slot_item(moved.office_id, moved.service_code, moved.date, moved.start)
    old_slot = slot_item(booking.office_id, booking.service_code, booking.date, booking.start)
    as_read = moves_as_read(booking)

    def build(tx: Items) -> None:
        tx.update("slot", new_slot, [SlotItem.booked.add(1)], slot_has_room())
        tx.update("old_slot", old_slot, [SlotItem.held.add(1)], SlotItem.booked > 0)
        tx.put("place", delayed_place, NEW_ITEM)
        tx.update(
            "booking",
            BookingItem(booking_key(booking.booking_id)),
            [
                BookingItem.office_id.set(moved.office_id),
                BookingItem.date.set(moved.date.isoformat()),
                BookingItem.start.set(moved.start),
                BookingItem.end.set(moved.end),
                BookingItem.office_day.set(office_day_key(moved.office_id, moved.date)),
                BookingItem.sweep_day.set(sweep_key(slot_ends_at.date(), booking.booking_id)),
                BookingItem.sweep_at.set(f"{slot_ends_at.isoformat()}#{booking.booking_id}"),
                BookingItem.moves.set(moved.moves),
                BookingItem.updated_at.set(now.isoformat()),
            ],
            (BookingItem.status == Status.BOOKED.value) & as_read,
        )
        if key_id is not None:
            tx.put(
                "key",
                RescheduleItem(
                    key_id,
                    booking_id=booking.booking_id,
                    office_id=moved.office_id,
                    date=moved.date.isoformat(),
                    start=moved.start,
                    created_at=now.isoformat(),
                ),
                RescheduleItem.pk.does_not_exist(),
            )
        send_with(tx, messages)

    try:
        transact(build)
    except Cancelled as cancelled:
        if cancelled.failed("key"):
            raise ReplayedReschedule() from None
        if cancelled.failed("booking") or cancelled.failed("old_slot"):
            raise BookingMoved() from None
        if cancelled.failed("slot"):
            state = get_slot(moved.office_id, moved.service_code, moved.date, moved.start)
            if state is None or state.closed:
                raise NoSuchSlot("There is no slot at that date and time.") from None
            raise SlotFull("That slot has just been fully booked; please choose another.") from None
        raise


def void_sanctions(id_number: str, month: str, cancellations: int, no_show_days: list[date]) -> None:
    """R1 reclaim: take back `cancellations` of `month` and the no-shows on `no_show_days` that a
    stranger's account caused on the subject; the no-show suspension is derived again from what is
    left. Optimistic on the values read (retried a few times)."""
    for _ in range(5):
        subject = get_subject(id_number)
        shows = list(subject.no_shows)
        for day in no_show_days:
            if day in shows:
                shows.remove(day)
        suspension = SubjectRecord(no_shows=shows).no_show_suspension()
        actions: list[Action] = [SubjectItem.no_shows.set([d.isoformat() for d in shows])]
        actions.append(
            SubjectItem.noshow_until.set(suspension.until.isoformat())
            if suspension
            else SubjectItem.noshow_until.remove()
        )
        condition = SubjectItem.pk.exists() & no_shows_as_read(subject)
        if subject.cancel_month == month and cancellations:
            actions.append(SubjectItem.cancel_count.set(max(0, subject.cancel_count - cancellations)))
            condition &= SubjectItem.cancel_count == subject.cancel_count
        if updated_if(SubjectItem(subject_key(id_number)), actions, condition):
            return
    raise SubjectMoved()


def list_for_account(account_id: str, limit: int, cursor: str | None) -> tuple[list[Booking], str | None]:
    """The account's bookings (its own and its minors'), newest first, a page at a time."""
    return page(
        lambda last_key: BookingItem.by_account.query(
            account_id, scan_index_forward=False, limit=limit, last_evaluated_key=last_key
        ),
        cursor,
        _booking,
        f"bookings:{account_id}",
    )


def find_by_reference(reference: str) -> list[Booking]:
    """Bookings with this (normalised) reference: one Query of the by_reference index. References
    are random, so this is almost always one booking; a collision returns both."""
    return [_booking(i) for i in BookingItem.by_reference.query(reference)]


def subject_bookings_on(id_number: str, day: date) -> list[Booking]:
    """The bookings whose subject is `id_number` on `day` (a keys-only index, then the items)."""
    keys = [i.pk for i in BookingItem.by_subject.query(id_number, BookingItem.date == day.isoformat())]
    return [b for b in (get_booking(k.removeprefix("BOOKING#")) for k in keys) if b is not None]


def account_bookings_made_since(account_id: str, since: datetime) -> list[Booking]:
    """The bookings made from an account (its own and its minors') since `since`, oldest first."""
    return [_booking(i) for i in BookingItem.by_account.query(account_id, BookingItem.created_at >= since.isoformat())]


# ---------------------------------------------------------------- scheduled jobs and closures (R12, R16)


def office_day_key(office_id: str, day: date) -> str:
    return f"{office_id}#{day.isoformat()}"


def _booking_id(pk: str) -> str:
    return pk.removeprefix("BOOKING#")


SWEEP_SHARDS = 10


def sweep_key(day: date, booking_id: str) -> str:
    """The by_slot_end partition of a booking: its slot's day and one of SWEEP_SHARDS shards. At noon
    every booking of the city lands on the same day; spread over shards, the index's writes stay far
    below one partition's limit (~1,000 writes/s), which would otherwise throttle the bookings."""
    return f"{day.isoformat()}#{int(booking_id[:8], 16) % SWEEP_SHARDS}"


def _sweep_partitions(day: date) -> list[str]:
    return [f"{day.isoformat()}#{shard}" for shard in range(SWEEP_SHARDS)]


def due_for_sweep(day: date, now: datetime) -> list[str]:
    """Ids of the bookings on `day` still `booked` whose slot ended before `now`: a Query of the sparse
    by_slot_end index (keys only; one request per 1 MB page, ~10,000 keys), never a scan. A slot
    ending at 09:30:00 is due from 09:30:01 (check-in is still in time at the very end, R14)."""
    bound = now.astimezone(SHANGHAI).replace(microsecond=0).isoformat()
    return [
        _booking_id(i.pk)
        for key in _sweep_partitions(day)
        for i in BookingItem.by_slot_end.query(key, BookingItem.sweep_at < bound)
    ]


def booked_on(day: date) -> list[str]:
    """Ids of every booking on `day` still `booked`: the same sparse index, the whole day."""
    return [_booking_id(i.pk) for key in _sweep_partitions(day) for i in BookingItem.by_slot_end.query(key)]


def office_day_bookings(office_id: str, day: date) -> list[str]:
    """Ids of one hall's bookings of one day, every status: a Query of by_office_day (keys only)."""
    return [_booking_id(i.pk) for i in BookingItem.by_office_day.query(office_day_key(office_id, day))]


def get_bookings(booking_ids: list[str]) -> list[Booking]:
    """Bookings by id, strongly consistent, 100 to a BatchGetItem request (pynamodb retries the
    unprocessed keys); ids that do not exist are left out."""
    keys = [booking_key(b) for b in dict.fromkeys(booking_ids)]
    return [_booking(i) for i in BookingItem.batch_get(keys, consistent_read=True)] if keys else []


def get_subjects(id_numbers: list[str]) -> dict[str, Subject]:
    """Subjects by ID number, strongly consistent, 100 to a BatchGetItem request."""
    numbers = list(dict.fromkeys(id_numbers))
    found = {
        item.pk.removeprefix("SUBJECT#"): item
        for item in (SubjectItem.batch_get([subject_key(n) for n in numbers], consistent_read=True) if numbers else [])
    }
    return {n: _subject(n, found[n]) if n in found else Subject(n) for n in numbers}


def mark_no_show(
    booking: Booking,
    subject: Subject,
    now: datetime,
    messages: list[Message],
    noshow_until: str | None,
    count_against_subject: bool = True,
) -> bool:
    """R12: a `booked` booking becomes `no_show` in one transaction with its subject (the R9 lock on
    the service released, the day appended to the no-shows, the suspension it starts) and its SMS.

    Optimistic on the no-shows read: raises SubjectMoved if the list changed since (read the subject
    again and retry). Returns False, changing nothing, when the booking is no longer `booked`
    (checked in, cancelled, or swept by another run): safe to run twice, late or concurrently."""
    # R2: not counted when the booking's account no longer holds a guardian link
    counted, unchanged = no_show_counted(subject, booking.date, noshow_until) if count_against_subject else ((), None)

    def build(tx: Items) -> None:
        change_status(tx, booking.booking_id, Status.NO_SHOW, now, source=Status.BOOKED)  # R12: the sweep's
        release_service_lock(tx, booking.subject_id_number, booking.service_code, counted, unchanged)
        stats.count_in(tx, booking.office_id, booking.service_code, booking.date, no_shows=1)
        send_with(tx, messages)

    return transact_unless("booking", build, {"subject": SubjectMoved})


ERASED = "erased#"  # a pseudonymised subject (PIPL closure): never an ID number, never looked up


def pseudonymise_for_account(account_id: str, pseudonym: Any) -> int:
    """PIPL, an account's closure: in every booking it made that is no longer `booked`, the subject's
    ID number is replaced by `ERASED + pseudonym(number)` and a newborn's name removed (each under the
    condition that the booking is still not `booked`). The subject's R11/R12 record stays keyed by the
    number (what the law keeps). The number of bookings rewritten."""
    done, cursor = 0, None
    while True:
        bookings, cursor = list_for_account(account_id, 100, cursor)
        for booking in bookings:
            if booking.status == Status.BOOKED.value or booking.subject_id_number.startswith(ERASED):
                continue
            if updated_if(
                BookingItem(booking_key(booking.booking_id)),
                [
                    BookingItem.subject_id_number.set(ERASED + pseudonym(booking.subject_id_number)),
                    BookingItem.newborn_name.remove(),
                ],
                BookingItem.pk.exists() & (BookingItem.status != Status.BOOKED.value),
            ):
                done += 1
        if not cursor:
            return done
