"""R11/R12: suspensions after repeated cancellations or no-shows.

The counters live on the subject's record; whether a subject is suspended is derived from them at the
moment of asking, so nothing has to be "lifted" when a month or six months end.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from dateutil.relativedelta import relativedelta

from ..clock import SHANGHAI

CANCELS_PER_MONTH = 3
NO_SHOWS_LIMIT = 3
NO_SHOW_MONTHS = 6


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), or the month's last day if it is shorter: 31 August
    + 6 months is 28 February."""
    later: date = day + relativedelta(months=months)
    return later


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), SHANGHAI)


def month_end(day: date) -> datetime:
    """The instant the month of `day` ends (the first moment of the next month)."""
    return start_of(add_months(day.replace(day=1), 1))


@dataclass(frozen=True)
class Suspension:
    until: datetime
    reason: str  # "cancellations" | "no_shows"

    def detail(self) -> str:
        why = (
            f"{CANCELS_PER_MONTH} cancellations this month"
            if self.reason == "cancellations"
            else f"{NO_SHOWS_LIMIT} no-shows within {NO_SHOW_MONTHS} months"
        )
        return f"Booking is suspended until {self.until.isoformat()} ({why})."


@dataclass
class SubjectRecord:
    """What the limits need to know about one subject (an ID number)."""

    cancellations: dict[str, int] = field(default_factory=dict)  # "YYYY-MM" -> count
    no_shows: list[date] = field(default_factory=list)

    def cancellations_in(self, day: date) -> int:
        return self.cancellations.get(month_key(day), 0)

    def no_shows_within(self, today: date) -> list[date]:
        since = add_months(today, -NO_SHOW_MONTHS)
        return sorted(d for d in self.no_shows if d > since)

    def no_show_suspension(self) -> Suspension | None:
        """Three no-shows within six months suspend for six months from the last of them."""
        shows = sorted(self.no_shows)
        latest: Suspension | None = None
        for i in range(NO_SHOWS_LIMIT - 1, len(shows)):
            last = shows[i]
            if shows[i - NO_SHOWS_LIMIT + 1] > add_months(last, -NO_SHOW_MONTHS):
                latest = Suspension(start_of(add_months(last, NO_SHOW_MONTHS)), "no_shows")
        return latest

    def suspension(self, now: datetime) -> Suspension | None:
        found = []
        if self.cancellations_in(now.date()) >= CANCELS_PER_MONTH:
            found.append(Suspension(month_end(now.date()), "cancellations"))
        no_show = self.no_show_suspension()
        if no_show and no_show.until > now:
            found.append(no_show)
        return max(found, key=lambda s: s.until) if found else None


def suspension_after_cancellation(count_before: int, now: datetime) -> Suspension | None:
    """The suspension the cancellation at `now` starts, if it is the month's third."""
    if count_before + 1 == CANCELS_PER_MONTH:
        return Suspension(month_end(now.date()), "cancellations")
    return None


def suspension_after_no_show(no_shows_before: list[date], day: date) -> Suspension | None:
    """R12: the suspension that a no-show on `day` starts (its third within six months) or extends (a
    later third), given the no-shows recorded before it; None when it changes nothing."""
    before = SubjectRecord(no_shows=list(no_shows_before)).no_show_suspension()
    after = SubjectRecord(no_shows=[*no_shows_before, day]).no_show_suspension()
    if after is not None and (before is None or after.until > before.until):
        return after
    return None
