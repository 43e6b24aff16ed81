"""R18, R19: the waitlist's timers, run every minute ({"job": "waitlist"}, the WaitlistTimers schedule;
the no-show sweep runs them too). Offer deadlines, delayed returns and cut-offs are items due in the
store (DynamoDB: the sparse by_due index); `run_timers` acts on what is due. Nothing depends on it
running exactly on time: an offer past its deadline cannot be accepted whatever the timer did, and a
place that returns a minute late was simply not bookable for a minute longer."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...clock import now as clock_now
from ...domain.waitlist import EntryStatus, PlaceState, cut_off
from ...store.stores import stores
from ...store.waitlist import Entry, EntryMoved, Place
from .offers import dispatch, end_offer
from .sms import entry_sms

log = logging.getLogger(__name__)


@dataclass
class TimersResult:
    due: int = 0
    timed_out: int = 0
    offered: int = 0
    returned: int = 0
    ended: int = 0
    outcomes: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "job": "waitlist",
            "due": self.due,
            "timed_out": self.timed_out,
            "offered": self.offered,
            "returned": self.returned,
            "ended": self.ended,
        }


def run_timers(now: datetime | None = None) -> TimersResult:
    """Every minute: offers past their deadline pass on, delayed places return (or go to a waiting
    entry), waiting entries past their day's cut-off end with an SMS. Each step is one conditional
    transaction: running twice, late or concurrently does each thing once."""
    now = now or clock_now()
    result = TimersResult()
    waitlist = stores().waitlist
    keys = waitlist.due_keys(now)
    result.due = len(keys)
    if not keys:
        return result
    catalog = stores().catalog.load_catalog()
    items = waitlist.get_items(keys)
    # offers first (they free places), then delayed places, then the entries that end
    for item in sorted(items, key=lambda i: (isinstance(i, Entry), getattr(i, "state", "") != "offered")):
        if isinstance(item, Place):
            if item.state == PlaceState.OFFERED.value and item.offer_until and item.offer_until <= now:
                entry = waitlist.get_entry(item.entry_id or "")
                if entry is not None and entry.status == EntryStatus.OFFERED.value:
                    end_offer(entry, EntryStatus.TIMED_OUT, now, catalog)
                    result.timed_out += 1
            elif item.state == PlaceState.DELAYED.value and item.return_at and item.return_at <= now:
                outcome = dispatch(item, now, catalog)
                result.offered += outcome == "offered"
                result.returned += outcome == "returned"
        elif item.status == EntryStatus.WAITING.value and cut_off(item.date) <= now:
            try:
                waitlist.end_entry(item, EntryStatus.ENDED, now, entry_sms("waitlist_ended", item, catalog, now))
                result.ended += 1
            except EntryMoved:
                pass
    if result.timed_out or result.offered or result.returned or result.ended:
        log.info("waitlist timers", extra=result.summary())
    return result
