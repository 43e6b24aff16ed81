"""R1's login limits as arithmetic (domain.login's values, domain.ratelimit's mechanism), without AWS:
the back-off's schedule, the failure budget (GCRA over one stored number, the test `Buckets` make in
memory) and a code's daily quota. tests/races/test_attempt_count_races.py shows the same limits
holding under parallel writes on DynamoDB."""

from __future__ import annotations

import pytest

from hallbook.domain.login import BACKOFF, BACKOFF_DELAYS, BACKOFF_FREE, BUDGET, BUDGET_BURST, LOGIN_CODE_QUOTA
from hallbook.domain.ratelimit import DAY_SECONDS, Buckets, DailyQuota, Rate

pytestmark = [pytest.mark.R1]

AT = 1_800_000_000


def test_the_first_attempts_are_free_then_each_waits_longer_up_to_the_last_delay():
    assert [BACKOFF.wait(n, AT, AT) for n in range(BACKOFF_FREE)] == [0] * BACKOFF_FREE
    waits = [BACKOFF.wait(BACKOFF_FREE + k, AT, AT) for k in range(len(BACKOFF_DELAYS) + 2)]
    assert waits == [*BACKOFF_DELAYS, BACKOFF_DELAYS[-1], BACKOFF_DELAYS[-1]]
    assert BACKOFF.wait(BACKOFF_FREE, AT, AT + BACKOFF_DELAYS[0]) == 0  # waited enough
    assert BACKOFF.wait(50, AT, AT + BACKOFF.quiet) == 0  # a quiet day forgets them


def test_the_budget_takes_burst_units_then_refills_one_an_interval():
    tat: int | None = None
    taken = 0
    # what store.login_throttle.reserve_login_budget writes, one failure after another at one instant
    while tat is None or not BUDGET.spent(tat, AT):
        tat = AT + BUDGET.interval if tat is None or tat < AT else tat + BUDGET.interval
        taken += 1
    assert taken == BUDGET_BURST
    assert not BUDGET.spent(tat, AT + BUDGET.interval)  # one interval later one unit is back


def test_the_budget_agrees_with_the_in_memory_buckets():
    buckets = Buckets()
    rate = Rate(BUDGET_BURST, BUDGET_BURST * BUDGET.interval)
    allowed = 0
    while buckets.take([("login", rate)], AT)[0] == 0:
        allowed += 1
    assert allowed == BUDGET_BURST


def test_a_code_quota_counts_a_day_from_its_first_send():
    quota = DailyQuota(3)
    start, sends = quota.day(AT, 2, AT + 3600)
    assert (start, sends) == (AT, 2) and not quota.spent(sends)
    assert quota.spent(3) and quota.wait(AT, AT + 3600) == DAY_SECONDS - 3600
    assert quota.day(AT, 3, AT + DAY_SECONDS) == (AT + DAY_SECONDS, 0)  # a new day, nothing sent yet
    assert LOGIN_CODE_QUOTA.count == 10
