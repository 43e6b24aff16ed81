"""R23, a draw's entries in DrawsTable (store.draws describes the items): one conditional PutItem per
entry, read by draw (sharded by_draw) or by account; after the close only the draw job writes them,
the winners through book_slot's guard (`won_guard`), the losers in batches."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .base import Guard, Items, latest, saved_if, updated_if
from .draws import DRAW_SHARDS, DrawItem, Entry, entry_item, entry_key, entry_of
from .outbox import Message, OutboxItem


class EntryExists(Exception):
    """The subject has an entry in this draw already (`existing`)."""

    def __init__(self, existing: Entry | None):
        super().__init__("entered already")
        self.existing = existing


def put_entry(entry: Entry) -> None:
    """The entry: ONE conditional PutItem (1 WCU for a ~0.5 KB item, plus its two index copies).
    Raises EntryExists when the subject has entered this draw already."""
    if not saved_if(entry_item(entry), DrawItem.pk.does_not_exist()):
        raise EntryExists(get_entry(entry.draw_id, entry.subject_id_number))


def get_entry(draw_id: str, subject_id_number: str) -> Entry | None:
    item = latest(DrawItem, entry_key(draw_id, subject_id_number))
    return entry_of(item) if item is not None and item.item_type == "entry" else None


def entries_of_draw(draw_id: str) -> list[Entry]:
    """Every entry of a draw: one Query per shard of by_draw (1 MB pages, ~2,000 entries each)."""
    return [entry_of(i) for shard in range(DRAW_SHARDS) for i in DrawItem.by_draw.query(f"{draw_id}#{shard}")]


def current_entries(entries: list[Entry]) -> list[Entry]:
    """The same entries read again, strongly consistent (a run resuming another's work), 100 a request."""
    keys = [entry_key(e.draw_id, e.subject_id_number) for e in entries]
    return [entry_of(i) for i in DrawItem.batch_get(keys, consistent_read=True)] if keys else []


def entries_of_account(account_id: str, limit: int = 100) -> list[Entry]:
    return [
        entry_of(i)
        for i in DrawItem.by_account.query(account_id, scan_index_forward=False, limit=limit)
        if i.item_type == "entry"
    ]


def won_guard(entry: Entry, booking_id: str, rank: int) -> Guard:
    """book_slot's guard: in the winner's booking transaction, the entry becomes `won` (only from `entered`)."""

    def guard(tx: Items) -> None:
        tx.update(
            "guard",
            DrawItem(entry_key(entry.draw_id, entry.subject_id_number)),
            [DrawItem.status.set("won"), DrawItem.booking_id.set(booking_id), DrawItem.rank.set(rank)],
            DrawItem.status == "entered",
        )

    return guard


def mark_lost(entry: Entry, reason: str, rank: int, message: Message | None, waitlist_id: str | None) -> None:
    """One loser, under the condition that it is still `entered` (the SMS first: a crash between
    repeats it at worst, never loses it)."""
    if message is not None:
        saved_if(message.item(), OutboxItem.pk.does_not_exist())
    actions = [DrawItem.status.set("lost"), DrawItem.reason.set(reason), DrawItem.rank.set(rank)]
    if waitlist_id:
        actions.append(DrawItem.waitlist_id.set(waitlist_id))
    updated_if(DrawItem(entry_key(entry.draw_id, entry.subject_id_number)), actions, DrawItem.status == "entered")


def lost_in_batches(losers: list[tuple[Entry, str, int, Message | None, str | None]], workers: int = 8) -> int:
    """Many losers at once: their SMS and their entries (status `lost`, reason, rank) written 25 items
    to a BatchWriteItem, `workers` requests at a time. Only the draw job writes entries after the
    close, under its lease, and a run that resumes another reads the entries strongly first, so these
    unconditional writes never undo a win (see services.draw_run). Each chunk's SMS before its entries:
    a crash between repeats an SMS, never loses one. How many requests it took."""

    def write(chunk: list[tuple[Entry, str, int, Message | None, str | None]]) -> int:
        requests = 0
        messages = [m for _, _, _, m, _ in chunk if m is not None]
        if messages:
            with OutboxItem.batch_write() as batch:
                for message in messages:
                    batch.save(message.item())
            requests += 1
        with DrawItem.batch_write() as batch:
            for entry, reason, rank, _, waitlist_id in chunk:
                lost = {"status": "lost", "reason": reason, "rank": rank, "waitlist_id": waitlist_id}
                batch.save(entry_item(Entry(**{**entry.__dict__, **lost})))
        return requests + 1

    chunks = _chunks(losers, 25)
    if len(chunks) <= 1:
        return sum(write(c) for c in chunks)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(write, chunks))


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]
