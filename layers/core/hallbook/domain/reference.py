"""R8: booking references a person can read out on the phone.

Crockford base32 (digits and letters without I, L, O, U): eight symbols, shown as two groups of four
(`K7M2-9QXH`). Reading back is forgiving: case, hyphens and spaces are ignored, O is read as 0 and
I/L as 1, so a reference misheard on the phone still resolves.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Callable

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_reference(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    symbols = "".join(ALPHABET[randbelow(32)] for _ in range(LENGTH))
    return f"{symbols[:4]}-{symbols[4:]}"


def normalise_reference(raw: str) -> str | None:
    """The canonical form of a reference someone typed or read out, or None if it cannot be one.
    Full-width letters, digits and hyphens (a Chinese input method's) are folded by NFKC first."""
    folded = unicodedata.normalize("NFKC", raw or "")
    cleaned = "".join(ch for ch in folded.upper() if ch not in "- ").translate(_READ_AS)
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return f"{cleaned[:4]}-{cleaned[4:]}"
