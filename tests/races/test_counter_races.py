"""R15a races at the counter, against the embedded AWS (calls serialised as DynamoDB answers them):
counters pressing 'next' at once each get a different ticket and every ticket is called once; a
recall and a transfer of one called ticket at once end in one consistent state; two clerks skipping
one ticket at once skip it once."""

from __future__ import annotations

from datetime import datetime

import pytest

from hallbook.clock import now
from hallbook.domain import errors
from hallbook.services import counters, tickets
from hallbook.services.tokens import Caller
from hallbook.store import tickets as store
from tests.support import OFFICE, WALK_IN, put_test_office, run_at_once

pytestmark = pytest.mark.R15a
CLERK = Caller("clerk-1", "staff", OFFICE, True)
DAY = datetime.fromisoformat("2026-09-15T09:00:00+08:00")


@pytest.fixture
def hall(system):
    put_test_office()
    system.clock.set(DAY)
    return system


@pytest.mark.R15
def test_counters_pressing_next_at_once_each_get_a_different_ticket(hall):
    for _ in range(4):
        tickets.walk_in(OFFICE, WALK_IN, now())
    for _ in range(2):  # two rounds of two counters at once, then one counter finds the queue empty
        results = run_at_once([lambda c=c: tickets.call_next(OFFICE, c, now()) for c in ("1", "2")])
        assert not any(isinstance(r, Exception) for r in results), results
        assert results[0].ticket_id != results[1].ticket_id
    with pytest.raises(errors.QueueEmpty):
        tickets.call_next(OFFICE, "1", now())
    called = [t for t in store.tickets_of(OFFICE, DAY.date()) if t.status == "called"]
    assert sorted(t.number for t in called) == ["B001", "B002", "B003", "B004"]
    assert store.get_board(OFFICE, DAY.date()).calls == 4


def test_a_recall_during_a_transfer_ends_in_one_consistent_state(hall):
    """Each is conditioned on the ticket's revision: both apply (one after the other) or the later
    one is refused as changed meanwhile - never a ticket both waiting and on the counter's screen."""
    outcomes = set()
    for _ in range(4):
        ticket = tickets.walk_in(OFFICE, WALK_IN, now())
        called = tickets.call_next(OFFICE, "3", now())
        recall, transfer = run_at_once(
            [
                lambda t=called: counters.recall(CLERK, OFFICE, t.ticket_id, now()),
                lambda t=called: counters.transfer(CLERK, OFFICE, t.ticket_id, "7", None, now()),
            ]
        )
        assert all(not isinstance(r, Exception) or isinstance(r, errors.InvalidState) for r in (recall, transfer))
        assert not (isinstance(recall, Exception) and isinstance(transfer, Exception))
        after = store.get_ticket(OFFICE, DAY.date(), ticket.ticket_id)
        board, waiting = store.queue_of(OFFICE, DAY.date())
        assert after is not None
        if isinstance(transfer, Exception):  # the recall went first and the transfer read before it
            outcomes.add("recalled")
            assert after.status == "called" and after.recalls == 1 and waiting == []
            assert board.calling.get("3") == ticket.number
            tickets.complete(OFFICE, ticket.ticket_id, now())
        else:
            outcomes.add("transferred")
            assert after.status == "waiting" and after.for_counter == "7"
            assert [w.ticket_id for w in waiting] == [ticket.ticket_id] and "3" not in board.calling
            tickets.call_next(OFFICE, "7", now())
            tickets.complete(OFFICE, ticket.ticket_id, now())
    assert outcomes  # whichever order the embedded AWS served them in


def test_two_clerks_skipping_one_ticket_at_once_skip_it_once(hall):
    tickets.walk_in(OFFICE, WALK_IN, now())
    called = tickets.call_next(OFFICE, "1", now())
    results = run_at_once([lambda: counters.skip(CLERK, OFFICE, called.ticket_id, now()) for _ in range(2)])
    wins = [r for r in results if not isinstance(r, Exception)]
    assert len(wins) == 1 and all(isinstance(r, errors.InvalidState) for r in results if r not in wins), results
    after = store.get_ticket(OFFICE, DAY.date(), called.ticket_id)
    assert after is not None and after.status == "waiting" and after.skips == 1
