"""The conditions every write of a booking shares: a slot's room (R7), a booking's status change
(domain.booking.ALLOWED) as read (R8a's `moves`), and the subject item's lock and counters (R9, R11, R12).
Every transaction of a booking or a waitlist entry takes, keeps or releases the subject's lock through
these functions, and counts cancellations and no-shows with them.
"""

from __future__ import annotations

from datetime import date, datetime

from pynamodb.expressions.condition import size
from pynamodb.expressions.operand import Path

from ...domain.booking import Status, check_transition, sources_of
from ...domain.sanctions import CANCELS_PER_MONTH, month_key
from ..base import Items
from ..slots import SlotItem
from .items import Booking, BookingItem, Subject, SubjectItem, booking_key, subject_key

NEW_ITEM = Path("pk").does_not_exist()  # written only if absent (every table's items are keyed `pk`)


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


class SubjectMoved(Exception):
    """The subject (its month's cancellation count, its no-shows) changed since it was read: read again and retry."""


class BookingMoved(Exception):
    """The booking is no longer `booked` where it was read (moved, cancelled, checked in meanwhile)."""
