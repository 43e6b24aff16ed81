"""The draw aggregate in memory (store.stores.DrawStore): draws and entries under MemoryBookings' one lock,
so that a winner's entry becomes `won` inside the winner's booking (`won_guard`: a MemoryGuard that
book_slot checks and applies under that lock, as DynamoDB's transaction checks the entry's condition).
Each write keeps store/draws.py's and store/draw_entries.py's guarantees and raises what they raise."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ..base import Guard
from ..draw_entries import EntryExists
from ..draws import Draw, Entry
from ..outbox import Message
from .bookings import MemoryBookings, MemoryGuard

EntryKey = tuple[str, str]  # draw id, subject's canonical ID number


@dataclass
class MemoryDraws:
    world: MemoryBookings
    draws: dict[str, Draw] = field(default_factory=dict)
    entries: dict[EntryKey, Entry] = field(default_factory=dict)

    # ---------------------------------------------------------------- the draws

    def get_draw(self, draw_id: str) -> Draw | None:
        with self.world.lock:
            return self.draws.get(draw_id)

    def announce(self, draw: Draw) -> Draw:
        with self.world.lock:
            return self.draws.setdefault(draw.draw_id, replace(draw, state="open"))

    def due_draws(self, now: datetime) -> list[str]:
        with self.world.lock:
            due = [d for d in self.draws.values() if d.state != "drawn" and d.closes_at <= now]
        return [d.draw_id for d in sorted(due, key=lambda d: (d.closes_at, d.draw_id))]

    def take_lease(self, draw_id: str, now: datetime, seconds: int) -> bool:
        with self.world.lock:
            draw = self.draws.get(draw_id)
            if draw is None or draw.state == "drawn" or (draw.lease_until is not None and draw.lease_until > now):
                return False
            self.draws[draw_id] = replace(draw, lease_until=now + timedelta(seconds=seconds))
            return True

    def freeze(self, draw_id: str, frozen: dict[str, Any], entries: int, winners: int) -> bool:
        with self.world.lock:
            draw = self.draws.get(draw_id)
            if draw is None or draw.state != "open":
                return False
            self.draws[draw_id] = replace(draw, state="drawing", frozen=frozen, entries=entries, winners=winners)
            return True

    def finish(self, draw_id: str, winners: int, now: datetime) -> None:
        with self.world.lock:
            draw = self.draws.get(draw_id)
            if draw is not None and draw.state == "drawing":  # else: nothing (DynamoDB: a failed condition)
                self.draws[draw_id] = replace(
                    draw, state="drawn", winners=winners, drawn_at=now.isoformat(), lease_until=None
                )

    # ---------------------------------------------------------------- the entries

    def enter(self, entry: Entry) -> None:
        key = (entry.draw_id, entry.subject_id_number)
        with self.world.lock:
            if key in self.entries:
                raise EntryExists(self.entries[key])
            self.entries[key] = entry

    def get_entry(self, draw_id: str, subject_id_number: str) -> Entry | None:
        with self.world.lock:
            return self.entries.get((draw_id, subject_id_number))

    def entries_of_draw(self, draw_id: str) -> list[Entry]:
        with self.world.lock:
            return [e for (d, _), e in self.entries.items() if d == draw_id]

    def current_entries(self, entries: list[Entry]) -> list[Entry]:
        with self.world.lock:
            keys = [(e.draw_id, e.subject_id_number) for e in entries]
            return [self.entries[k] for k in keys if k in self.entries]

    def entries_of_account(self, account_id: str, limit: int = 100) -> list[Entry]:
        with self.world.lock:
            mine = [e for e in self.entries.values() if e.account_id == account_id]
        return sorted(mine, key=lambda e: e.created_at, reverse=True)[:limit]

    def won_guard(self, entry: Entry, booking_id: str, rank: int) -> Guard:
        key = (entry.draw_id, entry.subject_id_number)

        def holds() -> bool:  # DynamoDB's `status = entered`: false for a missing entry too
            stored = self.entries.get(key)
            return stored is not None and stored.status == "entered"

        def apply() -> None:
            self.entries[key] = replace(self.entries[key], status="won", booking_id=booking_id, rank=rank)

        return MemoryGuard(holds, apply)

    def record_losers(self, losers: list[tuple[Entry, str, int, Message | None, str | None]], workers: int = 8) -> int:
        with self.world.lock:
            for entry, reason, rank, message, waitlist_id in losers:
                if message is not None:
                    self.world.outbox.append(message)
                lost = replace(entry, status="lost", reason=reason, rank=rank, waitlist_id=waitlist_id)
                self.entries[(entry.draw_id, entry.subject_id_number)] = lost
        # DynamoDB's requests: per 25 losers, one batch of entries and one of SMS if any
        chunks = [losers[i : i + 25] for i in range(0, len(losers), 25)]
        return sum(1 + any(m is not None for _, _, _, m, _ in c) for c in chunks)
