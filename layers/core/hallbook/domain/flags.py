"""R22: abuse flags - patterns an administrator should look at, each with its evidence; nothing is
ever sanctioned automatically. The numbers are R22's, in domain.sanctions (one home for every
count-based rule); this module says which events each pattern counts and when it is met.

An event is a dict with `at` (ISO instant) and, for patterns that count distinct things, `distinct`
(a pseudonymous hash of what is counted: an ID number, a minor, an account)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .sanctions import (
    FLAG_ACCOUNTS_PER_SUBJECT,
    FLAG_BOOK_CANCEL_CYCLES,
    FLAG_MINORS_PER_ACCOUNT,
    FLAG_NOON_BURSTS,
    FLAG_PERIOD_DAYS,
    FLAG_PHONE_ID_NUMBERS,
)


@dataclass(frozen=True)
class Pattern:
    name: str
    threshold: int
    distinct: bool  # count distinct `distinct` values (else every event)
    what: str  # for the administrator

    def met(self, events: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]] | None:
        """The events of the period when they meet the pattern (its evidence), else None."""
        since = now - timedelta(days=FLAG_PERIOD_DAYS)
        recent = [e for e in events if datetime.fromisoformat(e["at"]) > since]
        value = len({e.get("distinct") for e in recent}) if self.distinct else len(recent)
        return recent if value >= self.threshold else None

    def value(self, events: list[dict[str, Any]]) -> int:
        return len({e.get("distinct") for e in events}) if self.distinct else len(events)


PHONE_CYCLES_IDS = Pattern(
    "phone_cycles_ids",
    FLAG_PHONE_ID_NUMBERS,
    True,
    f"one phone registered with (or lost in reclaims) {FLAG_PHONE_ID_NUMBERS} or more "
    f"ID numbers within {FLAG_PERIOD_DAYS} days",
)
BOOK_CANCEL_LOOP = Pattern(
    "book_cancel_loop",
    FLAG_BOOK_CANCEL_CYCLES,
    False,
    f"{FLAG_BOOK_CANCEL_CYCLES} or more book-and-cancel cycles of one subject on one service "
    f"within {FLAG_PERIOD_DAYS} days",
)
MANY_MINORS = Pattern(
    "many_minors",
    FLAG_MINORS_PER_ACCOUNT,
    True,
    f"one account named {FLAG_MINORS_PER_ACCOUNT} or more minors within {FLAG_PERIOD_DAYS} days",
)
SUBJECT_MANY_ACCOUNTS = Pattern(
    "subject_many_accounts",
    FLAG_ACCOUNTS_PER_SUBJECT,
    True,
    f"one minor booked from {FLAG_ACCOUNTS_PER_SUBJECT} or more accounts within {FLAG_PERIOD_DAYS} days",
)
NOON_BURST = Pattern(
    "noon_burst",
    FLAG_NOON_BURSTS,
    False,
    "an account's booking attempts beyond its rate limit in the noon release's first minute",
)
INSIDER_CHANGE = Pattern(  # R1, R2: every one is listed, whoever approved or consented
    "insider_change",
    1,
    False,
    "a clerk asked to move an ID number or a phone, or to link a guardian to a minor: refused by the real-name source, "
    "requested or done (listed from the 1st)",
)
PATTERNS = {
    p.name: p
    for p in (PHONE_CYCLES_IDS, BOOK_CANCEL_LOOP, MANY_MINORS, SUBJECT_MANY_ACCOUNTS, NOON_BURST, INSIDER_CHANGE)
}


def in_noon_minute(now: datetime) -> bool:
    """12:00:00 to 12:00:59 hall time: the release's rush (R6)."""
    from ..clock import SHANGHAI

    local = now.astimezone(SHANGHAI)
    return local.hour == 12 and local.minute == 0
