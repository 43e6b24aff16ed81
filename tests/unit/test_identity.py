"""R1: ID numbers, phones, names, masking, references (no AWS)."""

from datetime import date

import pytest

from hallbook.domain.errors import ValidationFailed
from hallbook.domain.identity import mask_id_number, mask_name, mask_phone, parse_id_number, parse_name, parse_phone
from hallbook.domain.reference import ALPHABET, new_reference, normalise_reference
from tests.idnumbers import id_number

TODAY = date(2026, 11, 24)


def test_a_1968_tianhe_citizen_is_accepted_though_stdnum_refuses_him():
    from stdnum.cn import ric

    value = id_number("440106", "19680512", "001")
    assert not ric.is_valid(value)  # the library's full check says no (county code from 1985)
    assert parse_id_number(value, TODAY).value == value


def test_unknown_county_of_a_real_province_is_accepted():
    value = id_number("449999", "19900101", "001")
    assert parse_id_number(value, TODAY).birth_date == date(1990, 1, 1)


@pytest.mark.parametrize(
    "value, why",
    [
        ("44010619900101001", "length"),
        (id_number()[:-1] + ("0" if id_number()[-1] != "0" else "1"), "check digit"),
        (id_number("990106"), "province"),
        (id_number(born="19901301"), "birth date"),
        (id_number(born="20271201"), "future birth"),
    ],
)
def test_bad_id_numbers_are_refused(value, why):
    with pytest.raises(ValidationFailed):
        parse_id_number(value, TODAY)


def test_lowercase_x_check_digit_is_read():
    for seq in range(100, 200):
        value = id_number(seq=f"{seq:03d}")
        if value.endswith("X"):
            assert parse_id_number(value.lower(), TODAY).value == value
            break
    else:
        pytest.skip("no X check digit in range")


def test_minor_age_is_under_16():
    assert parse_id_number(id_number(born="20101125"), TODAY).is_minor_on(TODAY)
    assert not parse_id_number(id_number(born="20101124"), TODAY).is_minor_on(TODAY)


@pytest.mark.parametrize("raw", ["13812345678", "+86 138 1234 5678", "8613812345678"])
def test_mainland_mobiles(raw):
    assert parse_phone(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["02012345678", "1381234567", "+85291234567", "abc", ""])
def test_not_mainland_mobiles(raw):
    with pytest.raises(ValidationFailed):
        parse_phone(raw)


def test_masks():
    assert mask_id_number("440106199001011234") == "440***********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三") == "张*" and mask_name("欧阳娜娜") == "欧**娜"


def test_names():
    assert parse_name("  王  小明 ") == "王 小明"
    assert parse_name("Zhang San") == "Zhang San"
    with pytest.raises(ValidationFailed):
        parse_name("<script>")


def test_references_are_readable_and_forgiving():
    ref = new_reference()
    assert len(ref) == 9 and ref[4] == "-"
    assert not set(ref.replace("-", "")) & set("ILOU")
    assert set(ALPHABET).isdisjoint("ILOU")
    assert normalise_reference(ref.lower().replace("-", " ")) == ref
    assert normalise_reference("K7MO-9QXL") == "K7M0-9QX1"
    assert normalise_reference("ABC-12") is None


# ---------------------------------------------------------------- R1: one canonical form (issue 21)

FULL_WIDTH = str.maketrans("0123456789Xx+-", "０１２３４５６７８９Ｘｘ＋－")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.R1
def test_one_id_number_however_it_is_written():
    from hallbook.domain.identity import canonical_id_number

    value = next(v for v in (id_number(seq=f"{s:03d}") for s in range(100, 300)) if v.endswith("X"))
    forms = [
        value,
        value.lower(),
        value.translate(FULL_WIDTH),
        value[:6] + value[6:].translate(FULL_WIDTH),  # mixed
        f" {value[:6]} {value[6:14]} {value[14:]} ",
        "\u3000" + value.translate(FULL_WIDTH) + "\u3000",  # ideographic spaces
    ]
    assert {canonical_id_number(f) for f in forms} == {value}
    assert {parse_id_number(f, TODAY).value for f in forms} == {value}


@pytest.mark.R1
@pytest.mark.parametrize("field", ["id_number", "subject_id_number", "minor_id_number"])
def test_other_digits_are_refused_naming_the_field(field):
    value = id_number()
    for bad in (value.translate(ARABIC_INDIC), value[:5] + value[5:6].translate(ARABIC_INDIC) + value[6:]):
        with pytest.raises(ValidationFailed) as refused:
            parse_id_number(bad, TODAY, field)
        assert refused.value.extra["field"] == field and field in refused.value.detail


@pytest.mark.R1
@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "+8613812345678",
        "+86 138 1234 5678",
        "008613812345678",
        "0086-138-1234-5678",
        "8613812345678",
        "013812345678",
        "138-1234-5678",
        "(138) 1234 5678",
        "１３８１２３４５６７８",
        "＋８６ １３８－１２３４－５６７８",
        "\u3000138 1234 5678\u3000",
    ],
)
def test_one_phone_however_it_is_written(raw):
    from hallbook.domain.identity import canonical_phone

    assert canonical_phone(raw) == "13812345678"


@pytest.mark.R1
@pytest.mark.parametrize(
    "raw", ["١٣٨١٢٣٤٥٦٧٨", "138١٢٣٤٥٦٧٨", "+44 7700 900123", "0086", "+8602012345678", None, 13812345678]
)
def test_other_phones_are_refused(raw):
    from hallbook.domain.identity import canonical_phone

    with pytest.raises(ValidationFailed) as refused:
        canonical_phone(raw)
    assert refused.value.extra["field"] == "phone"
