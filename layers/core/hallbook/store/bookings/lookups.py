"""A booking's other ways in: an account's list, a reference, a subject's day, and the sweep's and
closures' index queries (keys only, then the items).
"""

from __future__ import annotations

from datetime import date, datetime

from ...clock import SHANGHAI
from ..base import page
from .items import SWEEP_SHARDS, Booking, BookingItem, booking_from, get_booking, office_day_key


def list_for_account(account_id: str, limit: int, cursor: str | None) -> tuple[list[Booking], str | None]:
    """The account's bookings (its own and its minors'), newest first, a page at a time."""
    return page(
        lambda last_key: BookingItem.by_account.query(
            account_id, scan_index_forward=False, limit=limit, last_evaluated_key=last_key
        ),
        cursor,
        booking_from,
        f"bookings:{account_id}",
    )


def find_by_reference(reference: str) -> list[Booking]:
    """Bookings with this (normalised) reference: one Query of the by_reference index. References
    are random, so this is almost always one booking; a collision returns both."""
    return [booking_from(i) for i in BookingItem.by_reference.query(reference)]


def subject_bookings_on(id_number: str, day: date) -> list[Booking]:
    """The bookings whose subject is `id_number` on `day` (a keys-only index, then the items)."""
    keys = [i.pk for i in BookingItem.by_subject.query(id_number, BookingItem.date == day.isoformat())]
    return [b for b in (get_booking(k.removeprefix("BOOKING#")) for k in keys) if b is not None]


def account_bookings_made_since(account_id: str, since: datetime) -> list[Booking]:
    """The bookings made from an account (its own and its minors') since `since`, oldest first."""
    return [
        booking_from(i) for i in BookingItem.by_account.query(account_id, BookingItem.created_at >= since.isoformat())
    ]


def _booking_id(pk: str) -> str:
    return pk.removeprefix("BOOKING#")


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
