"""R23 fair release (摇号): the use cases around hallbook.domain.draw; this module keeps the draws of
the drawn days, their announcement and whether a day is open to first-come booking.

- An administrator marks a service drawn in a region (services.draw_settings: `mark_drawn`) from the
  next noon release on, or ends it (`unmark`: days already opened keep their draws). Marking announces the first draw at once;
  every noon release announces the next day's (`announce_next`), so each draw's seed hash is public
  a day before its entry period.
- A drawn day is not first-come from its noon release until its draw is done: `ensure_first_come`
  (in every booking path, services.bookings.book) answers DRAW_OPEN; it costs nothing for a service
  that is not drawn (the catalog, cached) and one cached read of the draw for one that is.
- `enter` (services.draw_entries): during the entry period (12:00 to the close) one entry per subject
  (canonical ID number) per draw: one PutItem, nothing contended. R9 (no active booking of the service) and R11/R12 (not
  suspended) are checked at entry and again at the allocation.
- `run_due` (the DrawClose schedule, every minute 12:00-14:59) draws each draw whose close is SETTLE
  past: services.draw_run.
"""

from __future__ import annotations

import logging
import threading
import time as monotonic_time
from datetime import date, datetime, timedelta

from ..clock import SHANGHAI
from ..domain import draw as rules
from ..domain import errors
from ..domain.booking_window import DEFAULT_WINDOW_DAYS
from ..i18n import N_
from ..store.catalog import Catalog, Office
from ..store.draws import Draw
from ..store.stores import stores

log = logging.getLogger(__name__)


def window_days(catalog: Catalog, region: str) -> int:
    if region in catalog.regions:
        return catalog.regions[region].booking_window_days
    if any(o.region == region for o in catalog.offices.values()):
        return DEFAULT_WINDOW_DAYS
    raise errors.NotFound(N_("There is no region {region}.", region=region))


_cache: dict[str, tuple[float, Draw]] = {}
_cache_lock = threading.Lock()
OPEN_CACHE_SECONDS = 1.0  # a draw not yet drawn is read again after this; a drawn one never changes


def draw_of(region: str, service_code: str, day: date, entry_minutes: int, window: int, now: datetime) -> Draw:
    """The draw of a drawn day, announced now if nobody has yet (the first writer's seed stays)."""
    draw_id = rules.draw_id(region, service_code, day)
    with _cache_lock:
        cached = _cache.get(draw_id)
    if cached is not None and (
        cached[1].state == "drawn" or monotonic_time.monotonic() - cached[0] < OPEN_CACHE_SECONDS
    ):
        return cached[1]
    draw = stores().draws.get_draw(draw_id)
    if draw is None:
        seed = rules.new_seed()
        opens = rules.opens_at(day, window)
        draw = stores().draws.announce(
            Draw(
                draw_id,
                region,
                service_code,
                day,
                opens,
                opens + timedelta(minutes=entry_minutes),
                rules.commitment(seed),
                "open",
                now.isoformat(timespec="seconds"),
                seed=seed,
            )
        )
    with _cache_lock:
        _cache[draw_id] = (monotonic_time.monotonic(), draw)
    return draw


def forget_cached() -> None:
    with _cache_lock:
        _cache.clear()


def announce_next(now: datetime, catalog: Catalog | None = None) -> int:
    """The noon release: every drawn service announces the draw of the day the NEXT noon opens, so its
    seed hash is public a day ahead (and the day opening now, if nobody announced it). How many."""
    catalog = catalog or stores().catalog.load_catalog(max_age=0)
    announced = 0
    for setting in catalog.draws.values():
        window = window_days(catalog, setting.region)
        for day in (rules.last_opened_day(now, window), rules.first_drawn_day(now, window)):
            if setting.covers(day) and rules.opens_at(day, window) + timedelta(minutes=setting.entry_minutes) > now:
                draw_of(setting.region, setting.service_code, day, setting.entry_minutes, window, now)
                announced += 1
    return announced


def ensure_first_come(catalog: Catalog, office: Office, service_code: str, day: date, now: datetime) -> None:
    """R23: DRAW_OPEN while a drawn day's places are drawn (from its noon release until its draw is
    done); nothing for a day that is not drawn."""
    setting = catalog.drawn(office, service_code, day)
    if setting is None:
        return
    window = catalog.booking_window_days(office)
    if now < rules.opens_at(day, window):
        return  # not released yet: the booking window refuses it
    draw = draw_of(office.region, service_code, day, setting.entry_minutes, window, now)
    if draw.state != "drawn":
        closes = draw.closes_at.astimezone(SHANGHAI).strftime("%H:%M")
        raise errors.DrawOpen(
            N_(
                "The places of {day} are drawn by lot: enter the draw until {closes}; "
                "the places left after the draw are first-come.",
                day=day,
                closes=closes,
            ),
            draw_id=draw.draw_id,
        )


def get_public(draw_id: str) -> Draw:
    draw = stores().draws.get_draw(draw_id)
    if draw is None:
        raise errors.NotFound("There is no such draw.")
    return draw


def places_of(draw: Draw, catalog: Catalog) -> int:
    """The draw's places: as frozen at the close, or the released places of its halls until then."""
    if draw.frozen is not None:
        return sum(n for _, _, n in draw.frozen["places"])
    return sum(halls_and_places(draw, catalog)[1].values())


def halls_and_places(draw: Draw, catalog: Catalog) -> tuple[dict[str, rules.Hall], dict[rules.Choice, int]]:
    """The halls of the draw's region that offer its service that day, and each released slot's free places."""
    halls: dict[str, rules.Hall] = {}
    places: dict[rules.Choice, int] = {}
    for office in sorted(catalog.offices.values(), key=lambda o: o.office_id):
        if office.region != draw.region or draw.service_code not in office.services:
            continue
        slots = [
            s
            for s in stores().slots.slots_between(
                office.office_id, draw.service_code, draw.date, draw.date, consistent=True
            )
            if not s.closed
        ]
        if not slots:
            continue
        halls[office.office_id] = rules.Hall(office.office_id, office.district, tuple(sorted(s.start for s in slots)))
        for s in slots:
            places[(office.office_id, s.start)] = s.remaining
    return halls, places
