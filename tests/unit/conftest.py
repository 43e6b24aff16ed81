"""Unit tests run without AWS: nothing here starts the embedded AWS (tests/conftest.py starts it
only for modules outside tests/unit). The settings get stand-in names for what the template would
create: a test that reached for a table would find none."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hallbook.config import Settings, reset_settings


@pytest.fixture(autouse=True)
def settings_without_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, field in Settings.model_fields.items():
        if field.is_required() and name != "aws_region":
            monkeypatch.setenv(name.upper(), f"unit-test-{name.replace('_', '-')}")
    monkeypatch.setenv("JWT_LOCAL_KEY", "unit-test-key-that-is-long-enough-for-hs256")
    reset_settings()
    yield
    reset_settings()
