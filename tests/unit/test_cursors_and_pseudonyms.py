"""List cursors are sealed for their list (hallbook/store/base.py) and ID numbers and phones in logged
keys are pseudonymised (hallbook/keyed.py): anything the server did not give out is a 400, and a log
line never holds a whole number."""

from __future__ import annotations

import base64
import json

import pytest

from hallbook import keyed
from hallbook.domain.errors import Malformed, ValidationFailed
from hallbook.store.base import open_cursor, page, seal_cursor

KEY = {"pk": {"S": "BOOKING#b1"}, "account_id": {"S": "a1"}, "created_at": {"S": "2026-09-14T09:00:00+08:00"}}


@pytest.fixture(autouse=True)
def _fresh_key():
    keyed.forget()
    yield
    keyed.forget()


def test_a_sealed_cursor_opens_for_its_own_list_only() -> None:
    cursor = seal_cursor(KEY, "bookings:a1")
    assert open_cursor(cursor, "bookings:a1") == KEY
    for other in ("bookings:a2", "applications:a1", "audit:2026-09-14"):
        with pytest.raises(Malformed) as refused:
            open_cursor(cursor, other)
        assert refused.value.status == 400 and refused.value.code == "VALIDATION_ERROR"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "x",
        "garbage",
        ".",
        "..",
        "%%%",
        "e30",  # {} unsealed, the old format
        _b64(json.dumps(KEY).encode()),  # a valid LastEvaluatedKey, unsealed
        _b64(json.dumps(KEY).encode()) + "." + _b64(b"0" * 16),  # a forged seal
        "١٢٣.٤٥٦",  # Arabic-Indic digits
        "ｅ３０.ｅ３０",  # full-width
        "a" * 5000 + ".b",
        "null.AAAA",
        "\x00.\x00",
    ],
)
def test_anything_else_is_a_400(cursor: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        open_cursor(cursor, "bookings:a1")
    assert refused.value.status == 400


def test_a_tampered_payload_breaks_the_seal() -> None:
    payload, _, seal = seal_cursor(KEY, "bookings:a1").partition(".")
    other = dict(KEY, account_id={"S": "a2"})
    with pytest.raises(Malformed):
        open_cursor(_b64(json.dumps(other, separators=(",", ":"), sort_keys=True).encode()) + "." + seal, "bookings:a1")


def test_page_hands_the_query_the_key_it_sealed() -> None:
    class Result(list):
        last_evaluated_key = KEY

    seen = []
    _, next_cursor = page(lambda k: seen.append(k) or Result([1]), None, str, "flags:open")
    assert seen == [None] and next_cursor
    page(lambda k: seen.append(k) or [], next_cursor, str, "flags:open")
    assert seen[-1] == KEY
    with pytest.raises(Malformed):
        page(lambda k: [], next_cursor, str, "flags:reviewed")


@pytest.mark.R1
def test_a_number_in_a_key_becomes_its_pseudonym_in_any_writing() -> None:
    minor = "44010420180601777X"
    ascii_id = keyed.without_numbers(f"guardian#{minor}#acct#linked")
    assert minor not in ascii_id and ascii_id.startswith("guardian#p") and ascii_id.endswith("#acct#linked")
    full_width = minor.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    assert keyed.without_numbers(f"guardian#{full_width}#acct#linked") == ascii_id
    assert keyed.without_numbers(f"guardian#{minor.lower()}#acct#linked") == ascii_id
    phone = keyed.without_numbers("phone#13812345678")
    assert "13812345678" not in phone
    assert keyed.without_numbers("phone#+8613812345678") == phone
    assert keyed.without_numbers("phone#008613812345678") == phone


def test_keys_without_numbers_are_left_as_they_are() -> None:
    for text in ("b-3f2a9c#booked", "fd844fc59561450d9e93052f6d72f634#code#1", "acct#code#2026-09-1789000000"):
        assert keyed.without_numbers(text) == text


def test_pseudonyms_are_keyed() -> None:
    first = keyed.pseudonym("13812345678")
    keyed._key = b"another key"
    assert keyed.pseudonym("13812345678") != first
