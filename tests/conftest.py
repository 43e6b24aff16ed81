"""Every test process runs the whole system in-process (local.system.LocalSystem): an embedded AWS
on a free port with the template's resources, the handlers' environment and a frozen clock.

Fixtures:
- `local_system` (session): the LocalSystem, as it is;
- `system`: the same, reset before the test: every service emptied, the template's resources
  recreated, the clock back at START, the local switches off (no demo data: call system.seed());
- `api`: system.gateway, e.g. `api.invoke("GET", "/v1/services")`.

Handlers and pynamodb models read their environment when imported, so the system is started in
pytest_configure, before any test module is collected. Under pytest-xdist each worker starts its
own system (the controller, which runs no test, starts none).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

import pytest

from local.gateway import Gateway
from local.system import LocalSystem, set_base_environment

os.environ.setdefault("HALLBOOK_FAST_HASH", "1")  # cheap password hashing in tests
set_base_environment()  # before anything creates a boto3 session

START = datetime.fromisoformat("2026-09-14T09:00+08:00")  # a Monday, before the noon release
_system: LocalSystem | None = None


def _runs_no_tests(config: pytest.Config) -> bool:
    """The pytest-xdist controller: it hands tests to workers."""
    return getattr(config.option, "dist", "no") != "no" and not hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    global _system
    if _runs_no_tests(config):
        return
    # without the simulated stage cache (a test that asks for it sets system.gateway.edge_cache.enabled):
    # the tests of the handlers read what the handlers answer at the frozen instant
    _system = LocalSystem(frozen_clock=True, stage_cache=False)
    _system.start(START)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _system is not None:
        _system.stop()


@pytest.fixture(scope="session")
def local_system() -> LocalSystem:
    assert _system is not None, "the system starts in pytest_configure"
    return _system


@pytest.fixture
def system(local_system: LocalSystem) -> Iterator[LocalSystem]:
    local_system.reset(START)
    yield local_system


@pytest.fixture
def api(system: LocalSystem) -> Gateway:
    return system.gateway
