"""R1 against truths the code did not produce: GB 11643's own example numbers, and numbers whose
check digit comes from the standard's formula written in the test (tests/idnumbers.py), never from
python-stdnum, which the code uses."""

import random
from datetime import date, timedelta

import pytest

from hallbook.domain.errors import ValidationFailed
from hallbook.domain.identity import PROVINCES, parse_id_number
from tests.idnumbers import check_digit, wrong_check_digit

pytestmark = pytest.mark.R1
TODAY = date(2026, 12, 1)

# GB 11643-1999's own example (a woman born 1949-12-31 in Chaoyang, Beijing).
STANDARD_EXAMPLES = ["11010519491231002X"]


def test_the_formula_in_the_test_agrees_with_the_standard_example():
    assert check_digit("11010519491231002") == "X"
    assert check_digit("44052418800101001") == "4"  # the standard's second example (born 1880)


@pytest.mark.parametrize("number", STANDARD_EXAMPLES)
def test_the_standards_examples_are_accepted(number):
    assert parse_id_number(number, TODAY).value == number


def test_the_standards_example_with_its_check_digit_changed_is_refused():
    for digit in "0123456789":
        with pytest.raises(ValidationFailed, match="check digit"):
            parse_id_number("11010519491231002" + digit, TODAY)


def _generated(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    provinces = sorted(PROVINCES - {"71", "81", "82", "83"})
    numbers = []
    for _ in range(count):
        born = date(1900, 1, 1) + timedelta(days=rng.randrange((TODAY - date(1900, 1, 1)).days))
        body = f"{rng.choice(provinces)}{rng.randrange(100):02d}{rng.randrange(100):02d}{born:%Y%m%d}{rng.randrange(1000):03d}"
        numbers.append(body + check_digit(body))
    return numbers


def test_a_thousand_valid_numbers_are_all_accepted():
    numbers = _generated(1200, seed=11643)
    assert sum(n.endswith("X") for n in numbers) > 50  # the X case is well represented
    refused = []
    for number in numbers:
        try:
            parse_id_number(number, TODAY)
        except ValidationFailed as e:
            refused.append((number, str(e)))
    assert refused == []


def test_a_thousand_numbers_with_a_wrong_check_digit_are_all_refused():
    accepted = []
    for number in _generated(1200, seed=2260):
        try:
            parse_id_number(wrong_check_digit(number), TODAY)
            accepted.append(number)
        except ValidationFailed:
            pass
    assert accepted == []


def test_the_numbers_the_old_readme_and_demo_used_are_refused():
    """Their check digits were computed from 17 characters by the library (which drops the last one)."""
    for number in ["440106199001011236", "460106199003152310", "460106198811224048"]:
        with pytest.raises(ValidationFailed, match="check digit"):
            parse_id_number(number, TODAY)
