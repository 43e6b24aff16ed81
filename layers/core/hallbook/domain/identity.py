"""R1/R2: resident ID numbers (GB 11643-1999), mainland mobile numbers, names, and PIPL masking.

python-stdnum computes the checksum and the birth date. Its full `cn.ric.validate` is not used:
it refuses real citizens whose county code is younger than they are (a 1968-born citizen of Tianhe,
440106, a code from 1985) and raises KeyError for a county it does not list. So we check what a
number can prove: the checksum, a real birth date not in the future, and a real province prefix.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from ..i18n import N_
from ..lazy import lazy
from .errors import ValidationFailed

ric = lazy("stdnum.cn.ric")  # loaded by the first ID number checked (python-stdnum imports pydoc: ~25 ms)
phonenumbers = lazy("phonenumbers")  # loaded by the first phone number parsed (cold start)

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
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")  # ASCII only: `\d` would read Arabic-Indic digits too
_SEPARATORS = re.compile(r"[\s\-()（）.]")  # what people put between a phone's digits (after NFKC)
# compiled when a name is first read (re's cache), not at import: its CJK ranges take ~3 ms to compile
_NAME = r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z·\s.'-]{0,48}[\u4e00-\u9fffA-Za-z.]?$"


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


def _folded(raw: object, field: str) -> str:
    """NFKC (full-width digits and letters to ASCII, a full-width space to a space), trimmed; a digit
    that is not 0-9 even then (Arabic-Indic, Devanagari, ...) is refused, naming the field."""
    if not isinstance(raw, str):
        raise ValidationFailed(N_("{field} must be a string.", field=field), field=field)
    value = unicodedata.normalize("NFKC", raw).strip()
    if any(ch.isdigit() and not ("0" <= ch <= "9") for ch in value):
        raise ValidationFailed(N_("{field} may contain only the digits 0-9.", field=field), field=field)
    return value


def canonical_id_number(raw: object, field: str = "id_number") -> str:
    """R1, the one canonical form of an ID number: 17 ASCII digits and a check character 0-9 or X
    (NFKC folds full-width characters, a lower-case x is read as X; spaces between groups are
    dropped). Shape only: `parse_id_number` checks the check digit, birth date and province too.
    Every key, limit, lock, flag and log line uses this form."""
    value = re.sub(r"\s", "", _folded(raw, field)).upper()
    if not _ID_SHAPE.match(value):
        raise ValidationFailed(N_("{field} must be 17 digits and a check digit (0-9 or X).", field=field), field=field)
    return value


def parse_id_number(raw: object, today: date, field: str = "id_number") -> IdNumber:
    """A real resident ID number in its canonical form (`canonical_id_number`): the GB 11643 check
    digit, a real birth date not in the future, a real province prefix."""
    value = canonical_id_number(raw, field)
    # calc_check_digit takes the whole 18-character number and ignores its last character
    if ric.calc_check_digit(value) != value[17]:
        raise ValidationFailed(N_("{field}: the check digit is wrong.", field=field), field=field)
    if value[:2] not in PROVINCES:
        raise ValidationFailed(N_("{field} does not start with a real province code.", field=field), field=field)
    try:
        born = ric.get_birth_date(value)
    except Exception:
        raise ValidationFailed(N_("{field} has no valid birth date.", field=field), field=field) from None
    if born > today or born.year < 1890:
        raise ValidationFailed(N_("{field} has no valid birth date.", field=field), field=field)
    return IdNumber(value)


def canonical_phone(raw: object, field: str = "phone") -> str:
    """R1, the one canonical form of a mainland mobile number: its 11 ASCII digits. NFKC folds
    full-width digits and signs; spaces, dashes, dots and brackets are dropped; +86, 0086 and 86
    in front (and a leading 0 some people dial) are read as the country code. Any other digit is
    refused. Every key, limit, lock, flag and log line uses this form."""
    value = _SEPARATORS.sub("", _folded(raw, field))
    if value.startswith("+"):
        value = value[1:]
        if not value.startswith("86"):
            raise ValidationFailed(N_("{field} is not a mainland mobile number.", field=field), field=field)
    if not value.isascii() or not value.isdigit():
        raise ValidationFailed(N_("{field} is not a mainland mobile number.", field=field), field=field)
    if len(value) == 15 and value.startswith("0086"):
        value = value[4:]
    elif len(value) == 13 and value.startswith("86"):
        value = value[2:]
    elif len(value) == 12 and value.startswith("01"):
        value = value[1:]
    if len(value) != 11 or not value.startswith("1"):
        raise ValidationFailed(N_("{field} is not a mainland mobile number.", field=field), field=field)
    number = phonenumbers.parse(value, "CN")
    if (
        not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
    ):
        raise ValidationFailed(N_("{field} is not a mainland mobile number.", field=field), field=field)
    return value


def parse_phone(raw: object, field: str = "phone") -> str:
    """A mainland mobile number, returned as its 11 national digits (`canonical_phone`)."""
    return canonical_phone(raw, field)


def canonical_or_none(kind: str, raw: object) -> str | None:
    """The canonical form of an ID number (`kind` "id") or phone ("phone"), or None when `raw` is not
    one: for keys read before a route validates its body (rate limits), which then count nothing."""
    try:
        return canonical_id_number(raw) if kind == "id" else canonical_phone(raw)
    except ValidationFailed:
        return None


def parse_name(raw: str) -> str:
    name = " ".join((raw or "").split())
    if not re.match(_NAME, name):
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
