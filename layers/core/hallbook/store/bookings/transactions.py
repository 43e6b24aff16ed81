"""The booking's transactions: a place taken with the booking (`book_slot`), a cancellation
(`cancel_booking`), a no-show (`mark_no_show`), and sanctions taken back (`void_sanctions`). Each is ONE
DynamoDB transaction over the slot, the subject, the booking and its outbox message: a place is taken or
freed exactly when the booking changes, never beyond capacity, whatever runs at the same time.
"""

from __future__ import annotations

from datetime import date, datetime

from pynamodb.expressions.update import Action
from pynamodb.models import Model

from ...domain.booking import Status
from ...domain.errors import AlreadyBooked, NoSuchSlot, NotCancellable, SlotFull, Suspended, ValidationFailed
from ...domain.sanctions import SubjectRecord
from .. import stats
from ..base import Cancelled, Guard, GuardMoved, Items, transact, transact_unless, updated_if
from ..outbox import Message, send_with
from ..slots import SlotItem, get_slot, slot_item
from .conditions import (
    NEW_ITEM,
    BookingMoved,
    SubjectMoved,
    cancellation_counted,
    change_status,
    moves_as_read,
    no_show_counted,
    no_shows_as_read,
    release_service_lock,
    slot_has_room,
    take_service_lock,
)
from .items import Booking, BookingItem, Subject, SubjectItem, booking_item, get_booking, get_subject, subject_key


class ReplayedBooking(Exception):
    """The booking id (derived from the caller's Idempotency-Key) already exists."""


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
