"""Cold start: a handler's import loads neither the X-Ray SDK nor the libraries only some
routes need (PyJWT and cryptography, argon2, phonenumbers, python-stdnum, segno, icalendar); an environment initialised ahead of its
first request (provisioned concurrency: the noon warmth) loads them during init. What the import
costs is measured by `make bench` (import_ms_*), never asserted here. Each import runs in a fresh
interpreter (tests/startup/probes.py: started beside the other tests, awaited here)."""

from __future__ import annotations

import pytest

from tests.startup.probes import CALENDARS, HEAVY, PLATFORM, ROUTE_STORES, loaded


def heavy(probe: str) -> dict[str, bool]:
    return {name: loaded(probe)[name] for name in HEAVY}


@pytest.mark.parametrize("function", ["citizen_api", "staff_api"])
def test_an_on_demand_import_loads_none_of_the_heavy_libraries(function):
    assert heavy(function) == {name: False for name in HEAVY}


def test_a_provisioned_environment_loads_them_during_init():
    assert heavy("citizen_api provisioned") == {
        "aws_xray_sdk": False,
        "jwt": True,
        "argon2": True,
        "phonenumbers": True,
        "stdnum": True,
        "segno": True,
        "icalendar": True,
    }
    with_sdk = heavy("citizen_api provisioned with the X-Ray SDK")
    assert all(with_sdk.values()), with_sdk


@pytest.mark.parametrize("function", ["citizen_api", "staff_api", "admin_api"])
def test_an_api_function_loads_the_platform_at_import_and_no_routes_store(function):
    """Every request reads a table: pynamodb, Powertools' resolver, pydantic and its settings load at
    the cold start, never in a first request. A route's store (and what it brings: the calendar with
    chinesecalendar) loads when that route is first used."""
    seen = loaded(function)
    assert {name: seen[name] for name in PLATFORM} == {name: True for name in PLATFORM}
    assert {name: seen[name] for name in ROUTE_STORES} == {name: False for name in ROUTE_STORES}


def test_a_provisioned_environment_loads_the_routes_stores_during_init():
    seen = loaded("citizen_api provisioned")
    assert all(seen[name] for name in ("hallbook.store.bookings", "hallbook.store.catalog", "chinese_calendar")), seen


@pytest.mark.R5
@pytest.mark.parametrize("function", ["citizen_api", "admin_api", "jobs"])
def test_no_handler_imports_the_holidays_package_at_a_cold_start(function):
    """Its import loads every country (0.7-3 s): only the noon job's calendar step imports it, lazily."""
    assert {name: loaded(function)[name] for name in CALENDARS} == {"holidays": False, "lunar_python": False}
