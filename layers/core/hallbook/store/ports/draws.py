"""The draw aggregate's port (R23): what services/draws.py, draw_entries.py and draw_run.py read and write."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..base import Guard
    from ..draws import Draw, Entry
    from ..outbox import Message


class DrawStore(Protocol):
    """R23's draws and their entries (store/draws.py describes the items). A draw's seed is committed
    when it is announced; an entry is one write that nothing else contends with; after the close only
    the draw job writes, under its lease: the allocation frozen once, each winner's entry `won` inside
    the winner's booking transaction (`won_guard`), the losers together, then the draw `drawn`."""

    def get_draw(self, draw_id: str) -> Draw | None: ...

    def announce(self, draw: Draw) -> Draw:
        """The draw with its seed and the seed's hash, written once: the first writer's seed stays (the
        record as stored is answered)."""
        ...

    def due_draws(self, now: datetime) -> list[str]:
        """The ids of the draws not yet drawn whose close is at or before `now`."""
        ...

    def take_lease(self, draw_id: str, now: datetime, seconds: int) -> bool:
        """One run works a draw at a time: the lease (`seconds` from `now`) is taken only while nobody
        holds a live one and the draw is not drawn. False otherwise."""
        ...

    def freeze(self, draw_id: str, frozen: dict[str, Any], entries: int, winners: int) -> bool:
        """open -> drawing, once: what the allocation runs on is recorded and never changes. False when
        another run froze it first (its record is the one to use)."""
        ...

    def finish(self, draw_id: str, winners: int, now: datetime) -> None:
        """drawing -> drawn: the seed is public, the draw no longer due, the lease gone."""
        ...

    def enter(self, entry: Entry) -> None:
        """One entry per subject (canonical ID number) per draw. Raises store.draw_entries.EntryExists
        (with the subject's entry) when it has one."""
        ...

    def get_entry(self, draw_id: str, subject_id_number: str) -> Entry | None: ...

    def entries_of_draw(self, draw_id: str) -> list[Entry]:
        """Every entry of the draw (may lag an entry's write by less than SETTLE)."""
        ...

    def current_entries(self, entries: list[Entry]) -> list[Entry]:
        """The same entries as stored now, strongly consistent (a run resuming another's work)."""
        ...

    def entries_of_account(self, account_id: str, limit: int = 100) -> list[Entry]:
        """The entries an account made (its own and its minors'), newest first."""
        ...

    def won_guard(self, entry: Entry, booking_id: str, rank: int) -> Guard:
        """A guard for BookingStore.book_slot: in the winner's booking transaction the entry becomes
        `won` (its booking and rank), only from `entered`; GuardMoved otherwise."""
        ...

    def record_losers(self, losers: list[tuple[Entry, str, int, Message | None, str | None]], workers: int = 8) -> int:
        """Each loser (entry, reason, rank, SMS, waitlist id) `lost` with its SMS, unconditionally (only
        the lease holder writes entries after the close); each SMS before its entry, so a crash repeats
        an SMS, never loses one. How many requests it took."""
        ...
