"""Unit tests run without AWS: nothing here starts the embedded AWS (tests/conftest.py starts it
only for modules outside tests/unit). The settings get stand-in names for what the template would
create: a test that reached for a table would find none."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hallbook.config import reset_settings
from tests.startup.probes import stand_in_environment


@pytest.fixture(scope="session", autouse=True)
def settings_without_aws() -> Iterator[None]:
    """Once for the session: the variables stay as set (a test that changes one uses tests/conftest.py's
    `environ`, which puts it back), and each test starts from settings read afresh (`fresh_settings`)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in stand_in_environment().items():
            patch.setenv(name, value)
        yield


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    reset_settings()
    yield
    reset_settings()
