"""R2: a newborn's business (birth registration) is booked with the guardian's own ID number, naming
the newborn by the number of its medical birth certificate (出生医学证明编号), which is the booking's
subject key for R9 (and R11, R12).

The number as issuers print it: since the second edition (1999) of the national form, one capital
letter (the printing batch) followed by nine digits - e.g. O440012345 (the 5th/6th editions) or
X320101001 (the 7th edition, since 1 April 2023, with a bar code of the same ten characters). The
first edition (1996-1999) had digits only: no child born then is a newborn now, so it is refused.
Canonical form: NFKC (full-width letters and digits fold), spaces and hyphens dropped, upper case;
then exactly [A-Z][0-9]{9}. Nothing else is accepted (no other script's digits, no letter after the
first), so one certificate is one subject key however it is written.

Subject keys never collide with ID numbers (18 characters), so the subject item of a certificate
(`SUBJECT#O440012345`) is a subject of its own."""

from __future__ import annotations

import re
import unicodedata

from ..i18n import N_
from .errors import ValidationFailed

_CERTIFICATE = re.compile(r"^[A-Z][0-9]{9}$")
CERTIFICATE_LENGTH = 10
MAX_NAME = 30


def parse_certificate_number(raw: str | None) -> str:
    """The certificate number's canonical form, or VALIDATION_ERROR."""
    folded = unicodedata.normalize("NFKC", raw or "")
    value = "".join(ch for ch in folded if ch not in " -\u00a0").upper()
    if not _CERTIFICATE.fullmatch(value) or not value[1:].isascii():
        raise ValidationFailed(
            "birth_certificate_number must be the number printed on the medical birth certificate: "
            "one letter and nine digits, e.g. O440012345",
            field="newborn.birth_certificate_number",
        )
    return value


def is_certificate_key(subject_key: str) -> bool:
    """Whether a booking's subject key is a newborn's certificate number (not an ID number)."""
    return len(subject_key) == CERTIFICATE_LENGTH and bool(_CERTIFICATE.fullmatch(subject_key))


def parse_newborn_name(raw: str | None) -> str:
    """The newborn's name as the certificate gives it (Chinese or Latin letters, at most MAX_NAME)."""
    name = " ".join(unicodedata.normalize("NFKC", raw or "").split())
    if not name or len(name) > MAX_NAME or not all(ch.isalpha() or ch in " ·.'-" for ch in name):
        raise ValidationFailed(N_("newborn.name must be 1-{count} letters.", count=MAX_NAME), field="newborn.name")
    return name


def mask_certificate(value: str) -> str:
    """O44*****45: the letter, two digits, the last two."""
    return value[:3] + "*" * (len(value) - 5) + value[-2:] if len(value) > 5 else "*" * len(value)
