"""R23, drawing (the DrawClose schedule, every minute 12:00-14:59): each draw whose close is SETTLE
past is drawn by `run_draw` under a lease. The allocation is computed (domain.draw.allocate) and what
it ran on frozen in the draw's record; winners are booked in the booking transaction
(BookingStore.book_slot, the booking id derived from draw and entry), losers told and put on the
waitlist if they asked; then the draw is `drawn`, its seed public and its places left first-come. A
run after a crash recomputes the same allocation from the frozen record and finds what is done."""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..clock import SHANGHAI
from ..domain import draw as rules
from ..domain import errors
from ..domain.booking import Status
from ..domain.reference import new_reference
from ..domain.timetable import parse_hhmm, slots_for_day
from ..domain.waitlist import EntryStatus as WaitStatus
from ..domain.waitlist import cut_off
from ..store import readcache
from ..store.base import Cancelled, GuardMoved
from ..store.bookings import Booking, ReplayedBooking, Subject
from ..store.catalog import Catalog, Office
from ..store.draws import Draw, Entry
from ..store.outbox import Message
from ..store.stores import stores
from ..store.waitlist import Entry as WaitlistEntry
from . import guardians, messages
from .draws import forget_cached, halls_and_places

log = logging.getLogger(__name__)
LEASE_SECONDS = 300  # the jobs function's Timeout: a run that dies frees its draw for the next run after this
CHUNK = 100  # eligibility is read for this many would-be winners at a time (one BatchGetItem of subjects)


def _as_rule(entry: Entry) -> rules.Entry:
    return rules.Entry(entry.entry_id, entry.office_id, entry.starts, entry.any_office)


@dataclass
class DrawResult:
    draw_id: str
    outcome: str  # drawn | not_due | busy | done | missing
    entries: int = 0
    winners: int = 0
    losers: int = 0
    refused: int = 0
    waitlisted: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "draw_id": self.draw_id,
            "outcome": self.outcome,
            "entries": self.entries,
            "winners": self.winners,
            "losers": self.losers,
            "refused": self.refused,
            "waitlisted": self.waitlisted,
        }


def run_due(now: datetime) -> list[DrawResult]:
    """Every draw whose close is SETTLE past and is not drawn yet."""
    return [run_draw(draw_id, now) for draw_id in stores().draws.due_draws(now - rules.SETTLE)]


def run_draw(draw_id: str, now: datetime) -> DrawResult:
    """Draw one draw (module docstring). Safe to run twice, late, or after a crash at any point."""
    draw = stores().draws.get_draw(draw_id)
    if draw is None:
        return DrawResult(draw_id, "missing")
    if draw.state == "drawn":
        return DrawResult(draw_id, "done", draw.entries or 0, draw.winners or 0)
    if now < draw.closes_at + rules.SETTLE:
        return DrawResult(draw_id, "not_due")
    if not stores().draws.take_lease(draw_id, now, LEASE_SECONDS):
        return DrawResult(draw_id, "busy")
    catalog = stores().catalog.load_catalog(max_age=0)
    entries = stores().draws.entries_of_draw(draw_id)
    if draw.state == "open":
        halls, places = halls_and_places(draw, catalog)
        ineligible = _ineligible(draw, entries, halls, places, catalog, now)
        frozen: dict[str, Any] = {
            "algorithm": rules.ALGORITHM,
            "halls": [[h.office_id, h.district, list(h.starts)] for h in halls.values()],
            "places": [[o, s, n] for (o, s), n in sorted(places.items())],
            "ineligible": sorted(ineligible),
            "entries_sha256": rules.entries_digest(e.entry_id for e in entries),
        }
        allocation = rules.allocate(draw.seed, [_as_rule(e) for e in entries], halls, places, ineligible)
        if not stores().draws.freeze(draw_id, frozen, len(entries), len(allocation.winners)):
            draw = (
                stores().draws.get_draw(draw_id) or draw
            )  # frozen meanwhile (a run whose lease ran out): use its record
    if draw.frozen is not None:
        frozen = draw.frozen
        entries = stores().draws.current_entries(entries)  # resuming: what is done is read strongly
    halls = {o: rules.Hall(o, d, tuple(s)) for o, d, s in frozen["halls"]}
    places = {(o, s): n for o, s, n in frozen["places"]}
    allocation = rules.allocate(draw.seed, [_as_rule(e) for e in entries], halls, places, frozen["ineligible"])
    return _carry_out(draw, entries, allocation, catalog, now)


def _ineligible(
    draw: Draw,
    entries: list[Entry],
    halls: dict[str, rules.Hall],
    places: dict[rules.Choice, int],
    catalog: Catalog,
    now: datetime,
) -> set[str]:
    """R8-R12 at the close, for the entries that would win a place (in draw order, CHUNK at a time,
    until no place is left): the subject suspended or already booked for the service, the account
    gone or unverified, a minor's guardian link revoked. Only those need reading."""
    by_id = {e.entry_id: e for e in entries}
    left = dict(places)
    ineligible: set[str] = set()
    order = rules.draw_order(draw.seed, by_id)
    for at in range(0, len(order), CHUNK):
        if not any(n > 0 for n in left.values()):
            break
        chunk = [by_id[i] for i in order[at : at + CHUNK]]
        hopeful = [e for e in chunk if rules.would_win(_as_rule(e), halls, left)]
        subjects = stores().bookings.get_subjects([e.subject_id_number for e in hopeful])
        accounts = stores().accounts.get_accounts([e.account_id for e in hopeful])
        for entry in hopeful:
            if not _eligible(entry, subjects[entry.subject_id_number], accounts.get(entry.account_id), now):
                ineligible.add(entry.entry_id)
        for entry in chunk:
            if entry.entry_id in ineligible:
                continue
            for choice in rules.choices(_as_rule(entry), halls):
                if left.get(choice, 0) > 0:
                    left[choice] -= 1
                    break
    return ineligible


def _eligible(entry: Entry, subject: Subject, account: Any, now: datetime) -> bool:
    if account is None or not account.phone_verified or account.role != "citizen":
        return False
    if entry.service_code in subject.active_services or subject.record().suspension(now):
        return False
    return entry.subject_id_number == account.id_number or guardians.is_guardian(
        account.account_id, entry.subject_id_number
    )


def winner_booking_id(draw_id: str, entry_id: str) -> str:
    """A winner's booking id, derived from the draw and the entry: a run after a crash finds it."""
    return hashlib.sha256(f"draw\n{draw_id}\n{entry_id}".encode()).hexdigest()[:32]


WORKERS = 8  # the job's requests in flight at once: winners' transactions, waitlist joins, losers' batches


def _carry_out(
    draw: Draw, entries: list[Entry], allocation: rules.Allocation, catalog: Catalog, now: datetime
) -> DrawResult:
    """Book the winners, tell the losers, finish the draw: WORKERS requests at a time (the allocation
    is fixed, so the order of the writes changes nothing: each slot gets at most its own places)."""
    by_id = {e.entry_id: e for e in entries}
    rank = {entry_id: n for n, entry_id in enumerate(allocation.order, start=1)}
    service = catalog.services[draw.service_code]
    result = DrawResult(draw.draw_id, "drawn", len(entries))
    accounts = stores().accounts.get_accounts([e.account_id for e in entries if e.status == "entered"])
    result.winners = sum(1 for entry_id in allocation.winners if by_id[entry_id].status == "won")
    to_book = [
        (entry_id, choice) for entry_id, choice in allocation.winners.items() if by_id[entry_id].status == "entered"
    ]

    def book(item: tuple[str, rules.Choice]) -> Exception | None:
        entry_id, (office_id, start) = item
        entry = by_id[entry_id]
        office = catalog.offices[office_id]
        return _book_winner(draw, entry, office, service, start, rank[entry_id], accounts.get(entry.account_id), now)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        refusals = list(pool.map(book, to_book))
    losing = [(entry_id, "refused") for (entry_id, _), refusal in zip(to_book, refusals) if refusal is not None]
    result.winners += sum(1 for refusal in refusals if refusal is None)
    result.refused = len(losing)
    for office_id in {office_id for _, (office_id, _) in to_book}:
        readcache.forget_availability(office_id, draw.service_code)
    no_place = set(allocation.losers)
    losing += [
        (entry_id, "no_place" if entry_id in no_place else "ineligible")
        for entry_id in allocation.losers + allocation.skipped
        if by_id[entry_id].status == "entered"
    ]

    def lose(item: tuple[str, str]) -> tuple[Entry, str, int, Message | None, str | None]:
        entry_id, reason = item
        return _lost(by_id[entry_id], reason, rank[entry_id], accounts, catalog, now)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        lost = list(pool.map(lose, losing))
    result.losers = len(lost)
    result.waitlisted = sum(1 for *_, waitlist_id in lost if waitlist_id)
    result.details["lost_requests"] = stores().draws.record_losers(lost, WORKERS)
    stores().draws.finish(draw.draw_id, result.winners, now)
    forget_cached()
    log.info("draw drawn", extra=result.summary())
    return result


def _book_winner(
    draw: Draw, entry: Entry, office: Office, service: Any, start: str, rank: int, account: Any, now: datetime
) -> Exception | None:
    """The winner's booking, in the booking transaction (R7, R9, R11, R12), with the entry `won` in it.
    None when booked (now or by an earlier run); the refusal otherwise."""
    end = _slot_end(office, service.code, draw.date, start)
    if end is None:
        return errors.NoSuchSlot("The slot is no longer in the hall's timetable.")
    booking_id = winner_booking_id(draw.draw_id, entry.entry_id)
    booking = Booking(
        booking_id=booking_id,
        reference=new_reference(),
        account_id=entry.account_id,
        subject_id_number=entry.subject_id_number,
        office_id=office.office_id,
        service_code=service.code,
        date=draw.date,
        start=start,
        end=end,
        status=Status.BOOKED.value,
        created_at=now.isoformat(timespec="milliseconds"),
    )
    phone, lang = (account.phone or "", account.lang) if account else ("", "zh")
    sms = messages.booking_message("draw_won", booking, office, service, phone, lang, now)
    ends_at = datetime.combine(draw.date, parse_hhmm(end), SHANGHAI)
    try:
        guard = stores().draws.won_guard(entry, booking_id, rank)
        stores().bookings.book_slot(booking, sms, now, ends_at, guard=guard)
    except (ReplayedBooking, GuardMoved):
        return None  # booked by an earlier run (the entry is `won` in the same transaction)
    except (errors.SlotFull, errors.NoSuchSlot, errors.AlreadyBooked, errors.Suspended) as refusal:
        log.info("a winner was refused at booking", extra={"draw_id": draw.draw_id, "code": refusal.code})
        return refusal
    return None


def _slot_end(office: Office, service_code: str, day: date, start: str) -> str | None:
    """The end of a slot of the hall's timetable that day (no read: a closed slot refuses the booking itself)."""
    catalog = stores().catalog.load_catalog()
    for slot in slots_for_day(
        {service_code: office.timetable.get(service_code, [])}, day, catalog.calendar, office.closed_days
    ):
        if slot.start == start:
            return slot.end
    return None


def _lost(
    entry: Entry,
    reason: str,
    rank: int,
    accounts: dict[str, Any],
    catalog: Catalog,
    now: datetime,
) -> tuple[Entry, str, int, Message | None, str | None]:
    """A loser's SMS and, if asked, its waitlist entry for its hall's day (R18)."""
    waitlist_id = _join_waitlist(entry, now) if entry.waitlist else None
    account = accounts.get(entry.account_id)
    service = catalog.services[entry.service_code]
    message = None
    if account is not None and account.phone:
        message = messages.message(
            f"{entry.entry_id}#draw_lost",
            "draw_lost",
            account.phone,
            account.lang,
            now,
            {"draw_id": entry.draw_id},
            date=entry.date.isoformat(),
            service_name=service.name_zh,
            waitlist="，已为您登记候补" if waitlist_id else "",
            waitlist_en="; you are on the waitlist" if waitlist_id else "",
        )
    return entry, reason, rank, message, waitlist_id


def _join_waitlist(entry: Entry, now: datetime) -> str | None:
    """R18 for a loser who asked: a waitlist entry for its hall's whole day (derived id: once)."""
    waitlist_id = hashlib.sha256(f"draw-waitlist\n{entry.entry_id}".encode()).hexdigest()[:32]
    if now >= cut_off(entry.date):
        return None
    wait = WaitlistEntry(
        waitlist_id,
        entry.account_id,
        entry.subject_id_number,
        entry.office_id,
        entry.service_code,
        entry.date,
        None,
        WaitStatus.WAITING.value,
        now.isoformat(timespec="milliseconds"),
    )
    try:
        stores().waitlist.join(wait, cut_off(entry.date), now)
    except (errors.AlreadyBooked, errors.Suspended, Cancelled):  # refused, or joined by an earlier run
        return waitlist_id if stores().waitlist.get_entry(waitlist_id) else None
    return waitlist_id
