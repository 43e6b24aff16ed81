"""R2: the medical birth certificate number (出生医学证明编号) as issuers print it - one letter and nine
digits since the form's second edition (e.g. O440012345; X320101001 on the 7th edition of 2023) - and
its one canonical form, the newborn's subject key."""

from __future__ import annotations

import pytest

from hallbook.domain.errors import ValidationFailed
from hallbook.domain.newborn import is_certificate_key, mask_certificate, parse_certificate_number, parse_newborn_name

pytestmark = pytest.mark.R2


@pytest.mark.parametrize(
    "typed",
    [
        "O440012345",
        "o440012345",
        "O 4400 12345",
        "O-440-012-345",
        "Ｏ４４００１２３４５",
        "ｏ４４００１２３４５",
        " O440012345 ",
    ],
)
def test_one_certificate_however_it_is_written(typed):
    assert parse_certificate_number(typed) == "O440012345"


def test_the_seventh_editions_numbers():
    assert parse_certificate_number("X320101001") == "X320101001"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        None,
        "440012345",  # the first edition's digits only: no newborn has one
        "4400123456",
        "O44001234",
        "O4400123456",
        "OO40012345",
        "O44001234X",
        "O٤٤٠٠١٢٣٤٥",  # Arabic-Indic digits
        "Ö440012345",
        "出生O440012345",
        "O440012345\n1",
        "O440012345\n",
    ],
)
def test_other_shapes_are_refused(typed):
    with pytest.raises(ValidationFailed):
        parse_certificate_number(typed)


def test_certificate_keys_never_look_like_id_numbers():
    assert is_certificate_key("O440012345")
    assert not is_certificate_key("11010519491231002X") and not is_certificate_key("4400123456")


def test_masks_and_names():
    assert mask_certificate("O440012345") == "O44*****45"
    assert parse_newborn_name(" 王  小明 ") == "王 小明"
    assert parse_newborn_name("Ａｎｎａ") == "Anna"
    for bad in ("", "x" * 31, "王小明1", "<b>"):
        with pytest.raises(ValidationFailed):
            parse_newborn_name(bad)
