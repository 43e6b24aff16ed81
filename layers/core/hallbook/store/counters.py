"""R15a, at the counter: recall, requeue (a skip or a transfer), the second skip's no-show and a
counter's pause. Each change is conditioned on the ticket's revision (`rev`, raised by every change
of a called ticket), so two clerks' or two clicks' changes never both apply to what one of them read."""

from __future__ import annotations

from datetime import date, datetime

from ..domain.booking import Status
from ..domain.queue import TicketStatus
from . import stats
from .base import Cancelled, Items, transact
from .bookings import Subject, SubjectItem, SubjectMoved, change_status, no_show_counted, subject_key
from .outbox import Message, send_with
from .tickets import (
    BOARD,
    BOARD_ATTEMPTS,
    TICKET,
    WAITING,
    Ticket,
    TicketItem,
    day_key,
    get_board,
    keep_until,
    still_calling,
    uncalled,
)


def _at_rev(ticket: Ticket, status: TicketStatus):
    """The ticket is still in `status` at the revision read (tickets written before R15a have none)."""
    same = (TicketItem.rev == ticket.rev) if ticket.rev else (TicketItem.rev.does_not_exist() | (TicketItem.rev == 0))
    return (TicketItem.status == status.value) & same


def recall(ticket: Ticket, now: datetime) -> bool:
    """重呼: a called ticket is the board's last call again (its screens announce it again), at the
    counter that called it. False when the ticket changed since it was read."""
    key = day_key(ticket.office_id, ticket.date)
    counter = ticket.counter or ""

    def build(tx: Items) -> None:
        tx.update(
            "ticket",
            TicketItem(key, TICKET + ticket.ticket_id),
            [TicketItem.recalls.add(1), TicketItem.rev.add(1), TicketItem.called_at.set(now.isoformat())],
            _at_rev(ticket, TicketStatus.CALLED),
        )
        tx.update(
            "board",
            TicketItem(key, BOARD),
            [
                TicketItem.last_number.set(ticket.number),
                TicketItem.last_counter.set(counter),
                TicketItem.last_called_at.set(now.isoformat()),
                TicketItem.calling[counter].set(ticket.number),
                TicketItem.announced.add(1),
            ],
        )

    try:
        transact(build)
        return True
    except Cancelled:
        return False


def requeue(
    ticket: Ticket,
    now: datetime,
    *,
    held_until: int = 0,
    for_counter: str | None = None,
    service_code: str | None = None,
    skipped: bool = False,
) -> bool:
    """A called or waiting ticket waits again (R15a): after a skip held until `held_until` calls, or
    transferred to `for_counter` or `service_code`. It keeps its kind and its place by slot and
    booking time (a booking ticket stays ahead of walk-ins). False when it changed since it was read."""
    key = day_key(ticket.office_id, ticket.date)
    service = service_code or ticket.service_code
    placed = [
        TicketItem.service_code.set(service),
        TicketItem.held_until.set(held_until) if held_until else TicketItem.held_until.remove(),
        TicketItem.for_counter.set(for_counter) if for_counter else TicketItem.for_counter.remove(),
    ]
    for _ in range(BOARD_ATTEMPTS):
        board = get_board(ticket.office_id, ticket.date)

        def build(tx: Items) -> None:
            status = TicketStatus(ticket.status)
            tx.update(
                "ticket",
                TicketItem(key, TICKET + ticket.ticket_id),
                [
                    TicketItem.status.set(TicketStatus.WAITING.value),
                    TicketItem.rev.add(1),
                    *placed,
                    *([TicketItem.skips.add(1)] if skipped else []),
                    *([TicketItem.counter.remove(), TicketItem.called_at.remove()] if ticket.counter else []),
                ],
                _at_rev(ticket, status),
            )
            if status is TicketStatus.WAITING:
                tx.update("waiting", TicketItem(key, WAITING + ticket.ticket_id), placed, TicketItem.sk.exists())
                return
            entry = TicketItem(
                key,
                WAITING + ticket.ticket_id,
                ticket_id=ticket.ticket_id,
                number=ticket.number,
                kind=ticket.kind,
                service_code=service,
                due_at=ticket.due_at,
                made_at=ticket.made_at,
                held_until=held_until or None,
                for_counter=for_counter,
                expires_at=keep_until(ticket.date),
            )
            tx.put("waiting", entry, TicketItem.sk.does_not_exist())
            uncall = uncalled(board, ticket)
            if uncall:
                tx.update("board", TicketItem(key, BOARD), uncall, still_calling(board, ticket))

        try:
            transact(build)
            return True
        except Cancelled as cancelled:
            if cancelled.failed("board") and not cancelled.failed("ticket"):
                continue
            return False
    return False


def end_skipped(
    ticket: Ticket,
    now: datetime,
    *,
    subject: Subject | None = None,
    sms: list[Message] | None = None,
    noshow_until: str | None = None,
    counts: bool = True,
) -> bool:
    """The second skip (R15a): the called ticket ends `no_show`; its booking (if any) `checked_in` ->
    `no_show`, counted for R12 on the subject (optimistic on the no-shows read: SubjectMoved) with its
    SMS, in one transaction. False when the ticket changed since it was read."""
    key = day_key(ticket.office_id, ticket.date)
    for _ in range(BOARD_ATTEMPTS):
        board = get_board(ticket.office_id, ticket.date)

        def build(tx: Items) -> None:
            tx.update(
                "ticket",
                TicketItem(key, TICKET + ticket.ticket_id),
                [
                    TicketItem.status.set(TicketStatus.NO_SHOW.value),
                    TicketItem.done_at.set(now.isoformat()),
                    TicketItem.rev.add(1),
                    TicketItem.skips.add(1),
                ],
                _at_rev(ticket, TicketStatus.CALLED),
            )
            uncall = uncalled(board, ticket)
            if uncall:
                tx.update("board", TicketItem(key, BOARD), uncall, still_calling(board, ticket))
            if ticket.booking_id:
                change_status(tx, ticket.booking_id, Status.NO_SHOW, now, source=Status.CHECKED_IN)
                stats.count_in(tx, ticket.office_id, ticket.service_code, ticket.date, no_shows=1)
                if subject is not None and counts:
                    actions, condition = no_show_counted(subject, ticket.date, noshow_until)
                    tx.update("subject", SubjectItem(subject_key(subject.id_number)), list(actions), condition)
            send_with(tx, sms or [])

        try:
            transact(build)
            return True
        except Cancelled as cancelled:
            if cancelled.failed("subject"):
                raise SubjectMoved() from None
            if cancelled.failed("board") and not cancelled.failed("ticket"):
                continue
            return False
    return False


def set_paused(office_id: str, day: date, counter: str, paused: bool) -> None:
    """R15a: the counter is paused (the board says so; 'next' there calls nobody) or serves again."""
    key = day_key(office_id, day)
    actions = (
        [TicketItem.paused.add({counter}), TicketItem.counters.add({counter})]
        if paused
        else [TicketItem.paused.delete({counter})]
    )
    TicketItem(key, BOARD).update(actions=[*actions, TicketItem.expires_at.set(keep_until(day))])
