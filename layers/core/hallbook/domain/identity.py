"""R1/R2: resident ID numbers (GB 11643-1999), mainland mobile numbers, names, and PIPL masking.

python-stdnum computes the checksum and the birth date. Its full `cn.ric.validate` is not used:
it refuses real citizens whose county code is younger than they are (a 1968-born citizen of Tianhe,
440106, a code from 1985) and raises KeyError for a county it does not list. So we check what a
number can prove: the checksum, a real birth date not in the future, and a real province prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..lazy import lazy
from .errors import ValidationFailed

ric = lazy("stdnum.cn.ric")  # loaded by the first ID number checked (python-stdnum imports pydoc: ~25 ms)
phonenumbers = lazy("phonenumbers")  # loaded by the first phone number parsed (issue 13: cold start)

MINOR_AGE = 16  # a child's business (birth registration, first ID card) is booked by a guardian

# GB/T 2260 province-level prefixes, plus 81/82/83 (residence permits of HK, Macao, Taiwan residents).
PROVINCES = {
    "11",
    "12",
    "13",
    "14",
    "15",
    "21",
    "22",
    "23",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "43",
    "44",
    "45",
    "46",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
    "71",
    "81",
    "82",
    "83",
}
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_NAME = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z·\s.'-]{0,48}[\u4e00-\u9fffA-Za-z.]?$")


@dataclass(frozen=True)
class IdNumber:
    value: str

    @property
    def birth_date(self) -> date:
        birth: date = ric.get_birth_date(self.value)
        return birth

    def age_on(self, day: date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def is_minor_on(self, day: date) -> bool:
        return self.age_on(day) < MINOR_AGE

    @property
    def masked(self) -> str:
        return mask_id_number(self.value)


def parse_id_number(raw: str, today: date) -> IdNumber:
    value = (raw or "").strip().upper()
    if not _ID_SHAPE.match(value):
        raise ValidationFailed("ID number must be 17 digits and a check digit (0-9 or X)", field="id_number")
    # calc_check_digit takes the whole 18-character number and ignores its last character
    if ric.calc_check_digit(value) != value[17]:
        raise ValidationFailed("ID number check digit is wrong", field="id_number")
    if value[:2] not in PROVINCES:
        raise ValidationFailed("ID number does not start with a real province code", field="id_number")
    try:
        born = ric.get_birth_date(value)
    except Exception:
        raise ValidationFailed("ID number has no valid birth date", field="id_number") from None
    if born > today or born.year < 1890:
        raise ValidationFailed("ID number has no valid birth date", field="id_number")
    return IdNumber(value)


def parse_phone(raw: str) -> str:
    """A mainland mobile number, returned as its 11 national digits."""
    try:
        number = phonenumbers.parse((raw or "").strip(), "CN")
    except phonenumbers.NumberParseException:
        raise ValidationFailed("phone is not a mainland mobile number", field="phone") from None
    if (
        number.country_code != 86
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
    ):
        raise ValidationFailed("phone is not a mainland mobile number", field="phone")
    return str(number.national_number)


def parse_name(raw: str) -> str:
    name = " ".join((raw or "").split())
    if not _NAME.match(name):
        raise ValidationFailed("name must be 1-50 Chinese or Latin letters", field="name")
    return name


def mask_id_number(value: str) -> str:
    """440***********1234: province and city digit, the last four."""
    if not value:
        return value
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else "*" * len(value)


def mask_phone(value: str) -> str:
    """138****5678"""
    digits = value[-11:] if value else value
    if not digits or len(digits) < 7:
        return "*" * len(value or "")
    return digits[:3] + "****" + digits[-4:]


def mask_name(value: str) -> str:
    """张*明 / 张* - the family name and, for long names, the last character."""
    if not value:
        return value
    if len(value) <= 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
