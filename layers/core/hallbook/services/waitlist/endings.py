"""R18: entries that end for reasons outside the waitlist - a hall's closed day (its places go, its
entries end, each told by SMS) and an R1 reclaim of the subject by its rightful owner."""

from __future__ import annotations

from datetime import date, datetime

from ...domain.waitlist import EntryStatus, PlaceState
from ...store.stores import stores
from ...store.waitlist import EntryMoved, PlaceMoved
from .offers import end_offer
from .sms import entry_sms


def close_day(office_id: str, service_codes: list[str], day: date, reason: str, now: datetime) -> int:
    """A closed day: its places go and its entries end, each told by SMS. How many entries ended."""
    store = stores()
    waitlist = store.waitlist
    catalog = store.catalog.load_catalog()
    ended = 0
    for code in service_codes:
        for place in waitlist.places_of_day(office_id, code, day):
            entry = (
                waitlist.get_entry(place.entry_id)
                if place.entry_id and place.state == PlaceState.OFFERED.value
                else None
            )
            sms = entry_sms("waitlist_closed", entry, catalog, now, reason=reason) if entry else []
            try:
                waitlist.withdraw_place(place, entry, now, sms)
                ended += entry is not None
            except PlaceMoved:
                continue
        for entry in waitlist.waiting_entries(office_id, code, day):
            try:
                waitlist.end_entry(
                    entry, EntryStatus.ENDED, now, entry_sms("waitlist_closed", entry, catalog, now, reason=reason)
                )
                ended += 1
            except EntryMoved:
                continue
    return ended


def end_entries_for(account_id: str, subject_id_number: str, now: datetime) -> int:
    """R1 reclaim: the entries an account made for a subject it no longer holds end (an offer passes
    on), so a stranger's entry neither keeps the owner's R9 lock nor a place. How many ended."""
    store = stores()
    catalog = store.catalog.load_catalog()
    ended = 0
    for entry in store.waitlist.entries_of_account(account_id):
        if entry.subject_id_number != subject_id_number:
            continue
        if entry.status == EntryStatus.OFFERED.value:
            end_offer(entry, EntryStatus.ENDED, now, catalog)
            ended += 1
        elif entry.status == EntryStatus.WAITING.value:
            try:
                store.waitlist.end_entry(entry, EntryStatus.ENDED, now, [])
                ended += 1
            except EntryMoved:
                continue
    return ended
