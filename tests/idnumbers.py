"""Valid resident ID numbers for tests (the check digit computed the GB 11643 way)."""
from stdnum.cn import ric


def id_number(region: str = "440106", born: str = "19900101", seq: str = "001") -> str:
    body = f"{region}{born}{seq}"
    return body + ric.calc_check_digit(body)
