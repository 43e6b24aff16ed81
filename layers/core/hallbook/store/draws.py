"""R23 the draws aggregate in DrawsTable: draws `DRAW#<draw id>` and entries `ENTRY#<draw id>#<subject>`
(their writes and reads: store.draw_entries).

- An entry is ONE PutItem (`put_entry`), conditioned on its key not existing: the key is the draw and
  the subject's canonical ID number, so a subject enters a draw once however its number is written
  and whichever account (own, either guardian) enters it. No slot, counter or lock is touched at
  entry: the noon's entries never contend with each other.
- Entries are found by draw through the by_draw index, sharded (DRAW_SHARDS) so that a city's noon
  of entries is never one hot partition; by account through by_account.
- A draw is announced (`announce`, conditional: the first writer's seed stays) with its seed's hash;
  `freeze` records, once (open -> drawing), what the allocation runs on (the places, the ineligible
  entries, the digest of the entries); `finish` makes it `drawn` and so publishes the seed.
- Only the draw job writes entries after the close (`lost_in_batches`, and the winners through
  store.bookings.book_slot's guard: `won_guard`), under a lease (`take_lease`) so that two runs never
  work one draw at once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from ..clock import SHANGHAI
from .base import BaseMeta, ByAccount, latest, saved_if, setting, updated_if

DRAW_SHARDS = 10  # by_draw's partitions per draw: 10,000 entries/s before an index partition throttles
KEEP_DAYS = 400  # draws and entries expire (TTL) this long after their day: the audit trail of a year


class ByDraw(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_draw"
        projection = AllProjection()

    draw_part = UnicodeAttribute(hash_key=True)  # <draw id>#<shard>
    entry_id = UnicodeAttribute(range_key=True)


class ByDue(GlobalSecondaryIndex):
    """Sparse: draws not yet drawn, by their close."""

    class Meta:
        index_name = "by_due"
        projection = KeysOnlyProjection()

    due_part = UnicodeAttribute(hash_key=True)  # "DUE"
    due_at = UnicodeAttribute(range_key=True)  # <close, Asia/Shanghai>#<draw id>


class DrawItem(Model):
    """One model for both item types (`item_type`: draw | entry); the attributes of the other are null."""

    class Meta(BaseMeta):
        table_name = setting("draws_table")

    pk = UnicodeAttribute(hash_key=True)
    item_type = UnicodeAttribute()
    region = UnicodeAttribute(null=True)
    service_code = UnicodeAttribute()
    date = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute(null=True)
    # a draw
    opens_at = UnicodeAttribute(null=True)
    closes_at = UnicodeAttribute(null=True)
    seed = UnicodeAttribute(null=True)  # secret until `drawn`
    seed_sha256 = UnicodeAttribute(null=True)
    state = UnicodeAttribute(null=True)  # open | drawing | drawn
    frozen = UnicodeAttribute(null=True)  # JSON: places, halls, ineligible, entries digest (from `drawing` on)
    entries = NumberAttribute(null=True)
    winners = NumberAttribute(null=True)
    drawn_at = UnicodeAttribute(null=True)
    lease_until = UnicodeAttribute(null=True)
    due_part = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    # an entry
    entry_id = UnicodeAttribute(null=True)
    draw_id = UnicodeAttribute(null=True)
    draw_part = UnicodeAttribute(null=True)
    account_id = UnicodeAttribute(null=True)
    subject_id_number = UnicodeAttribute(null=True)
    office_id = UnicodeAttribute(null=True)
    starts = UnicodeAttribute(null=True)  # JSON list, or null: any slot of the day
    any_office = BooleanAttribute(null=True)
    waitlist = BooleanAttribute(null=True)
    status = UnicodeAttribute(null=True)  # entered | won | lost
    reason = UnicodeAttribute(null=True)  # lost: no_place | ineligible | refused
    booking_id = UnicodeAttribute(null=True)
    waitlist_id = UnicodeAttribute(null=True)
    rank = NumberAttribute(null=True)  # 1-based position in the draw order, once drawn
    request_hash = UnicodeAttribute(null=True)  # the account and Idempotency-Key that made it

    by_draw = ByDraw()
    by_due = ByDue()
    by_account = ByAccount()


@dataclass(frozen=True)
class Draw:
    draw_id: str
    region: str
    service_code: str
    date: date
    opens_at: datetime
    closes_at: datetime
    seed_sha256: str
    state: str
    created_at: str
    seed: str = field(default="", repr=False)  # secret until drawn: never shown before
    entries: int | None = None
    winners: int | None = None
    drawn_at: str | None = None
    frozen: dict | None = None
    lease_until: datetime | None = None


@dataclass(frozen=True)
class Entry:
    entry_id: str
    draw_id: str
    account_id: str
    subject_id_number: str
    office_id: str
    service_code: str
    date: date
    starts: tuple[str, ...] | None
    any_office: bool
    waitlist: bool
    status: str
    created_at: str
    closes_at: datetime | None = None
    reason: str | None = None
    booking_id: str | None = None
    waitlist_id: str | None = None
    rank: int | None = None
    request_hash: str | None = None


def draw_key(draw_id: str) -> str:
    return f"DRAW#{draw_id}"


def entry_key(draw_id: str, subject_id_number: str) -> str:
    return f"ENTRY#{draw_id}#{subject_id_number}"


def _shard(subject_id_number: str) -> int:
    return int(hashlib.sha256(subject_id_number.encode()).hexdigest()[:8], 16) % DRAW_SHARDS


def _expires(day: date) -> int:
    return int(datetime.combine(day + timedelta(days=KEEP_DAYS), datetime.min.time(), SHANGHAI).timestamp())


def _instant(at: datetime) -> str:
    return at.astimezone(SHANGHAI).isoformat()


def _draw(item: DrawItem) -> Draw:
    return Draw(
        draw_id=item.pk.removeprefix("DRAW#"),
        region=item.region or "",
        service_code=item.service_code,
        date=date.fromisoformat(item.date),
        opens_at=datetime.fromisoformat(item.opens_at or ""),
        closes_at=datetime.fromisoformat(item.closes_at or ""),
        seed_sha256=item.seed_sha256 or "",
        state=item.state or "",
        created_at=item.created_at,
        seed=item.seed or "",
        entries=int(item.entries) if item.entries is not None else None,
        winners=int(item.winners) if item.winners is not None else None,
        drawn_at=item.drawn_at,
        frozen=json.loads(item.frozen) if item.frozen else None,
        lease_until=datetime.fromisoformat(item.lease_until) if item.lease_until else None,
    )


def entry_of(item: DrawItem) -> Entry:
    return Entry(
        entry_id=item.entry_id or "",
        draw_id=item.draw_id or "",
        account_id=item.account_id or "",
        subject_id_number=item.subject_id_number or "",
        office_id=item.office_id or "",
        service_code=item.service_code,
        date=date.fromisoformat(item.date),
        starts=tuple(json.loads(item.starts)) if item.starts else None,
        any_office=bool(item.any_office),
        waitlist=bool(item.waitlist),
        status=item.status or "",
        created_at=item.created_at,
        closes_at=datetime.fromisoformat(item.closes_at) if item.closes_at else None,
        reason=item.reason,
        booking_id=item.booking_id,
        waitlist_id=item.waitlist_id,
        rank=int(item.rank) if item.rank is not None else None,
        request_hash=item.request_hash,
    )


def entry_item(entry: Entry) -> DrawItem:
    return DrawItem(
        entry_key(entry.draw_id, entry.subject_id_number),
        item_type="entry",
        service_code=entry.service_code,
        date=entry.date.isoformat(),
        created_at=entry.created_at,
        expires_at=_expires(entry.date),
        closes_at=_instant(entry.closes_at) if entry.closes_at else None,
        entry_id=entry.entry_id,
        draw_id=entry.draw_id,
        draw_part=f"{entry.draw_id}#{_shard(entry.subject_id_number)}",
        account_id=entry.account_id,
        subject_id_number=entry.subject_id_number,
        office_id=entry.office_id,
        starts=json.dumps(list(entry.starts)) if entry.starts is not None else None,
        any_office=entry.any_office,
        waitlist=entry.waitlist,
        status=entry.status,
        reason=entry.reason,
        booking_id=entry.booking_id,
        waitlist_id=entry.waitlist_id,
        rank=entry.rank,
        request_hash=entry.request_hash,
    )


def get_draw(draw_id: str) -> Draw | None:
    item = latest(DrawItem, draw_key(draw_id))
    return _draw(item) if item is not None and item.item_type == "draw" else None


def announce(draw: Draw) -> Draw:
    """The draw's record with its seed's hash, written once: the first writer's seed is the draw's
    (whoever announces it: the noon job, the administrator's PUT, or the first entry). The record as stored."""
    item = DrawItem(
        draw_key(draw.draw_id),
        item_type="draw",
        region=draw.region,
        service_code=draw.service_code,
        date=draw.date.isoformat(),
        created_at=draw.created_at,
        expires_at=_expires(draw.date),
        opens_at=_instant(draw.opens_at),
        closes_at=_instant(draw.closes_at),
        seed=draw.seed,
        seed_sha256=draw.seed_sha256,
        state="open",
        due_part="DUE",
        due_at=f"{_instant(draw.closes_at)}#{draw.draw_id}",
    )
    if saved_if(item, DrawItem.pk.does_not_exist()):
        return draw
    stored = get_draw(draw.draw_id)
    assert stored is not None
    return stored


def due_draws(now: datetime) -> list[str]:
    """Ids of the draws not yet drawn whose close is at or before `now`: one Query of the sparse by_due."""
    bound = f"{_instant(now)}#~"
    return [i.pk.removeprefix("DRAW#") for i in DrawItem.by_due.query("DUE", DrawItem.due_at < bound)]


def earliest_due() -> datetime | None:
    """The earliest close of a draw not yet drawn (local mode's schedule hint): a Scan of the sparse index."""
    closes = [datetime.fromisoformat(i.due_at.partition("#")[0]) for i in DrawItem.by_due.scan()]
    return min(closes, default=None)


def take_lease(draw_id: str, now: datetime, seconds: int) -> bool:
    """One run at a time works a draw: the lease is taken only while nobody holds a live one."""
    return updated_if(
        DrawItem(draw_key(draw_id)),
        [DrawItem.lease_until.set(_instant(now + timedelta(seconds=seconds)))],
        DrawItem.pk.exists()
        & (DrawItem.lease_until.does_not_exist() | (DrawItem.lease_until <= _instant(now)))
        & (DrawItem.state != "drawn"),
    )


def freeze(draw_id: str, frozen: dict, entries: int, winners: int) -> bool:
    """open -> drawing, once: what the allocation runs on is recorded and never changes. False when
    another run froze it first (then its record is the one to use)."""
    return updated_if(
        DrawItem(draw_key(draw_id)),
        [
            DrawItem.state.set("drawing"),
            DrawItem.frozen.set(json.dumps(frozen, ensure_ascii=False, sort_keys=True)),
            DrawItem.entries.set(entries),
            DrawItem.winners.set(winners),
        ],
        DrawItem.state == "open",
    )


def finish(draw_id: str, winners: int, now: datetime) -> None:
    """drawing -> drawn: the seed is public from now on, the places left go first-come, the lease goes."""
    updated_if(
        DrawItem(draw_key(draw_id)),
        [
            DrawItem.state.set("drawn"),
            DrawItem.winners.set(winners),
            DrawItem.drawn_at.set(_instant(now)),
            DrawItem.lease_until.remove(),
            DrawItem.due_part.remove(),
            DrawItem.due_at.remove(),
        ],
        DrawItem.state == "drawing",
    )
