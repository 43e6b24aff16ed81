"""The environment is read once, validated, and a function without a variable the template sets
stops at cold start naming it; the tables are bound when first used, not when a model is imported."""

from __future__ import annotations

import pytest

from hallbook.config import SettingsError, reset_settings, settings
from hallbook.store.slots import SlotItem


def test_a_missing_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CATALOG_TABLE")
    monkeypatch.setenv("SMS_QUEUE_URL", "")  # empty is missing too, never a silent ""
    reset_settings()
    with pytest.raises(SettingsError, match="CATALOG_TABLE is not set; SMS_QUEUE_URL is not set"):
        settings()


def test_a_malformed_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEN_TTL_SECONDS", "two hours")
    reset_settings()
    with pytest.raises(SettingsError, match="TOKEN_TTL_SECONDS: Input should be a valid integer"):
        settings()


def test_without_a_signing_key_nothing_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWT_SECRET_ARN", raising=False)
    monkeypatch.delenv("JWT_LOCAL_KEY")
    reset_settings()
    with pytest.raises(SettingsError, match="JWT_SECRET_ARN is missing"):
        settings()


def test_a_model_reads_its_table_name_at_each_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLOTS_TABLE", "hallbook-prod-SlotsTable-1A2B")
    reset_settings()
    assert SlotItem.Meta.table_name == "hallbook-prod-SlotsTable-1A2B"
    monkeypatch.delenv("SLOTS_TABLE")
    reset_settings()
    with pytest.raises(SettingsError, match="SLOTS_TABLE is not set"):
        SlotItem.Meta.table_name  # noqa: B018 - the attribute read is the test
