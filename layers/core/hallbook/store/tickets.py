"""The hall-day aggregate (R14, R15): one partition per hall and day, `{office_id}#{date}`, holding

- `T#<ticket_id>`: a ticket, `waiting` -> `called` -> `done`;
- `Q#W#<ticket_id>`: the ticket's waiting entry, present only while it waits (what its place in the
  queue depends on: kind, slot start, when the booking was made);
- `Q#BOARD`: the day's ticket number sequences (`a_seq`, `b_seq`), the last call, the number each counter
  serves, and today's service times (for the estimated wait).

So the display board and `queue/next` read one Query (`Q#` prefix: the board item and the waiting
entries only, never the day's finished tickets); this module keeps the items and their reads. Every
change is one transaction, in store.hall_queue and (R15a) store.counters:

- `check_in`: booking `booked` -> `checked_in` (sweep keys removed, so the no-show sweep skips it),
  the subject's one-active-booking lock released (R9), the next `A` number taken from the sequence
  (optimistically: the sequence must still hold the value read), the ticket and its waiting entry;
- `issue_walk_in`: the next `B` number, the ticket and its waiting entry;
- `claim`: the waiting entry deleted (it must still exist: two counters never get one ticket), the
  ticket `called` at a counter, the board's last call;
- `complete`: the ticket `called` -> `done`, its booking `checked_in` -> `completed`, service time,
  and the counter's board entry cleared (the board shows only tickets being served and waiting);
- R15a at the counter, each conditioned on the ticket's revision (`rev`, raised by every change of a
  called ticket) so two clerks' or two clicks' changes never both apply to what one of them read:
  `recall` (the board's last call again), `requeue` (a skip or a transfer: the ticket waits again,
  held after N calls or for a counter), `end_skipped` (the second skip: `no_show`, with its booking and
  R12's count), `set_paused` (the board's paused counters).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.models import Model

from ..domain.queue import Kind, TicketStatus, Waiting
from .base import BaseMeta, latest, setting

BOARD = "Q#BOARD"
WAITING = "Q#W#"
TICKET = "T#"
KEEP_DAYS = 180
NUMBER_ATTEMPTS = 20  # sequence races at one office (a few check-ins a minute) are rare and short
BOARD_ATTEMPTS = 5  # a counter's board entry changed between the read and the write: read again


class TicketItem(Model):
    class Meta(BaseMeta):
        table_name = setting("tickets_table")

    pk = UnicodeAttribute(hash_key=True)  # {office_id}#{date}
    sk = UnicodeAttribute(range_key=True)  # Q#BOARD | Q#W#<ticket_id> | T#<ticket_id>
    expires_at = NumberAttribute(null=True)
    # tickets and waiting entries
    ticket_id = UnicodeAttribute(null=True)
    number = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(null=True)  # booking | walk_in
    service_code = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)  # slot start (booking) or issue instant (walk-in)
    made_at = UnicodeAttribute(null=True)  # booking made (booking) or ticket issued (walk-in)
    # tickets only
    status = UnicodeAttribute(null=True)  # waiting | called | done
    booking_id = UnicodeAttribute(null=True)
    issued_at = UnicodeAttribute(null=True)
    counter = UnicodeAttribute(null=True)
    called_at = UnicodeAttribute(null=True)
    done_at = UnicodeAttribute(null=True)
    # R15a (tickets and waiting entries): held after a skip, transferred to a counter
    held_until = NumberAttribute(null=True)
    for_counter = UnicodeAttribute(null=True)
    # R15a (tickets): the revision every change of a called ticket raises, skips and recalls
    rev = NumberAttribute(null=True)
    skips = NumberAttribute(null=True)
    recalls = NumberAttribute(null=True)
    # the board item only
    a_seq = NumberAttribute(null=True)
    b_seq = NumberAttribute(null=True)
    last_number = UnicodeAttribute(null=True)
    last_counter = UnicodeAttribute(null=True)
    last_called_at = UnicodeAttribute(null=True)
    calling: MapAttribute[str, Any] = MapAttribute(null=True)  # counter -> number it called last
    counters = UnicodeSetAttribute(null=True)  # counters that called today
    served = NumberAttribute(null=True)
    service_seconds = NumberAttribute(null=True)
    calls = NumberAttribute(null=True)  # R15a: calls made today (a skipped ticket is held after N more)
    paused = UnicodeSetAttribute(null=True)  # R15a: counters paused now
    announced = NumberAttribute(null=True)  # calls and recalls made: the board says each aloud once


@dataclass(frozen=True)
class Ticket:
    office_id: str
    date: date
    ticket_id: str
    number: str
    kind: str
    service_code: str
    status: str
    issued_at: str
    due_at: str
    made_at: str
    booking_id: str | None = None
    counter: str | None = None
    called_at: str | None = None
    done_at: str | None = None
    rev: int = 0
    skips: int = 0
    recalls: int = 0
    for_counter: str | None = None
    held_until: int = 0

    def waiting(self) -> Waiting:
        return Waiting(
            self.ticket_id,
            self.number,
            Kind(self.kind),
            datetime.fromisoformat(self.due_at),
            self.made_at,
            self.held_until,
            self.for_counter,
        )


@dataclass
class Board:
    a_seq: int = 0
    b_seq: int = 0
    last_number: str | None = None
    last_counter: str | None = None
    last_called_at: str | None = None
    calling: dict[str, str] = field(default_factory=dict)
    counters: set[str] = field(default_factory=set)
    served: int = 0
    service_seconds: float = 0.0
    calls: int = 0
    paused: set[str] = field(default_factory=set)
    announced: int = 0


class BookingNotBooked(Exception):
    """The booking left `booked` since it was read (checked in, cancelled, swept as no-show)."""


class TicketMoved(Exception):
    """The ticket is not in the status the change needs (or its booking is not `checked_in`)."""


def day_key(office_id: str, day: date) -> str:
    return f"{office_id}#{day.isoformat()}"


def keep_until(day: date) -> int:
    from ..clock import SHANGHAI

    return int(datetime.combine(day + timedelta(days=KEEP_DAYS), datetime.min.time(), SHANGHAI).timestamp())


def _ticket(office_id: str, day: date, item: TicketItem) -> Ticket:
    return Ticket(
        office_id=office_id,
        date=day,
        ticket_id=item.ticket_id or "",
        number=item.number or "",
        kind=item.kind or "",
        service_code=item.service_code or "",
        status=item.status or "",
        issued_at=item.issued_at or "",
        due_at=item.due_at or "",
        made_at=item.made_at or "",
        booking_id=item.booking_id,
        counter=item.counter,
        called_at=item.called_at,
        done_at=item.done_at,
        rev=int(item.rev or 0),
        skips=int(item.skips or 0),
        recalls=int(item.recalls or 0),
        for_counter=item.for_counter,
        held_until=int(item.held_until or 0),
    )


def _board(item: TicketItem | None) -> Board:
    if item is None:
        return Board()
    return Board(
        a_seq=int(item.a_seq or 0),
        b_seq=int(item.b_seq or 0),
        last_number=item.last_number,
        last_counter=item.last_counter,
        last_called_at=item.last_called_at,
        calling={k: str(v) for k, v in (item.calling.as_dict() if item.calling else {}).items()},
        counters=set(item.counters or ()),
        served=int(item.served or 0),
        service_seconds=float(item.service_seconds or 0),
        calls=int(item.calls or 0),
        paused=set(item.paused or ()),
        announced=int(item.announced or 0),
    )


def get_board(office_id: str, day: date) -> Board:
    item = latest(TicketItem, day_key(office_id, day), BOARD)
    return Board() if item is None else _board(item)


def get_ticket(office_id: str, day: date, ticket_id_: str) -> Ticket | None:
    item = latest(TicketItem, day_key(office_id, day), TICKET + ticket_id_)
    if item is None:
        return None
    return _ticket(office_id, day, item)


def tickets_of(office_id: str, day: date) -> list[Ticket]:
    """Every ticket of a hall's day (the counter console's day list): one Query (`T#`)."""
    return [
        _ticket(office_id, day, item)
        for item in TicketItem.query(day_key(office_id, day), TicketItem.sk.startswith(TICKET), consistent_read=True)
    ]


def queue_of(office_id: str, day: date, consistent: bool = True) -> tuple[Board, list[Waiting]]:
    """The board item and every waiting entry of a hall's day: one Query (`Q#`)."""
    board: TicketItem | None = None
    waiting: list[Waiting] = []
    for item in TicketItem.query(day_key(office_id, day), TicketItem.sk.startswith("Q#"), consistent_read=consistent):
        if item.sk == BOARD:
            board = item
        else:
            waiting.append(
                Waiting(
                    item.ticket_id,
                    item.number,
                    Kind(item.kind),
                    datetime.fromisoformat(item.due_at),
                    item.made_at,
                    int(item.held_until or 0),
                    item.for_counter,
                )
            )
    return _board(board), waiting


def open_tickets(office_id: str, day: date) -> list[Ticket]:
    """The hall's tickets of `day` still waiting or called: one Query of its partition's tickets."""
    open_states = (TicketStatus.WAITING.value, TicketStatus.CALLED.value)
    return [
        _ticket(office_id, day, item)
        for item in TicketItem.query(
            day_key(office_id, day),
            TicketItem.sk.startswith(TICKET),
            consistent_read=True,
            filter_condition=TicketItem.status.is_in(*open_states),
        )
    ]


def uncalled(board: Board, ticket: Ticket) -> list:
    """The board's actions that stop showing `ticket` at its counter (none when it shows another)."""
    if ticket.counter and board.calling.get(ticket.counter) == ticket.number:
        return [TicketItem.calling[ticket.counter].remove()]
    return []


def still_calling(board: Board, ticket: Ticket):
    """The condition that the board's entry for the ticket's counter is still as read."""
    if ticket.counter and board.calling.get(ticket.counter) == ticket.number:
        return TicketItem.calling[ticket.counter] == ticket.number
    return None
