"""R4/R5: a hall's weekly timetable expanded into the slots of one day."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time

from ..clock import SHANGHAI
from .calendar import WorkCalendar

MAKEUP_DAY_TIMETABLE = 1  # a make-up working day (调休上班) follows the hall's Monday timetable


@dataclass(frozen=True)
class SlotTemplate:
    days: tuple[int, ...]  # ISO weekdays 1=Mon..7=Sun
    start: str  # HH:MM
    end: str
    capacity: int

    def __post_init__(self) -> None:
        if not (parse_hhmm(self.start) < parse_hhmm(self.end)):
            raise ValueError(f"slot {self.start}-{self.end} ends before it starts")
        if self.capacity < 0:
            raise ValueError("capacity cannot be negative")
        if not self.days or any(d not in range(1, 8) for d in self.days):
            raise ValueError("days are ISO weekdays 1..7")


@dataclass(frozen=True)
class Slot:
    service_code: str
    day: date
    start: str
    end: str
    capacity: int

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.day, parse_hhmm(self.start), SHANGHAI)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.day, parse_hhmm(self.end), SHANGHAI)


def parse_hhmm(value: str) -> time:
    hh, mm = value.split(":")
    if len(hh) != 2 or len(mm) != 2:
        raise ValueError(f"not HH:MM: {value!r}")
    return time(int(hh), int(mm))


def check_no_overlap(templates: list[SlotTemplate]) -> None:
    for weekday in range(1, 8):
        spans = sorted((t.start, t.end) for t in templates if weekday in t.days)
        for (s1, e1), (s2, _) in zip(spans, spans[1:]):
            if s2 < e1:
                raise ValueError(f"slots {s1}-{e1} and {s2} overlap on weekday {weekday}")


def plan_fingerprint(slots: list[Slot]) -> str:
    """What a day's planned slots are, in 16 hex digits: equal plans, equal fingerprints."""
    text = "|".join(sorted(f"{s.service_code},{s.day.isoformat()},{s.start},{s.end},{s.capacity}" for s in slots))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def slots_for_day(
    timetable: dict[str, list[SlotTemplate]],
    day: date,
    calendar: WorkCalendar,
    closed_days: set[date] | frozenset[date] = frozenset(),
) -> list[Slot]:
    """The slots a hall offers on `day`: none on a non-working day or a closure."""
    if day in closed_days or not calendar.is_working_day(day):
        return []
    weekday = MAKEUP_DAY_TIMETABLE if calendar.is_makeup_day(day) else day.isoweekday()
    return [
        Slot(code, day, t.start, t.end, t.capacity)
        for code, templates in sorted(timetable.items())
        for t in sorted(templates, key=lambda t: t.start)
        if weekday in t.days and t.capacity > 0
    ]
