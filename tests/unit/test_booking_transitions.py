"""A booking's status changes: the one table (domain.booking.ALLOWED) and the store's writer that
builds its condition from it (no AWS)."""

from __future__ import annotations

from datetime import datetime

import pytest
from pynamodb.expressions.update import RemoveAction

from hallbook.clock import SHANGHAI
from hallbook.domain.booking import ALLOWED, Status, TransitionNotAllowed, allowed, check_transition, sources_of
from hallbook.store.bookings import change_status

pytestmark = [pytest.mark.R8, pytest.mark.R10]


class Recorded:
    """Stands for store.base.Items: what a transaction would have been given."""

    def __init__(self) -> None:
        self.updates: list[tuple] = []

    def update(self, label, model, actions, condition=None) -> None:
        self.updates.append((label, model, actions, condition))


def test_the_table_lists_every_change_and_the_final_statuses_have_none():
    assert {(s.value, t.value) for s, ts in ALLOWED.items() for t in ts} == {
        ("booked", "cancelled"),
        ("booked", "checked_in"),
        ("booked", "no_show"),
        ("checked_in", "completed"),
        ("checked_in", "closed_at_day_end"),
        ("checked_in", "no_show"),  # R15a: skipped twice at the counter
    }
    for final in (Status.CANCELLED, Status.COMPLETED, Status.NO_SHOW, Status.CLOSED_AT_DAY_END):
        assert not any(allowed(final, target) for target in Status)
    assert sources_of(Status.COMPLETED) == {Status.CHECKED_IN}
    check_transition("booked", "cancelled")
    with pytest.raises(TransitionNotAllowed):
        check_transition(Status.CHECKED_IN, Status.CANCELLED)


def test_a_change_no_status_may_make_raises_before_anything_is_written():
    tx = Recorded()
    with pytest.raises(TransitionNotAllowed):
        change_status(tx, "b1", Status.BOOKED, datetime(2026, 9, 14, 9, tzinfo=SHANGHAI))  # type: ignore[arg-type]
    assert tx.updates == []


def test_the_condition_is_status_in_the_tables_sources_and_leaving_booked_leaves_the_sweep():
    tx = Recorded()
    now = datetime(2026, 9, 14, 9, tzinfo=SHANGHAI)
    change_status(tx, "b1", Status.NO_SHOW, now, source=Status.BOOKED)  # type: ignore[arg-type]
    change_status(tx, "b1", Status.COMPLETED, now)  # type: ignore[arg-type]
    (label, _, no_show_actions, no_show_condition), (_, _, completed_actions, completed_condition) = tx.updates
    assert label == "booking"
    assert str(no_show_condition) == "status IN ({'S': 'booked'})"
    assert str(completed_condition) == "status IN ({'S': 'checked_in'})"
    assert {str(a) for a in no_show_actions if isinstance(a, RemoveAction)} == {"sweep_day", "sweep_at"}
    assert not any(isinstance(a, RemoveAction) for a in completed_actions)


def test_a_change_from_a_named_source_is_conditioned_on_that_source_only():
    tx = Recorded()
    now = datetime(2026, 9, 14, 9, tzinfo=SHANGHAI)
    change_status(tx, "b1", Status.NO_SHOW, now, source=Status.CHECKED_IN)  # type: ignore[arg-type]
    (_, _, actions, condition) = tx.updates[0]
    assert str(condition) == "status IN ({'S': 'checked_in'})"
    assert not any(isinstance(a, RemoveAction) for a in actions)
    with pytest.raises(TransitionNotAllowed):
        change_status(tx, "b1", Status.CHECKED_IN, now, source=Status.COMPLETED)  # type: ignore[arg-type]
