"""R11/R12: suspensions after repeated cancellations or no-shows; R21: the warning one step before.

The counters live on the subject's record; whether a subject is suspended is derived from them at the
moment of asking, so nothing has to be "lifted" when a month or six months end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from ..clock import SHANGHAI
from ..i18n import N_

CANCELS_PER_MONTH = 3
NO_SHOWS_LIMIT = 3
NO_SHOW_MONTHS = 6
# R21: warn when one more cancellation (no-show) would suspend - the second of three
WARN_AT_CANCELLATIONS = CANCELS_PER_MONTH - 1
WARN_AT_NO_SHOWS = NO_SHOWS_LIMIT - 1
# R22: abuse flags - what an administrator is shown (never a sanction: nothing here suspends anyone)
FLAG_PERIOD_DAYS = 30  # every pattern counts the events of the last 30 days
FLAG_PHONE_ID_NUMBERS = 3  # distinct ID numbers one phone registered with, or lost in a reclaim
FLAG_BOOK_CANCEL_CYCLES = 3  # cancelled bookings of one subject for one service (R11 allows 2 a month)
FLAG_MINORS_PER_ACCOUNT = 4  # distinct minors one account named (links asked, bookings refused)
FLAG_ACCOUNTS_PER_SUBJECT = 3  # distinct accounts that booked for one minor (two parents are normal)
FLAG_NOON_BURSTS = 1  # an account's booking attempts refused by its rate limit within the noon minute


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
        if self.reason == "cancellations":
            return N_(
                "Booking is suspended until {until} ({count} cancellations this month).",
                until=self.until.isoformat(),
                count=CANCELS_PER_MONTH,
            )
        return N_(
            "Booking is suspended until {until} ({count} no-shows within {months} months).",
            until=self.until.isoformat(),
            count=NO_SHOWS_LIMIT,
            months=NO_SHOW_MONTHS,
        )


@dataclass(frozen=True)
class SanctionWarning:
    """R21: `count` cancellations (no-shows) so far; one more on or before `last_day` suspends booking
    - until `suspends_until` (cancellations: the month's end), or for NO_SHOW_MONTHS from that
    no-show's day (no-shows, `suspends_until` None: it depends on the day of that no-show)."""

    reason: str  # "cancellations" | "no_shows"
    count: int
    last_day: date
    suspends_until: datetime | None = None

    @property
    def limit(self) -> int:
        return CANCELS_PER_MONTH if self.reason == "cancellations" else NO_SHOWS_LIMIT

    @property
    def left(self) -> int:
        return self.limit - self.count

    def detail(self) -> str:
        if self.reason == "cancellations":
            return N_(
                "{count} cancellations this month: {left} more on or before {last_day} suspends booking until {until}.",
                count=self.count,
                left=self.left,
                last_day=self.last_day,
                until=self.suspends_until.isoformat() if self.suspends_until else "",
            )
        return N_(
            "{count} no-shows within {months} months: {left} more on or before {last_day} suspends booking for "
            "{months} months from that day.",
            count=self.count,
            months=NO_SHOW_MONTHS,
            left=self.left,
            last_day=self.last_day,
        )


def _cancellation_warning(count: int, today: date) -> SanctionWarning:
    end = month_end(today)
    return SanctionWarning("cancellations", count, end.date() - timedelta(days=1), end)


def last_day_counting_with(first: date) -> date:
    """The last day a no-show still falls within NO_SHOW_MONTHS of the no-show on `first` (R12's
    window, month ends clamped as add_months clamps them)."""
    day = add_months(first, NO_SHOW_MONTHS) - timedelta(days=1)
    while add_months(day + timedelta(days=1), -NO_SHOW_MONTHS) < first:
        day += timedelta(days=1)
    return day


def _no_show_warning(shows: list[date]) -> SanctionWarning:
    """`shows`: the no-shows within the six months, oldest first; the warning lasts while the oldest
    of them still counts together with a next one."""
    return SanctionWarning("no_shows", len(shows), last_day_counting_with(shows[-WARN_AT_NO_SHOWS]))


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

    def warnings(self, now: datetime) -> list[SanctionWarning]:
        """R21, as /v1/me shows it: one more cancellation this month, or one more no-show within the
        six months, would suspend booking (nothing while that suspension already runs)."""
        found = []
        today = now.date()
        cancelled = self.cancellations_in(today)
        if cancelled == WARN_AT_CANCELLATIONS:
            found.append(_cancellation_warning(cancelled, today))
        shows = self.no_shows_within(today)
        no_show = self.no_show_suspension()
        if len(shows) == WARN_AT_NO_SHOWS and not (no_show and no_show.until > now):
            found.append(_no_show_warning(shows))
        return found

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


def warning_after_cancellation(count_before: int, now: datetime) -> SanctionWarning | None:
    """R21: the warning the cancellation at `now` calls for, if it is the month's second."""
    if count_before + 1 == WARN_AT_CANCELLATIONS:
        return _cancellation_warning(count_before + 1, now.date())
    return None


def warning_after_no_show(no_shows_before: list[date], day: date) -> SanctionWarning | None:
    """R21: the warning a no-show on `day` calls for - the second within six months (counting back
    from `day`), when it suspends nothing."""
    if suspension_after_no_show(no_shows_before, day) is not None:
        return None
    since = add_months(day, -NO_SHOW_MONTHS)
    shows = sorted(d for d in [*no_shows_before, day] if since < d <= day)
    if len(shows) == WARN_AT_NO_SHOWS:
        return _no_show_warning(shows)
    return None
