"""The draw aggregate on DynamoDB as store.stores.DrawStore: store/draws.py's draws and store/draw_entries.py's
entries, as they are (one object, so that the services reach both through `stores().draws`). Each method
reads its module's function when called, so a test that replaces one (a crash mid-draw) replaces it here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import draw_entries, draws
from .base import Guard
from .draws import Draw, Entry
from .outbox import Message


class DynamoDraws:
    def get_draw(self, draw_id: str) -> Draw | None:
        return draws.get_draw(draw_id)

    def announce(self, draw: Draw) -> Draw:
        return draws.announce(draw)

    def due_draws(self, now: datetime) -> list[str]:
        return draws.due_draws(now)

    def take_lease(self, draw_id: str, now: datetime, seconds: int) -> bool:
        return draws.take_lease(draw_id, now, seconds)

    def freeze(self, draw_id: str, frozen: dict[str, Any], entries: int, winners: int) -> bool:
        return draws.freeze(draw_id, frozen, entries, winners)

    def finish(self, draw_id: str, winners: int, now: datetime) -> None:
        draws.finish(draw_id, winners, now)

    def enter(self, entry: Entry) -> None:
        draw_entries.put_entry(entry)

    def get_entry(self, draw_id: str, subject_id_number: str) -> Entry | None:
        return draw_entries.get_entry(draw_id, subject_id_number)

    def entries_of_draw(self, draw_id: str) -> list[Entry]:
        return draw_entries.entries_of_draw(draw_id)

    def current_entries(self, entries: list[Entry]) -> list[Entry]:
        return draw_entries.current_entries(entries)

    def entries_of_account(self, account_id: str, limit: int = 100) -> list[Entry]:
        return draw_entries.entries_of_account(account_id, limit)

    def won_guard(self, entry: Entry, booking_id: str, rank: int) -> Guard:
        return draw_entries.won_guard(entry, booking_id, rank)

    def record_losers(self, losers: list[tuple[Entry, str, int, Message | None, str | None]], workers: int = 8) -> int:
        return draw_entries.lost_in_batches(losers, workers)
