"""Tests outside tests/unit and tests/startup run the whole system in-process (local.system.LocalSystem): an embedded
AWS on a free port with the template's resources, the handlers' environment and a frozen clock.

Fixtures:
- `local_system` (session): the LocalSystem, as it is;
- `system`: the same, reset before the test: every service emptied, the template's resources
  recreated, the clock back at START, the local switches off (no demo data: call system.seed());
- `api`: system.gateway, e.g. `api.invoke("GET", "/v1/services")`.

The system starts before the first test module outside those two is imported (pytest_collectstart),
so such a module may read the environment when imported. tests/unit and tests/startup need no AWS:
`pytest tests/unit` never starts it (its conftest gives the settings stand-in names). Under pytest-xdist each worker
starts its own system (the controller, which runs no test, starts none).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from local.environment import set_base_environment

if TYPE_CHECKING:
    from local.gateway import Gateway
    from local.system import LocalSystem

os.environ.setdefault("HALLBOOK_FAST_HASH", "1")  # cheap password hashing in tests
set_base_environment()  # before anything creates a boto3 session

START = datetime.fromisoformat("2026-09-14T09:00+08:00")  # a Monday, before the noon release
# what needs no AWS: the unit tests, and the cold-start probes (each a fresh interpreter of its own)
WITHOUT_AWS = tuple(Path(__file__).resolve().parent / name for name in ("unit", "startup"))
_system: LocalSystem | None = None


def _runs_no_tests(config: pytest.Config) -> bool:
    """The pytest-xdist controller: it hands tests to workers."""
    return getattr(config.option, "dist", "no") != "no" and not hasattr(config, "workerinput")


def _started() -> LocalSystem:
    global _system
    if _system is None:
        from local.system import LocalSystem

        # without the simulated stage cache (a test that asks for it sets system.gateway.edge_cache.enabled):
        # the tests of the handlers read what the handlers answer at the frozen instant
        system = LocalSystem(frozen_clock=True, stage_cache=False)
        system.start(START)
        _system = system
    return _system


def pytest_collectstart(collector: pytest.Collector) -> None:
    if (
        isinstance(collector, pytest.Module)
        and not any(collector.path.is_relative_to(d) for d in WITHOUT_AWS)
        and not _runs_no_tests(collector.config)
    ):
        _started()


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection made lives to the end of the run (the imported package and libraries, the
    embedded AWS): out of the cyclic collector's sight (gc.freeze), so that each full collection during
    the tests walks only what they make. tests/unit: 4.9 -> 4.3 s."""
    gc.freeze()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked slow first (a stable sort: the rest keep their order)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _system is not None:
        _system.stop()


@pytest.fixture(scope="session")
def local_system() -> LocalSystem:
    return _started()


@pytest.fixture
def system(local_system: LocalSystem) -> Iterator[LocalSystem]:
    from hallbook.web import guard

    local_system.reset(START)
    guard.reset()  # the in-memory limits: the clock went back to START
    yield local_system


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """environ(NAME=value, ...): variables the settings read (hallbook.config), read again at once
    and back as they were after the test."""
    from hallbook.config import reset_settings

    def set_variables(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        reset_settings()

    yield set_variables
    monkeypatch.undo()
    reset_settings()


@pytest.fixture
def api(system: LocalSystem) -> Gateway:
    return system.gateway


@pytest.fixture
def notifier():
    """The notifier's module (imported when a test asks for it), for a test to shorten its retry delays."""
    import functions.notifier.app as notifier_app

    return notifier_app
