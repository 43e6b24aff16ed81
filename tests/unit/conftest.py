"""Unit tests run without AWS: nothing here starts the embedded AWS (tests/conftest.py starts it
only for modules outside tests/unit). The settings get stand-in names for what the template would
create: a test that reached for a table would find none."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hallbook.config import reset_settings
from tests.unit import probes

# the tests that await a fresh interpreter's import (tests/unit/probes.py)
PROBING = ("tests/unit/test_cold_start.py::", "::test_no_handler_imports_the_holidays_package_at_a_cold_start[")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Every import probe started at once, to run beside the other tests (not under pytest-xdist:
    there each worker starts the probes its tests await)."""
    if not hasattr(session.config, "workerinput") and any(
        probing in item.nodeid for item in session.items for probing in PROBING
    ):
        probes.start_all()


def pytest_unconfigure(config: pytest.Config) -> None:
    probes.stop_all()


@pytest.fixture(autouse=True)
def settings_without_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in probes.stand_in_environment().items():
        monkeypatch.setenv(name, value)
    reset_settings()
    yield
    reset_settings()
