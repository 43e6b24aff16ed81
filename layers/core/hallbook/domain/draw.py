"""R23 fair release (摇号): the draw, as plain Python anyone can run to check a published draw.

A service an administrator marks as drawn in a region is not first-come at 12:00 for the day the noon
release opens: from 12:00 to the close (`entry_minutes` later) each subject may enter once; at the
close the day's places of every hall of the region that offers the service are drawn among the
entries. How, exactly (ALGORITHM below, also published with every draw):

1. The seed is 32 random bytes, written as 64 hex digits. Its SHA-256 (`seed_sha256`) is published
   when the draw is announced, before its entry period opens; the seed itself after the draw. So the
   seed was fixed before anybody entered, and nobody (the operators included) could pick one that
   favours an entry without the published hash giving it away.
2. Each entry's draw number is the SHA-256 of the UTF-8 text `<seed>\\n<entry_id>`, in hex; the entries
   are taken in ascending order of that number (`draw_order`). The order therefore depends on the seed
   and on nothing else: not on when, how fast or from where an entry was made.
3. Entries found ineligible at the close (R8-R12: suspended, already booked for the service, account
   or guardian link gone; the draw's record lists them) are skipped.
4. Each entry, in that order, gets the first of its choices (`choices`) with a place left: its
   preferred starts at its hall in the order given, or every slot of its hall in time order when it
   named none; then, if it asked for any hall of its district, every slot of the other halls of that
   district offering the service, by office id and time. An entry with no choice left loses.

`allocate` is that, and nothing else: a deterministic function of the seed, the entries (sorted by
id), their choices, the places and the ineligible entries, so running it again (the job after a
crash, an auditor at home) gives the same winners.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from ..clock import SHANGHAI
from ..i18n import N_

ALGORITHM = (
    "sha256-order-v1: draw number of an entry = SHA-256(UTF-8 '<seed>\\n<entry_id>') in hex; entries in "
    "ascending draw number; ineligible entries skipped; each entry takes the first of its choices with a "
    "place left (its preferred starts at its hall in order, else every slot of its hall by time; then, if "
    "it asked for any hall of its district, every slot of the district's other halls by office id and "
    "time); an entry with no choice left loses. Recompute: hallbook/domain/draw.py allocate()."
)
MAX_STARTS = 3
SETTLE = timedelta(seconds=60)  # the close's last entries reach the index before the draw reads it
RELEASE_TIME = time(12, 0)


def new_seed() -> str:
    """32 bytes from the operating system's randomness, as 64 hex digits."""
    return secrets.token_hex(32)


def commitment(seed: str) -> str:
    """The hash published before the entry period: SHA-256 of the seed's text."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def draw_number(seed: str, entry_id: str) -> str:
    return hashlib.sha256(f"{seed}\n{entry_id}".encode()).hexdigest()


def draw_order(seed: str, entry_ids: Iterable[str]) -> list[str]:
    """The entries in the order the draw takes them."""
    return sorted(entry_ids, key=lambda entry_id: draw_number(seed, entry_id))


def entries_digest(entry_ids: Iterable[str]) -> str:
    """SHA-256 of the sorted entry ids, one per line: published at the close, so the list the draw ran
    on cannot be changed afterwards."""
    return hashlib.sha256("".join(f"{e}\n" for e in sorted(entry_ids)).encode()).hexdigest()


def draw_id(region: str, service_code: str, day: date) -> str:
    return f"{region}.{service_code}.{day.isoformat()}"


def opens_at(day: date, booking_window_days: int) -> datetime:
    """The noon release that opens `day` (R6): 12:00 Asia/Shanghai, `booking_window_days` before it."""
    return datetime.combine(day - timedelta(days=booking_window_days), RELEASE_TIME, SHANGHAI)


def first_drawn_day(now: datetime, booking_window_days: int) -> date:
    """The day the next noon release opens: a service marked drawn now is drawn from that day on."""
    local = now.astimezone(SHANGHAI)
    release_day = local.date() if local.timetz().replace(tzinfo=None) < RELEASE_TIME else local.date() + timedelta(1)
    return release_day + timedelta(days=booking_window_days)


def last_opened_day(now: datetime, booking_window_days: int) -> date:
    """The last day a noon release has opened by `now` (a service no longer drawn keeps its draws up to it)."""
    return first_drawn_day(now, booking_window_days) - timedelta(days=1)


@dataclass(frozen=True)
class Hall:
    """A hall of the draw's region offering the service: its district and the starts of its slots that day."""

    office_id: str
    district: str
    starts: tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    entry_id: str
    office_id: str
    starts: tuple[str, ...] | None  # None: any slot of the day at its hall
    any_office: bool = False  # also any hall of its hall's district


Choice = tuple[str, str]  # (office_id, start)


def choices(entry: Entry, halls: Mapping[str, Hall]) -> list[Choice]:
    """The places an entry accepts, best first (module docstring, step 4)."""
    own = halls.get(entry.office_id)
    if own is None:
        return []
    wanted = [s for s in entry.starts if s in own.starts] if entry.starts is not None else sorted(own.starts)
    found = [(own.office_id, s) for s in wanted]
    if entry.any_office:
        for office_id in sorted(halls):
            hall = halls[office_id]
            if office_id != own.office_id and hall.district == own.district:
                found += [(office_id, s) for s in sorted(hall.starts)]
    return found


@dataclass
class Allocation:
    order: list[str]  # every entry id, in draw order
    winners: dict[str, Choice] = field(default_factory=dict)  # entry id -> the place it won
    losers: list[str] = field(default_factory=list)  # eligible entries with no place, in draw order
    skipped: list[str] = field(default_factory=list)  # ineligible entries, in draw order
    left: dict[Choice, int] = field(default_factory=dict)  # places nobody won (first-come after the draw)


def allocate(
    seed: str,
    entries: Sequence[Entry],
    halls: Mapping[str, Hall],
    places: Mapping[Choice, int],
    ineligible: Iterable[str] = (),
) -> Allocation:
    """The draw (module docstring): who wins which place. Each entry id at most once (one per subject:
    the entries' keys guarantee it); never more winners of a place than `places` says it has."""
    by_id = {e.entry_id: e for e in entries}
    if len(by_id) != len(entries):
        raise ValueError("an entry id appears twice")
    skip = set(ineligible)
    left = {k: int(v) for k, v in places.items() if v > 0}
    result = Allocation(order=draw_order(seed, by_id))
    for entry_id in result.order:
        if entry_id in skip:
            result.skipped.append(entry_id)
            continue
        for choice in choices(by_id[entry_id], halls):
            if left.get(choice, 0) > 0:
                left[choice] -= 1
                result.winners[entry_id] = choice
                break
        else:
            result.losers.append(entry_id)
    result.left = {k: v for k, v in left.items() if v > 0}
    return result


def would_win(entry: Entry, halls: Mapping[str, Hall], left: Mapping[Choice, int]) -> bool:
    """Whether an entry taken now would find a place (the job checks eligibility only for those)."""
    return any(left.get(c, 0) > 0 for c in choices(entry, halls))


def valid_starts(starts: Sequence[str] | None) -> tuple[str, ...] | None:
    """An entry's preferred starts: null (any slot), or one to MAX_STARTS distinct HH:MM, in the order given."""
    if starts is None:
        return None
    if not 1 <= len(starts) <= MAX_STARTS or len(set(starts)) != len(starts):
        raise ValueError(N_("starts is null or 1 to {count} different times.", count=MAX_STARTS))
    return tuple(starts)
