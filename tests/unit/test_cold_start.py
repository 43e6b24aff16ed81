"""Issue 13, cold start: a handler's import loads neither the X-Ray SDK nor the libraries only some
routes need (PyJWT and cryptography, argon2, phonenumbers, python-stdnum, segno, icalendar); an environment initialised ahead of its
first request (provisioned concurrency: the noon warmth) loads them during init. What the import
costs is measured by `make bench` (import_ms_*), never asserted here. Each import runs in a fresh
interpreter (tests/unit/probes.py: started beside the other tests, awaited here)."""

from __future__ import annotations

import pytest

from tests.unit.probes import HEAVY, loaded


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
