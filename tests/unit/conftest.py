"""Unit tests run without AWS: nothing here starts the embedded AWS (tests/conftest.py starts it
only for modules outside tests/unit). The settings get stand-in names for what the template would
create: a test that reached for a table would find none."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hallbook.config import reset_settings
from tests.startup.probes import stand_in_environment


@pytest.fixture(autouse=True)
def settings_without_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in stand_in_environment().items():
        monkeypatch.setenv(name, value)
    reset_settings()
    yield
    reset_settings()
