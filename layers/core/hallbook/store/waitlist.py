"""The waitlist aggregate (R18, R19) in WaitlistTable: entries `WAIT#<id>` and places `PLACE#<id>`.

A place item stands for one place of a slot that is taken but not booked (hallbook.domain.waitlist):
`delayed` (freed by a cancellation, returning to the pool at `return_at` unless an entry takes it
first) or `offered` (held for one entry until `offer_until`). The slot's `held` counts them: every
function here that creates or deletes a place item changes `held` in the same transaction, so
`held` is always the number of place items of the slot, and `booked - held` its bookings.

This module keeps the items, their reads and how a new one is written; the transactions that move
an entry or a place, each named by what it guarantees, are store.waitlist_transactions:
- join: the entry and the subject's R9 lock on the service, under book_slot's own subject condition;
- offer_delayed_place: a delayed place becomes an offer to a *waiting* entry (no counter moves);
- hold_free_place: a free place becomes an offer, under book_slot's own slot condition (R7);
- accept_offer: the offer becomes a booking (the place leaves `held`, `booked` unchanged, R9 lock kept);
- pass_offer_on: an offer ends (declined, timed out) and its place is delayed again, the R9 lock freed;
- return_to_pool: a delayed place becomes free (`booked` and `held` - 1);
- end_entry: a waiting entry ends (left, cut-off), its lock freed;
- withdraw_place: a hall closure drops a place (and ends the entry it was offered to).
Every condition that fails is an answer (EntryMoved, PlaceMoved, or the booking's refusals).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from ..clock import SHANGHAI
from ..domain.waitlist import EntryStatus, PlaceState
from .base import BaseMeta, ByAccount, latest, setting

DUE_SHARDS = 2  # the by_due index's partitions ("DUE#0", "DUE#1"): 2,000 writes/s, and two Queries a timer run
KEEP_DAYS = 60  # ended entries and their history expire (TTL) this long after their day
PLACES_AFTER = "~"  # in by_queue, places sort after every entry (entries: "<join number, 12 digits>#<id>")


class ByQueue(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_queue"
        projection = AllProjection()

    queue = UnicodeAttribute(hash_key=True)  # <office_id>#<service_code>#<date>
    queued_at = UnicodeAttribute(range_key=True)


class ByDue(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_due"
        projection = KeysOnlyProjection()

    due_part = UnicodeAttribute(hash_key=True)  # DUE#<shard>
    due_at = UnicodeAttribute(range_key=True)  # <instant, Asia/Shanghai, seconds>#<id>


class WaitItem(Model):
    """One model for every type of item (`item_type`: entry | place | seq); the attributes of the others are null."""

    class Meta(BaseMeta):
        table_name = setting("waitlist_table")

    pk = UnicodeAttribute(hash_key=True)
    item_type = UnicodeAttribute()
    office_id = UnicodeAttribute()
    service_code = UnicodeAttribute()
    date = UnicodeAttribute()
    start = UnicodeAttribute(null=True)  # an entry: null for the whole day; a place: its slot's start
    end = UnicodeAttribute(null=True)  # a place: its slot's end
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    # an entry
    account_id = UnicodeAttribute(null=True)
    subject_id_number = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    place_id = UnicodeAttribute(null=True)  # while offered
    offer_start = UnicodeAttribute(null=True)
    offer_end = UnicodeAttribute(null=True)
    offer_until = UnicodeAttribute(null=True)
    booking_id = UnicodeAttribute(null=True)  # once accepted
    # a place
    state = UnicodeAttribute(null=True)  # delayed | offered
    origin = UnicodeAttribute(null=True)  # cancellation | freed
    entry_id = UnicodeAttribute(null=True)  # while offered
    return_at = UnicodeAttribute(null=True)  # while delayed: the instant it may return to the pool
    seq = NumberAttribute(null=True)  # SEQ#<queue>: the last join number given out in that queue
    # the indexes (sparse)
    queue = UnicodeAttribute(null=True)
    queued_at = UnicodeAttribute(null=True)
    due_part = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)

    by_queue = ByQueue()
    by_due = ByDue()
    by_account = ByAccount()


@dataclass(frozen=True)
class Entry:
    entry_id: str
    account_id: str
    subject_id_number: str
    office_id: str
    service_code: str
    date: date
    start: str | None
    status: str
    created_at: str
    updated_at: str | None = None
    place_id: str | None = None
    offer_start: str | None = None
    offer_end: str | None = None
    offer_until: datetime | None = None
    booking_id: str | None = None


@dataclass(frozen=True)
class Place:
    place_id: str
    office_id: str
    service_code: str
    date: date
    start: str
    end: str
    state: str
    origin: str
    created_at: str
    return_at: datetime | None = None
    entry_id: str | None = None
    offer_until: datetime | None = None


class EntryMoved(Exception):
    """The entry is no longer in the state it was read in (offered meanwhile, left, ended)."""


class PlaceMoved(Exception):
    """The place is no longer in the state it was read in (taken by another run, returned)."""


def entry_key(entry_id: str) -> str:
    return f"WAIT#{entry_id}"


def place_key(place_id: str) -> str:
    return f"PLACE#{place_id}"


def queue_key(office_id: str, service_code: str, day: date) -> str:
    return f"{office_id}#{service_code}#{day.isoformat()}"


def instant(at: datetime) -> str:
    return at.astimezone(SHANGHAI).replace(microsecond=0).isoformat()


def due_attributes(item_id: str, at: datetime) -> dict:
    shard = int(hashlib.sha256(item_id.encode()).hexdigest()[:8], 16) % DUE_SHARDS
    return {"due_part": f"DUE#{shard}", "due_at": f"{instant(at)}#{item_id}"}


def keep_until(day: date) -> int:
    return int(datetime.combine(day + timedelta(days=KEEP_DAYS), datetime.min.time(), SHANGHAI).timestamp())


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def entry_of(item: WaitItem) -> Entry:
    return Entry(
        item.pk.removeprefix("WAIT#"),
        item.account_id or "",
        item.subject_id_number or "",
        item.office_id,
        item.service_code,
        date.fromisoformat(item.date),
        item.start,
        item.status or "",
        item.created_at,
        item.updated_at,
        item.place_id,
        item.offer_start,
        item.offer_end,
        _at(item.offer_until),
        item.booking_id,
    )


def place_of(item: WaitItem) -> Place:
    return Place(
        item.pk.removeprefix("PLACE#"),
        item.office_id,
        item.service_code,
        date.fromisoformat(item.date),
        item.start or "",
        item.end or "",
        item.state or "",
        item.origin or "",
        item.created_at,
        _at(item.return_at),
        item.entry_id,
        _at(item.offer_until),
    )


def get_entry(entry_id: str) -> Entry | None:
    item = latest(WaitItem, entry_key(entry_id))
    if item is None:
        return None
    return entry_of(item) if item.item_type == "entry" else None


def get_place(place_id: str) -> Place | None:
    item = latest(WaitItem, place_key(place_id))
    if item is None:
        return None
    return place_of(item) if item.item_type == "place" else None


def entries_of_account(account_id: str, limit: int = 100) -> list[Entry]:
    """The account's entries (its own and its minors'), newest first."""
    return [entry_of(i) for i in WaitItem.by_account.query(account_id, scan_index_forward=False, limit=limit)]


def waiting_entries(office_id: str, service_code: str, day: date) -> list[Entry]:
    """The entries still waiting for a hall's service on `day`, in join order: one Query of by_queue
    (eventually consistent: every write that acts on one is conditioned on its status)."""
    return [
        entry_of(i)
        for i in WaitItem.by_queue.query(queue_key(office_id, service_code, day), WaitItem.queued_at < PLACES_AFTER)
    ]


def places_of_day(office_id: str, service_code: str, day: date) -> list[Place]:
    return [
        place_of(i)
        for i in WaitItem.by_queue.query(queue_key(office_id, service_code, day), WaitItem.queued_at >= PLACES_AFTER)
    ]


def due_keys(now: datetime) -> list[str]:
    """The keys (WAIT#.., PLACE#..) of what is due at `now`: waiting entries past their cut-off, offers
    past their deadline, delayed places past their return. One Query per shard of the sparse by_due."""
    bound = f"{instant(now)}#~"
    return [i.pk for shard in range(DUE_SHARDS) for i in WaitItem.by_due.query(f"DUE#{shard}", WaitItem.due_at < bound)]


def earliest_due() -> datetime | None:
    """The earliest instant anything in by_due is due (local mode's schedule hint): a Scan of the
    sparse index, which holds only active entries and places."""
    earliest = None
    for item in WaitItem.by_due.scan():
        at = datetime.fromisoformat(item.due_at.partition("#")[0])
        earliest = at if earliest is None or at < earliest else earliest
    return earliest


def get_items(keys: list[str]) -> list[Entry | Place]:
    found = []
    for item in WaitItem.batch_get(list(dict.fromkeys(keys)), consistent_read=True) if keys else []:
        found.append(entry_of(item) if item.item_type == "entry" else place_of(item))
    return found


def next_in_queue(office_id: str, service_code: str, day: date) -> int:
    """The next join number of a queue (one atomic sequence per office, service and day): join order
    is this order, whatever the clocks say. A number given to a join that is then refused is skipped."""
    key = f"SEQ#{queue_key(office_id, service_code, day)}"
    sequence = WaitItem(key)
    sequence.update(
        actions=[
            WaitItem.seq.add(1),
            WaitItem.item_type.set("seq"),
            WaitItem.office_id.set(office_id),
            WaitItem.service_code.set(service_code),
            WaitItem.date.set(day.isoformat()),
            WaitItem.created_at.set(day.isoformat()),
            WaitItem.expires_at.set(keep_until(day)),
        ]
    )
    return int(sequence.seq)


def new_entry_item(entry: Entry, cut_off: datetime, number: int) -> WaitItem:
    return WaitItem(
        entry_key(entry.entry_id),
        item_type="entry",
        office_id=entry.office_id,
        service_code=entry.service_code,
        date=entry.date.isoformat(),
        start=entry.start,
        created_at=entry.created_at,
        account_id=entry.account_id,
        subject_id_number=entry.subject_id_number,
        status=EntryStatus.WAITING.value,
        expires_at=keep_until(entry.date),
        queue=queue_key(entry.office_id, entry.service_code, entry.date),
        queued_at=f"{number:012d}#{entry.entry_id}",
        **due_attributes(entry.entry_id, cut_off),
    )


def delayed_place_item(place: Place) -> WaitItem:
    """A delayed place's item (written with the cancellation that frees it: store.bookings.cancel_booking)."""
    assert place.return_at is not None
    return place_item(
        place, PlaceState.DELAYED, place.return_at, origin=place.origin, return_at=place.return_at.isoformat()
    )


def place_item(place: Place, state: PlaceState, due: datetime, **attributes: Any) -> WaitItem:
    """A place's item in `state`, queued after the entries of its day's queue, due at `due`."""
    return WaitItem(
        place_key(place.place_id),
        item_type="place",
        office_id=place.office_id,
        service_code=place.service_code,
        date=place.date.isoformat(),
        start=place.start,
        end=place.end,
        created_at=place.created_at,
        state=state.value,
        expires_at=keep_until(place.date),
        queue=queue_key(place.office_id, place.service_code, place.date),
        queued_at=f"{PLACES_AFTER}{place.place_id}",
        **due_attributes(place.place_id, due),
        **attributes,
    )
