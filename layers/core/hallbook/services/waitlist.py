"""R18 the waitlist (候补) and R19 the delayed return of cancelled places: the use cases.

- A citizen (or a guardian for a linked minor) joins for a full day or one slot of a hall's service
  that has no free place: the entry is the subject's active booking for the service (R9) and is
  refused as a booking would be (R1-R6, R11, R12).
- A citizen's or operator's cancellation keeps its place taken as a *delayed* place (store.bookings.
  cancel_booking) until a random instant 5-30 minutes later (R19; at once when that would pass the
  cut-off); then `dispatch` offers it to the first waiting entry that wants its slot, in join order,
  or with nobody waiting returns it to the pool. A capacity raise or a reopened slot offers its free
  places to the waiting entries the same way, and is never delayed.
- An offer holds the place for the hold time (20 minutes; never past the cut-off) with an SMS;
  accepting turns it into a booking in one transaction; declining (DELETE) or the deadline passing
  ends the entry and the place goes on to the next waiting entry, or back to the pool after a new
  random delay (a place a waiting stranger let lapse is as guardable as a cancelled one).
- Waiting entries end at their day's cut-off with an SMS.

Timers (offer deadlines, delayed returns, cut-offs) are items in the sparse by_due index; `run_timers`
acts on what is due, every minute ({"job": "waitlist"}, the WaitlistTimers schedule; the no-show
sweep runs them too). A cancelled place's return instant is drawn uniformly to the second (R19) and
it goes to the waitlist only then, never at once. Offers are made from 08:00 to 21:30 only: a return
that would fall at night is drawn in the next morning (domain.waitlist.return_at). Nothing depends on it
running exactly on time: an offer past its deadline cannot be accepted whatever the timer did, and a
place that returns a minute late was simply not bookable for a minute longer.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ..clock import SHANGHAI
from ..clock import now as clock_now
from ..config import settings
from ..domain import errors
from ..domain.booking import CANCEL_CUTOFF_TEXT, Status
from ..domain.reference import new_reference
from ..domain.timetable import parse_hhmm
from ..domain.waitlist import (
    DelayRange,
    EntryStatus,
    Origin,
    PlaceState,
    cut_off,
    entry_wants,
    offer_deadline,
    offer_hours,
    return_at,
)
from ..i18n import N_, Bilingual
from ..store import accounts as account_store
from ..store import bookings as booking_store
from ..store import slots as slot_store
from ..store import waitlist as store
from ..store import waitlist_transactions as waitlist_tx
from ..store.bookings import Booking
from ..store.catalog import Catalog, load_catalog
from ..store.outbox import Message
from ..store.waitlist import Entry, EntryMoved, Place, PlaceMoved
from . import eligibility, guardians, messages
from .catalog import get_office, get_service, parse_day
from .ownership import owned_by
from .reminders import own_reminder
from .tokens import Caller

log = logging.getLogger(__name__)


def hold_time() -> timedelta:
    return timedelta(minutes=settings().waitlist_hold_minutes)


def delay_range() -> DelayRange:
    return DelayRange(settings().release_delay_min_minutes, settings().release_delay_max_minutes)


# ---------------------------------------------------------------- the citizen's routes


@dataclass(frozen=True)
class JoinRequest:
    office_id: str
    service_code: str
    date: str
    start: str | None = None
    subject_id_number: str | None = None


def join(caller: Caller, request: JoinRequest, now: datetime) -> Entry:
    """R18: wait for a full day (no `start`) or one slot. Refused like a booking (R1-R6, R9, R11, R12),
    and with INVALID_STATE while the day or slot has a free place (book it instead)."""
    day = parse_day(request.date, "date")
    if request.start is not None:
        try:
            parse_hhmm(request.start)
        except ValueError:
            raise errors.ValidationFailed("`start` must be a time HH:MM", field="start") from None
    catalog = load_catalog()
    office = get_office(request.office_id, catalog)
    service = get_service(request.service_code, catalog)
    eligibility.ensure_appointment_service(service)
    eligibility.ensure_offered(office, service)
    eligibility.ensure_in_booking_window(
        catalog, office, day, now, "A waitlist is for a released day from tomorrow on."
    )
    if now >= cut_off(day):
        raise errors.OutsideBookingWindow(
            N_("The waitlist for that day closed at the cut-off ({cutoff} the day before).", cutoff=CANCEL_CUTOFF_TEXT)
        )
    planned = set(eligibility.day_plan(catalog, office, service, day))
    if request.start is not None and request.start not in planned or not planned:
        raise errors.NoSuchSlot(
            N_(
                "{office} has no {service} slot on {day} at {start}.",
                office=Bilingual(office.name, office.name_en),
                service=Bilingual(service.name_zh, service.name_en),
                day=day,
                start=request.start,
            )
            if request.start
            else N_(
                "{office} has no {service} slot on {day}.",
                office=Bilingual(office.name, office.name_en),
                service=Bilingual(service.name_zh, service.name_en),
                day=day,
            )
        )
    slots = [
        s
        for s in slot_store.slots_between(office.office_id, service.code, day, day)
        if not s.closed and (request.start is None or s.start == request.start)
    ]
    if not slots:
        raise errors.NoSuchSlot(
            N_("No released slot on {day} at {start}.", day=day, start=request.start)
            if request.start
            else N_("No released slot on {day}.", day=day)
        )
    free = [s.start for s in slots if s.remaining > 0]
    if free:
        raise errors.InvalidState(N_("There are free places ({starts}): book one instead of waiting.", starts=free))

    account = eligibility.account_that_may_book(caller, now)
    subject_id = eligibility.subject_for(account, request.subject_id_number, service, now.date())
    entry = Entry(
        uuid.uuid4().hex,
        account.account_id,
        subject_id,
        office.office_id,
        service.code,
        day,
        request.start,
        EntryStatus.WAITING.value,
        now.isoformat(timespec="milliseconds"),
    )
    waitlist_tx.join(entry, cut_off(day), now)
    log.info(
        "joined the waitlist",
        extra={"office_id": office.office_id, "service_code": service.code, "date": day.isoformat()},
    )
    return entry


def own_entry(caller: Caller, entry_id: str) -> Entry:
    """Only the account that made an entry sees or changes it; anybody else's is 404, as an unknown one."""
    return owned_by(caller, entry_id, store.get_entry, "waitlist entry")


def list_entries(caller: Caller) -> list[Entry]:
    return store.entries_of_account(caller.account_id)


def leave(caller: Caller, entry_id: str, now: datetime) -> Entry:
    """Leave the waitlist; an offer held is declined and its place passes on at once. Leaving never
    counts as a cancellation (R11): no place was ever the subject's."""
    entry = own_entry(caller, entry_id)
    catalog = load_catalog()
    if entry.status == EntryStatus.WAITING.value:
        try:
            waitlist_tx.end_entry(entry, EntryStatus.LEFT, now, [])
            return store.get_entry(entry.entry_id) or entry
        except EntryMoved:
            entry = own_entry(caller, entry_id)  # offered meanwhile: decline it below
    if entry.status != EntryStatus.OFFERED.value:
        raise errors.InvalidState(
            N_("The entry is {status}; only a waiting or offered one can be left.", status=entry.status)
        )
    _end_offer(entry, EntryStatus.DECLINED, now, catalog)
    return store.get_entry(entry.entry_id) or entry


def accept(caller: Caller, entry_id: str, notice_acknowledged: bool, now: datetime) -> tuple[Booking, bool]:
    """R18: the offer becomes a booking, with every rule of R8-R12 checked then. (booking, created):
    accepting again answers the same booking."""
    entry = own_entry(caller, entry_id)
    catalog = load_catalog()
    if entry.status == EntryStatus.ACCEPTED.value and entry.booking_id:
        booking = booking_store.get_booking(entry.booking_id)
        if booking is not None:
            return booking, False
    if entry.status != EntryStatus.OFFERED.value or entry.offer_until is None or entry.offer_until <= now:
        raise errors.InvalidState("There is no place held for this entry to accept.")
    if notice_acknowledged is not True:
        raise errors.NoticeNotAcknowledged("Read and acknowledge the service's notice before booking.")
    office, service = get_office(entry.office_id, catalog), get_service(entry.service_code, catalog)
    account = eligibility.account_that_may_book(caller, now)
    if entry.subject_id_number != account.id_number and not guardians.is_guardian(
        account.account_id, entry.subject_id_number
    ):
        raise errors.Forbidden("Your account no longer acts for this minor.")  # R2: the link was revoked
    assert entry.offer_start and entry.offer_end
    booking = Booking(
        booking_id=hashlib.sha256(f"waitlist\n{entry.entry_id}".encode()).hexdigest()[:32],
        reference=new_reference(),
        account_id=account.account_id,
        subject_id_number=entry.subject_id_number,
        office_id=entry.office_id,
        service_code=entry.service_code,
        date=entry.date,
        start=entry.offer_start,
        end=entry.offer_end,
        status=Status.BOOKED.value,
        created_at=now.isoformat(timespec="milliseconds"),
    )
    sms = [
        messages.booking_message("booked", booking, office, service, account.phone or "", account.lang, now),
        *own_reminder(booking, account, catalog, now),
    ]
    ends_at = datetime.combine(entry.date, parse_hhmm(entry.offer_end), SHANGHAI)
    try:
        waitlist_tx.accept_offer(entry, booking, ends_at, now, sms)
    except EntryMoved:
        again = store.get_entry(entry.entry_id)
        if again and again.status == EntryStatus.ACCEPTED.value and again.booking_id:
            made = booking_store.get_booking(again.booking_id)
            if made is not None:
                return made, False
        raise errors.InvalidState("There is no place held for this entry to accept.") from None
    log.info("waitlist offer accepted", extra={"booking_id": booking.booking_id, "office_id": entry.office_id})
    return booking, True


# ---------------------------------------------------------------- places freed


def delayed_place(booking: Booking, now: datetime) -> Place:
    """R19: the place a citizen's or operator's cancellation frees, delayed by a fresh random draw
    (the cancellation writes it: store.bookings.cancel_booking)."""
    return Place(
        place_id=hashlib.sha256(f"cancelled\n{booking.booking_id}".encode()).hexdigest()[:32],
        office_id=booking.office_id,
        service_code=booking.service_code,
        date=booking.date,
        start=booking.start,
        end=booking.end,
        state=PlaceState.DELAYED.value,
        origin=Origin.CANCELLATION.value,
        created_at=now.isoformat(),
        return_at=return_at(booking.date, now, delay_range().draw(), Origin.CANCELLATION),
    )


def after_cancellation(place: Place, now: datetime) -> None:
    """Right after a cancellation: nothing. R19: the place goes to the first waiting entry, or to the
    pool, only at its return instant (the minute's timer run), never at once: a seller cancelling on
    cue cannot hand it to a buyer waiting for that slot. Dispatched here only when its return is now
    (a delay that would pass the cut-off)."""
    if place.return_at is not None and place.return_at > now:
        return
    try:
        dispatch(place, now)
    except Exception:  # noqa: BLE001 - the cancellation is done; the timer will see to the place
        log.exception("dispatching a freed place failed; the timer run will", extra={"office_id": place.office_id})


def dispatch(place: Place, now: datetime, catalog: Catalog | None = None) -> str:
    """A delayed place whose return instant has come: offered to the first waiting entry that wants its
    slot (join order), else back to the pool. Before its return instant it stays delayed (R19: the
    waitlist gets nothing earlier than the pool would). 'offered', 'returned', 'delayed' or 'gone'."""
    catalog = catalog or load_catalog()
    if place.return_at is not None and place.return_at > now and now < cut_off(place.date):
        return "delayed"
    if now < cut_off(place.date) and not offer_hours(now):
        return "delayed"  # at night (a return drawn before the hours were shifted): the morning's runs see to it
    if now < cut_off(place.date):
        until = offer_deadline(place.date, now, hold_time())
        if until is not None:
            for entry in store.waiting_entries(place.office_id, place.service_code, place.date):
                if not entry_wants(entry.start, place.start):
                    continue
                try:
                    waitlist_tx.offer_delayed_place(
                        place, entry, until, now, _offer_sms(entry, place, until, catalog, now)
                    )
                    return "offered"
                except EntryMoved:
                    continue
                except PlaceMoved:
                    return "gone"
    try:
        waitlist_tx.return_to_pool(place, now)
        return "returned"
    except PlaceMoved:
        return "gone"


def offer_free_places(
    office_id: str, service_code: str, day: date, start: str, now: datetime, catalog: Catalog | None = None
) -> int:
    """A capacity raise or a reopened slot (never delayed, R19): each free place of the slot goes to
    the next waiting entry that wants it, while there are both. How many were offered."""
    if now >= cut_off(day):
        return 0
    until = offer_deadline(day, now, hold_time())
    if until is None:
        return 0
    catalog = catalog or load_catalog()
    offered = 0
    for entry in store.waiting_entries(office_id, service_code, day):
        if not entry_wants(entry.start, start):
            continue
        slot = slot_store.get_slot(office_id, service_code, day, start)
        if slot is None or slot.remaining <= 0:
            break
        place = Place(
            uuid.uuid4().hex,
            office_id,
            service_code,
            day,
            start,
            slot.end,
            PlaceState.OFFERED.value,
            Origin.FREED.value,
            now.isoformat(),
        )
        try:
            waitlist_tx.hold_free_place(place, entry, until, now, _offer_sms(entry, place, until, catalog, now))
            offered += 1
        except EntryMoved:
            continue
        except (errors.SlotFull, errors.NoSuchSlot):
            break
    return offered


def offer_free_places_of_day(office_id: str, service_codes: list[str], day: date, now: datetime) -> int:
    """Every slot of a hall's day that has free places (a reopened day): offered to its waiting entries."""
    return sum(
        offer_free_places(office_id, code, day, slot.start, now)
        for code in service_codes
        for slot in slot_store.slots_between(office_id, code, day, day)
        if slot.remaining > 0
    )


def _end_offer(entry: Entry, status: EntryStatus, now: datetime, catalog: Catalog) -> None:
    """An offer declined or timed out: the entry ends, and its place is delayed again - a fresh random
    delay when it came from a cancellation, none when it was freed - then dispatched to the next."""
    place = store.get_place(entry.place_id or "")
    if place is None:
        return
    origin = Origin(place.origin)
    back = return_at(place.date, now, delay_range().draw(), origin)
    sms = (
        _entry_sms("waitlist_timed_out", entry, catalog, now, until=_hhmm(entry.offer_until))
        if status is EntryStatus.TIMED_OUT
        else []
    )
    try:
        waitlist_tx.pass_offer_on(entry, status, back, now, sms)
    except EntryMoved:
        return  # accepted, or passed on by another run
    dispatch(
        Place(
            **{
                **place.__dict__,
                "state": PlaceState.DELAYED.value,
                "entry_id": None,
                "offer_until": None,
                "return_at": back,
            }
        ),
        now,
        catalog,
    )


def end_entries_for(account_id: str, subject_id_number: str, now: datetime) -> int:
    """R1 reclaim: the entries an account made for a subject it no longer holds end (an offer passes
    on), so a stranger's entry neither keeps the owner's R9 lock nor a place. How many ended."""
    catalog = load_catalog()
    ended = 0
    for entry in store.entries_of_account(account_id):
        if entry.subject_id_number != subject_id_number:
            continue
        if entry.status == EntryStatus.OFFERED.value:
            _end_offer(entry, EntryStatus.ENDED, now, catalog)
            ended += 1
        elif entry.status == EntryStatus.WAITING.value:
            try:
                waitlist_tx.end_entry(entry, EntryStatus.ENDED, now, [])
                ended += 1
            except EntryMoved:
                continue
    return ended


# ---------------------------------------------------------------- hall closures


def close_day(office_id: str, service_codes: list[str], day: date, reason: str, now: datetime) -> int:
    """A closed day: its places go and its entries end, each told by SMS. How many entries ended."""
    catalog = load_catalog()
    ended = 0
    for code in service_codes:
        for place in store.places_of_day(office_id, code, day):
            entry = (
                store.get_entry(place.entry_id) if place.entry_id and place.state == PlaceState.OFFERED.value else None
            )
            sms = _entry_sms("waitlist_closed", entry, catalog, now, reason=reason) if entry else []
            try:
                waitlist_tx.withdraw_place(place, entry, now, sms)
                ended += entry is not None
            except PlaceMoved:
                continue
        for entry in store.waiting_entries(office_id, code, day):
            try:
                waitlist_tx.end_entry(
                    entry, EntryStatus.ENDED, now, _entry_sms("waitlist_closed", entry, catalog, now, reason=reason)
                )
                ended += 1
            except EntryMoved:
                continue
    return ended


# ---------------------------------------------------------------- the timers


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
    keys = store.due_keys(now)
    result.due = len(keys)
    if not keys:
        return result
    catalog = load_catalog()
    items = store.get_items(keys)
    # offers first (they free places), then delayed places, then the entries that end
    for item in sorted(items, key=lambda i: (isinstance(i, Entry), getattr(i, "state", "") != "offered")):
        if isinstance(item, Place):
            if item.state == PlaceState.OFFERED.value and item.offer_until and item.offer_until <= now:
                entry = store.get_entry(item.entry_id or "")
                if entry is not None and entry.status == EntryStatus.OFFERED.value:
                    _end_offer(entry, EntryStatus.TIMED_OUT, now, catalog)
                    result.timed_out += 1
            elif item.state == PlaceState.DELAYED.value and item.return_at and item.return_at <= now:
                outcome = dispatch(item, now, catalog)
                result.offered += outcome == "offered"
                result.returned += outcome == "returned"
        elif item.status == EntryStatus.WAITING.value and cut_off(item.date) <= now:
            try:
                waitlist_tx.end_entry(item, EntryStatus.ENDED, now, _entry_sms("waitlist_ended", item, catalog, now))
                result.ended += 1
            except EntryMoved:
                pass
    if result.timed_out or result.offered or result.returned or result.ended:
        log.info("waitlist timers", extra=result.summary())
    return result


# ---------------------------------------------------------------- SMS


def _hhmm(at: datetime | None) -> str:
    return at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") if at else ""


def _entry_sms(template: str, entry: Entry, catalog: Catalog, now: datetime, **extra: Any) -> list[Message]:
    account = account_store.get_account(entry.account_id)
    office, service = catalog.offices.get(entry.office_id), catalog.services.get(entry.service_code)
    if account is None or not account.phone or office is None or service is None:
        return []
    params = {
        "office_name": office.name,
        "office_name_en": office.name_en or office.name,
        "date": entry.date.isoformat(),
        "start": entry.offer_start or entry.start or "",
        "end": entry.offer_end or "",
        "service_name": service.name_zh,
        "service_name_en": service.name_en,
        **extra,
    }
    suffix = f"#{entry.place_id}" if template in ("waitlist_offer", "waitlist_timed_out") else ""
    return [
        messages.message(
            f"{entry.entry_id}#{template}{suffix}",
            template,
            account.phone,
            account.lang,
            now,
            {"waitlist_id": entry.entry_id},
            **params,
        )
    ]


def _offer_sms(entry: Entry, place: Place, until: datetime, catalog: Catalog, now: datetime) -> list[Message]:
    offered = Entry(
        **{**entry.__dict__, "place_id": place.place_id, "offer_start": place.start, "offer_end": place.end}
    )
    return _entry_sms("waitlist_offer", offered, catalog, now, until=_hhmm(until))
