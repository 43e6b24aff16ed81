"""Schedules fired by local mode: the expressions, and moving the clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from local.runtime import Functions
from local.scheduler import ClockMovedBack, Scheduler, occurrences
from local.system import LocalSystem
from local.template import Function, Schedule, load_handler

RECORDER = """
from hallbook.clock import now

runs = []

def handler(event, context):
    runs.append((event, now().isoformat()))
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def schedule(expression: str, timezone: str = "Asia/Shanghai", name: str = "s") -> Schedule:
    return Schedule(name, expression, timezone, None, "Recorder")


def iso(instants: list[datetime]) -> list[str]:
    return [i.isoformat() for i in instants]


def test_noon_in_shanghai_every_day() -> None:
    noon = schedule("cron(0 12 * * ? *)")
    fired = list(occurrences(noon, at("2026-09-14T09:00+08:00"), at("2026-09-16T12:00+08:00")))
    assert iso(fired) == ["2026-09-14T12:00:00+08:00", "2026-09-15T12:00:00+08:00", "2026-09-16T12:00:00+08:00"]
    assert fired[0] == at("2026-09-14T04:00Z")
    # (after, until]: a run exactly at `after` has fired already
    assert list(occurrences(noon, at("2026-09-14T12:00+08:00"), at("2026-09-15T11:59+08:00"))) == []


def test_every_five_minutes_from_seven_to_ten_past_nine_pm() -> None:
    sweep = schedule("cron(0/5 7-21 * * ? *)")
    assert iso(list(occurrences(sweep, at("2026-09-14T06:58+08:00"), at("2026-09-14T07:16+08:00")))) == [
        "2026-09-14T07:00:00+08:00",
        "2026-09-14T07:05:00+08:00",
        "2026-09-14T07:10:00+08:00",
        "2026-09-14T07:15:00+08:00",
    ]
    day = list(occurrences(sweep, at("2026-09-14T00:00+08:00"), at("2026-09-15T00:00+08:00")))
    assert len(day) == 15 * 12
    assert (day[0].isoformat(), day[-1].isoformat()) == ("2026-09-14T07:00:00+08:00", "2026-09-14T21:55:00+08:00")


def test_rate() -> None:
    every_five = schedule("rate(5 minutes)")
    assert iso(list(occurrences(every_five, at("2026-09-14T10:02+08:00"), at("2026-09-14T10:17+08:00")))) == [
        "2026-09-14T10:05:00+08:00",
        "2026-09-14T10:10:00+08:00",
        "2026-09-14T10:15:00+08:00",
    ]
    hourly = schedule("rate(1 hour)")
    assert len(list(occurrences(hourly, at("2026-09-14T00:00Z"), at("2026-09-15T00:00Z")))) == 24


def test_weekdays_months_and_time_zones() -> None:
    weekdays = schedule("cron(30 8 ? * MON-FRI *)")  # 2026-09-14 is a Monday
    fired = list(occurrences(weekdays, at("2026-09-13T00:00+08:00"), at("2026-09-20T23:59+08:00")))
    assert [d.strftime("%a %H:%M") for d in fired] == ["Mon 08:30", "Tue 08:30", "Wed 08:30", "Thu 08:30", "Fri 08:30"]
    sundays = schedule("cron(0 18 ? * 1 *)")
    assert iso(list(occurrences(sundays, at("2026-09-14T00:00+08:00"), at("2026-09-21T00:00+08:00")))) == [
        "2026-09-20T18:00:00+08:00"
    ]
    first_of_quarter = schedule("cron(0 0 1 JAN,APR,JUL,OCT ? 2027)", timezone="UTC")
    assert len(list(occurrences(first_of_quarter, at("2026-01-01T00:00Z"), at("2028-12-31T00:00Z")))) == 4


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 12 * * * *)",  # day-of-month and day-of-week both given
        "cron(0 12 ? * ? *)",  # neither
        "cron(0 12 L * ? *)",  # L is not supported
        "cron(0 24 * * ? *)",
        "cron(0 12 * * ?)",
        "at(2026-09-14T12:00:00)",
    ],
)
def test_unsupported_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ValueError):
        list(occurrences(schedule(expression), at("2026-09-14T00:00Z"), at("2026-09-15T00:00Z")))


def test_moving_the_clock_fires_each_run_at_its_time_in_order(system: LocalSystem, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(RECORDER)
    functions = Functions({"Recorder": Function("Recorder", str(tmp_path), "app.handler", 128, 3)})
    schedules = [
        Schedule("noon", "cron(0 12 * * ? *)", "Asia/Shanghai", '{"job": "release"}', "Recorder"),
        Schedule("evening", "cron(0 18 * * ? *)", "Asia/Shanghai", None, "Recorder"),
    ]
    drained: list[str] = []
    scheduler = Scheduler(
        schedules, functions, system.clock, after_run=lambda: drained.append(system.clock.now().isoformat())
    )
    system.clock.set(at("2026-09-14T09:00+08:00"))

    runs = scheduler.move_to(at("2026-09-15T12:30+08:00"))

    assert [(r.schedule, r.at.isoformat(), r.error) for r in runs] == [
        ("noon", "2026-09-14T12:00:00+08:00", None),
        ("evening", "2026-09-14T18:00:00+08:00", None),
        ("noon", "2026-09-15T12:00:00+08:00", None),
    ]
    recorded = load_handler(tmp_path, "app.handler").__globals__["runs"]
    assert recorded == [
        ({"job": "release"}, "2026-09-14T12:00:00+08:00"),
        ({}, "2026-09-14T18:00:00+08:00"),
        ({"job": "release"}, "2026-09-15T12:00:00+08:00"),
    ]
    # the pump ran first (what came before the move), then after each run, at its time
    assert drained == ["2026-09-14T09:00:00+08:00", *(r.at.isoformat() for r in runs)]
    assert system.clock.now() == at("2026-09-15T12:30+08:00")

    with pytest.raises(ClockMovedBack, match="cannot be un-run"):  # backward: refused, the clock stays
        scheduler.move_to(at("2026-09-14T08:00+08:00"))
    assert system.clock.now() == at("2026-09-15T12:30+08:00")
    assert scheduler.move_to(at("2026-09-15T12:30+08:00")) == []  # the same instant: nothing to do
    assert [r.at.isoformat() for r in scheduler.move_to(at("2026-09-16T12:00+08:00"))] == [
        "2026-09-15T18:00:00+08:00",
        "2026-09-16T12:00:00+08:00",
    ]


def test_a_failing_run_is_reported_and_the_next_still_fires(system: LocalSystem, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("def handler(event, context):\n    raise RuntimeError('no')\n")
    functions = Functions({"Failing": Function("Failing", str(tmp_path), "app.handler", 128, 3)})
    scheduler = Scheduler(
        [Schedule("daily", "cron(0 12 * * ? *)", "Asia/Shanghai", None, "Failing")],
        functions,
        system.clock,
        after_run=lambda: None,
    )
    runs = scheduler.move_to(at("2026-09-16T00:00+08:00"))
    assert [(r.schedule, r.error) for r in runs] == [("daily", "RuntimeError: no"), ("daily", "RuntimeError: no")]


def test_a_hint_leaves_out_the_runs_with_nothing_to_do_and_is_asked_again_after_each_run(
    system: LocalSystem, tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text(RECORDER)
    functions = Functions({"Recorder": Function("Recorder", str(tmp_path), "app.handler", 128, 3)})
    schedules = [
        Schedule("often", "cron(2/5 8-21 ? * * *)", "Asia/Shanghai", '{"job": "sweep"}', "Recorder"),
        Schedule("noon", "cron(0 12 * * ? *)", "Asia/Shanghai", '{"job": "release"}', "Recorder"),
        Schedule("also-noon", "cron(0 12 * * ? *)", "Asia/Shanghai", '{"job": "second"}', "Recorder"),
    ]
    asked: list[str] = []
    due = {"at": at("2026-09-14T10:30+08:00")}  # the noon run moves it: its fan-out changes the store

    def next_due(after: datetime) -> datetime | None:
        asked.append(after.isoformat())
        return due["at"]

    def after_run() -> None:
        if system.clock.now() == at("2026-09-14T12:00+08:00"):
            due["at"] = at("2026-09-14T12:10+08:00")
        elif due["at"] is not None and system.clock.now() >= due["at"]:
            due["at"] = None  # swept: nothing left

    scheduler = Scheduler(schedules, functions, system.clock, after_run=after_run, next_due={"often": next_due})
    system.clock.set(at("2026-09-14T09:00+08:00"))

    runs = scheduler.move_to(at("2026-09-15T09:00+08:00"))

    assert [(r.schedule, r.at.strftime("%H:%M")) for r in runs] == [
        ("often", "10:32"),
        ("noon", "12:00"),
        ("also-noon", "12:00"),
        ("often", "12:12"),
    ]
    assert len(asked) == len(runs) + 1
    assert system.clock.now() == at("2026-09-15T09:00+08:00")

    system.clock.set(at("2026-09-14T09:00+08:00"))  # as a test may; the scheduler is not asked
    everything = scheduler.move_to(at("2026-09-14T12:00+08:00"), exhaustive=True)
    assert len(everything) == 36 + 2 and len(asked) == len(runs) + 1  # every run; no hint asked


def test_a_failing_hint_fires_the_run(system: LocalSystem, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(RECORDER)
    functions = Functions({"Recorder": Function("Recorder", str(tmp_path), "app.handler", 128, 3)})
    hourly = Schedule("hourly", "cron(0 * * * ? *)", "Asia/Shanghai", None, "Recorder")

    def broken(after: datetime) -> datetime | None:
        raise RuntimeError("store unreachable")

    scheduler = Scheduler([hourly], functions, system.clock, after_run=lambda: None, next_due={"hourly": broken})
    assert len(scheduler.move_to(at("2026-09-14T12:00+08:00"))) == 3  # from START, 09:00


def test_rate_runs_are_found_from_just_before_an_instant_on_their_grid() -> None:
    every_five = schedule("rate(5 minutes)")
    just_before = at("2026-09-14T10:05+08:00") - timedelta(microseconds=1)
    assert iso(list(occurrences(every_five, just_before, at("2026-09-14T10:10+08:00")))) == [
        "2026-09-14T10:05:00+08:00",
        "2026-09-14T10:10:00+08:00",
    ]
