"""Resident ID numbers for tests, built from GB 11643-1999 itself rather than from the code under test
(or the library it calls): weights 2^(17-i) mod 11 = 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, the sum mod 11
indexes "10X98765432"."""

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    """The GB 11643 check digit of the first 17 digits (an oracle independent of python-stdnum)."""
    assert len(first17) == 17 and first17.isdigit(), first17
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def id_number(region: str = "440106", born: str = "19900101", seq: str = "001") -> str:
    body = f"{region}{born}{seq}"
    return body + check_digit(body)


def wrong_check_digit(number: str) -> str:
    """The same number with any other check digit."""
    right = number[17]
    return number[:17] + next(c for c in "0123456789X" if c != right)
