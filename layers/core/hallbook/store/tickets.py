"""The hall-day aggregate (R14, R15): one partition per hall and day, `{office_id}#{date}`, holding

- `T#<ticket_id>`: a ticket, `waiting` -> `called` -> `done`;
- `Q#W#<ticket_id>`: the ticket's waiting entry, present only while it waits (what its place in the
  queue depends on: kind, slot start, when the booking was made);
- `Q#BOARD`: the day's ticket number sequences (`a_seq`, `b_seq`), the last call, the number each counter
  serves, and today's service times (for the estimated wait).

So the display board and `queue/next` read one Query (`Q#` prefix: the board item and the waiting
entries only, never the day's finished tickets). Every change is one transaction:

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

from ..domain.booking import Status
from ..domain.queue import Kind, TicketStatus, Waiting, ticket_id, ticket_number
from . import stats
from .base import BaseMeta, Cancelled, Items, latest, setting, transact
from .bookings import (
    Booking,
    BookingItem,
    Subject,
    SubjectItem,
    SubjectMoved,
    change_status,
    no_show_counted,
    release_service_lock,
    subject_key,
)
from .outbox import Message, send_with

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


def _expires(day: date) -> int:
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


def _sequence_update(kind: Kind, seen: int, day: date) -> tuple[list, object]:
    """Actions and condition that take number `seen + 1` from the board's sequence for `kind`."""
    attr = TicketItem.a_seq if kind is Kind.BOOKING else TicketItem.b_seq
    condition = (attr == seen) if seen else attr.does_not_exist()
    actions = [
        attr.set(seen + 1),
        TicketItem.expires_at.set(_expires(day)),
        TicketItem.calling.set(TicketItem.calling | {}),
    ]
    return actions, condition


def _new_ticket_items(
    office_id: str,
    day: date,
    kind: Kind,
    seq: int,
    service_code: str,
    due_at: datetime,
    made_at: str,
    now: datetime,
    booking_id: str | None,
) -> tuple[Ticket, TicketItem, TicketItem]:
    number = ticket_number(kind, seq)
    tid = ticket_id(day.isoformat(), number)
    ticket = Ticket(
        office_id=office_id,
        date=day,
        ticket_id=tid,
        number=number,
        kind=kind.value,
        service_code=service_code,
        status=TicketStatus.WAITING.value,
        issued_at=now.isoformat(),
        due_at=due_at.isoformat(),
        made_at=made_at,
        booking_id=booking_id,
    )
    common: dict[str, Any] = dict(
        ticket_id=tid,
        number=number,
        kind=kind.value,
        service_code=service_code,
        due_at=ticket.due_at,
        made_at=made_at,
        expires_at=_expires(day),
    )
    ticket_item = TicketItem(
        day_key(office_id, day),
        TICKET + tid,
        status=ticket.status,
        booking_id=booking_id,
        issued_at=ticket.issued_at,
        **common,
    )
    waiting_item = TicketItem(day_key(office_id, day), WAITING + tid, **common)
    return ticket, ticket_item, waiting_item


def check_in(booking: Booking, due_at: datetime, now: datetime) -> Ticket:
    """Check a `booked` booking in and issue its `A` ticket, atomically (see the module's docstring).
    Raises BookingNotBooked if the booking is no longer `booked`."""
    day = booking.date
    for _ in range(NUMBER_ATTEMPTS):
        seen = get_board(booking.office_id, day).a_seq
        ticket, ticket_item, waiting_item = _new_ticket_items(
            booking.office_id,
            day,
            Kind.BOOKING,
            seen + 1,
            booking.service_code,
            due_at,
            booking.created_at,
            now,
            booking.booking_id,
        )
        seq_actions, seq_condition = _sequence_update(Kind.BOOKING, seen, day)

        def build(tx: Items) -> None:
            change_status(
                tx,
                booking.booking_id,
                Status.CHECKED_IN,
                now,
                (BookingItem.checked_in_at.set(now.isoformat()), BookingItem.ticket_id.set(ticket.ticket_id)),
            )
            release_service_lock(tx, booking.subject_id_number, booking.service_code)
            tx.update("sequence", TicketItem(day_key(booking.office_id, day), BOARD), seq_actions, seq_condition)
            stats.count_in(tx, booking.office_id, booking.service_code, day, checked_in=1)
            tx.put("ticket", ticket_item, TicketItem.sk.does_not_exist())
            tx.put("waiting", waiting_item, TicketItem.sk.does_not_exist())

        try:
            transact(build)
            return ticket
        except Cancelled as cancelled:
            if cancelled.failed("booking"):
                raise BookingNotBooked() from None
            if cancelled.failed("sequence") or cancelled.failed("ticket") or cancelled.failed("waiting"):
                continue  # another ticket took that number: read the sequence again
            raise
    raise TicketMoved("the ticket sequence kept moving")


def issue_walk_in(office_id: str, day: date, service_code: str, now: datetime) -> Ticket:
    """The next `B` ticket of the hall's day and its waiting entry, atomically."""
    for _ in range(NUMBER_ATTEMPTS):
        seen = get_board(office_id, day).b_seq
        ticket, ticket_item, waiting_item = _new_ticket_items(
            office_id, day, Kind.WALK_IN, seen + 1, service_code, now, now.isoformat(), now, None
        )
        seq_actions, seq_condition = _sequence_update(Kind.WALK_IN, seen, day)

        def build(tx: Items) -> None:
            tx.update("sequence", TicketItem(day_key(office_id, day), BOARD), seq_actions, seq_condition)
            stats.count_in(tx, office_id, service_code, day, walk_ins=1)
            tx.put("ticket", ticket_item, TicketItem.sk.does_not_exist())
            tx.put("waiting", waiting_item, TicketItem.sk.does_not_exist())

        try:
            transact(build)
            return ticket
        except Cancelled:
            continue  # another ticket took that number: read the sequence again
    raise TicketMoved("the ticket sequence kept moving")


def claim(office_id: str, day: date, waiting: Waiting, counter: str, now: datetime) -> bool:
    """Call a waiting ticket at `counter`. False when another counter called it first."""
    key = day_key(office_id, day)

    def build(tx: Items) -> None:
        tx.delete("waiting", TicketItem(key, WAITING + waiting.ticket_id), TicketItem.sk.exists())
        tx.update(
            "ticket",
            TicketItem(key, TICKET + waiting.ticket_id),
            [
                TicketItem.status.set(TicketStatus.CALLED.value),
                TicketItem.counter.set(counter),
                TicketItem.called_at.set(now.isoformat()),
                TicketItem.rev.add(1),
                TicketItem.for_counter.remove(),
                TicketItem.held_until.remove(),
            ],
            TicketItem.status == TicketStatus.WAITING.value,
        )
        tx.update(
            "board",
            TicketItem(key, BOARD),
            [
                TicketItem.last_number.set(waiting.number),
                TicketItem.last_counter.set(counter),
                TicketItem.last_called_at.set(now.isoformat()),
                TicketItem.counters.add({counter}),
                TicketItem.calling[counter].set(waiting.number),
                TicketItem.calls.add(1),
                TicketItem.announced.add(1),
            ],
        )

    try:
        transact(build)
        return True
    except Cancelled:
        return False  # the waiting entry was gone: another counter called it


def complete(ticket: Ticket, now: datetime) -> None:
    """Mark a `called` ticket done and its booking `completed`, with the service time, and clear the
    counter's board entry when it still shows this ticket, atomically.
    Raises TicketMoved if the ticket is not `called` (or its booking not `checked_in`)."""
    key = day_key(ticket.office_id, ticket.date)
    seconds = max(0.0, (now - datetime.fromisoformat(ticket.called_at)).total_seconds()) if ticket.called_at else 0.0

    for _ in range(BOARD_ATTEMPTS):
        board = get_board(ticket.office_id, ticket.date)

        def build(tx: Items) -> None:
            tx.update(
                "ticket",
                TicketItem(key, TICKET + ticket.ticket_id),
                [
                    TicketItem.status.set(TicketStatus.DONE.value),
                    TicketItem.done_at.set(now.isoformat()),
                    TicketItem.rev.add(1),
                ],
                TicketItem.status == TicketStatus.CALLED.value,
            )
            if ticket.booking_id:
                change_status(
                    tx, ticket.booking_id, Status.COMPLETED, now, (BookingItem.completed_at.set(now.isoformat()),)
                )
            tx.update(
                "board",
                TicketItem(key, BOARD),
                [
                    TicketItem.served.add(1),
                    TicketItem.service_seconds.add(int(round(seconds))),
                    *_uncalled(board, ticket),
                ],
                _still_calling(board, ticket),
            )
            stats.count_in(tx, ticket.office_id, ticket.service_code, ticket.date, completed=1, service_seconds=seconds)

        try:
            transact(build)
            return
        except Cancelled as cancelled:
            if cancelled.failed("board") and not cancelled.failed("ticket"):
                continue  # the counter called another ticket meanwhile: read the board again
            raise TicketMoved() from None
    raise TicketMoved("the board kept moving")


# ---------------------------------------------------------------- R15a: at the counter


def _uncalled(board: Board, ticket: Ticket) -> list:
    """The board's actions that stop showing `ticket` at its counter (none when it shows another)."""
    if ticket.counter and board.calling.get(ticket.counter) == ticket.number:
        return [TicketItem.calling[ticket.counter].remove()]
    return []


def _still_calling(board: Board, ticket: Ticket):
    """The condition that the board's entry for the ticket's counter is still as read."""
    if ticket.counter and board.calling.get(ticket.counter) == ticket.number:
        return TicketItem.calling[ticket.counter] == ticket.number
    return None


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
                expires_at=_expires(ticket.date),
            )
            tx.put("waiting", entry, TicketItem.sk.does_not_exist())
            uncall = _uncalled(board, ticket)
            if uncall:
                tx.update("board", TicketItem(key, BOARD), uncall, _still_calling(board, ticket))

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
            uncall = _uncalled(board, ticket)
            if uncall:
                tx.update("board", TicketItem(key, BOARD), uncall, _still_calling(board, ticket))
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
    TicketItem(key, BOARD).update(actions=[*actions, TicketItem.expires_at.set(_expires(day))])


def close_ticket(ticket: Ticket, now: datetime, *, day_end: bool = False) -> bool:
    """Finish a ticket still `waiting` or `called`, with its booking, atomically:
    - day_end=False: the ticket is `done` and its booking `completed` (a residence permit handed over
      at the window: the counter's work is the application's completion), counted as completed;
    - day_end=True: both `closed_at_day_end` (the evening job: nobody completed them that day).
    A waiting ticket leaves the queue. False, changing nothing, when the ticket moved on meanwhile."""
    if ticket.status not in (TicketStatus.WAITING.value, TicketStatus.CALLED.value):
        return False
    key = day_key(ticket.office_id, ticket.date)
    ticket_status = TicketStatus.CLOSED_AT_DAY_END.value if day_end else TicketStatus.DONE.value
    booking_status = Status.CLOSED_AT_DAY_END if day_end else Status.COMPLETED
    seconds = max(0.0, (now - datetime.fromisoformat(ticket.called_at)).total_seconds()) if ticket.called_at else 0.0

    def build(tx: Items) -> None:
        tx.update(
            "ticket",
            TicketItem(key, TICKET + ticket.ticket_id),
            [
                TicketItem.status.set(ticket_status),
                TicketItem.done_at.set(now.isoformat()),
            ],
            TicketItem.status == ticket.status,
        )
        if ticket.status == TicketStatus.WAITING.value:
            tx.delete("waiting", TicketItem(key, WAITING + ticket.ticket_id))
        if ticket.booking_id:
            change_status(
                tx,
                ticket.booking_id,
                booking_status,
                now,
                () if day_end else (BookingItem.completed_at.set(now.isoformat()),),
            )
        if not day_end:
            stats.count_in(tx, ticket.office_id, ticket.service_code, ticket.date, completed=1, service_seconds=seconds)

    try:
        transact(build)
        return True
    except Cancelled:
        return False


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
