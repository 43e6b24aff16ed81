"""The oversight port in memory (ports.oversight.OversightStore): the flags R22's counters raised
(memory/bookings.py's MemoryFlags) reviewed as store/flags.py does, the statistics' counters and the
audit log. The fake's transactions count no statistics (tests/api/test_stats.py): `count` adds them
where a test needs some."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TypeVar

from ..audit import AuditEntry
from ..flags import Flag, NotRaised
from ..stats import COUNT_NAMES, DayCounts
from .bookings import MemoryFlags

T = TypeVar("T")


def _page(items: list[T], limit: int, cursor: str | None) -> tuple[list[T], str | None]:
    """The cursor is the offset of the next page (DynamoDB's is a sealed key)."""
    offset = int(cursor or 0)
    return items[offset : offset + limit], str(offset + limit) if offset + limit < len(items) else None


@dataclass
class MemoryOversight:
    counters: MemoryFlags
    stats: dict[tuple[str, str, date], dict[str, float]] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)

    def get_flag(self, flag_id: str) -> Flag | None:
        return self.counters.flags.get(flag_id)

    def list_flags(self, limit: int, cursor: str | None, status: str | None) -> tuple[list[Flag], str | None]:
        raised = sorted(self.counters.flags.values(), key=lambda f: f.raised_at, reverse=True)
        return _page([f for f in raised if status is None or f.status == status], limit, cursor)

    def mark_reviewed(self, flag_id: str, by: str, note: str | None, now: datetime) -> Flag:
        current = self.counters.flags.get(flag_id)
        if current is None:
            raise NotRaised()
        reviewed = replace(current, status="reviewed", reviewed_by=by, reviewed_at=now.isoformat(), review_note=note)
        self.counters.flags[flag_id] = reviewed
        self.counters.reviewed_counts[flag_id] = current.count
        return reviewed

    def count(self, office_id: str, service_code: str, day: date, **counts: float) -> None:
        """What store.stats.count_in adds in an event's transaction (a test's stand-in for it)."""
        unknown = set(counts) - set(COUNT_NAMES)
        if unknown:
            raise ValueError(f"unknown counts {sorted(unknown)}")
        kept = self.stats.setdefault((office_id, service_code, day), {})
        for name, value in counts.items():
            kept[name] = kept.get(name, 0) + int(round(value))

    def stats_between(self, office_id: str, first: date, last: date) -> list[DayCounts]:
        return [
            DayCounts(office, code, day, {name: float(counts.get(name, 0)) for name in COUNT_NAMES})
            for (office, code, day), counts in sorted(self.stats.items(), key=lambda kv: (kv[0][2], kv[0][1]))
            if office == office_id and first <= day <= last
        ]

    def append_audit(self, entry: AuditEntry) -> None:
        self.audit.append(entry)

    def audit_on(self, day: date, limit: int, cursor: str | None) -> tuple[list[AuditEntry], str | None]:
        entries = [e for e in reversed(self.audit) if e.at.date() == day]  # newest first
        return _page(entries, limit, cursor)
