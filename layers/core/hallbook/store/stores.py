"""The seam between the booking services and their data: what `services.bookings`, `services.reschedule`
and their eligibility checks read and write, as interfaces named by their guarantees (after the
repository and unit of work of cosmicpython/code, sized for DynamoDB: one transaction per change, so
each write below is one call that succeeds whole or raises).

`stores()` answers the implementation in use: DynamoDB (the modules of this package) unless a test
installed another with `installed(...)` - the in-memory one of store/memory/, which keeps the same
guarantees and raises the same exceptions, so the services' rules are tested without AWS (tests/unit).
What only DynamoDB can show - its conditions, transactions, races and streams - is tested on the
embedded AWS (tests/api, tests/races).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..domain.applications import StoredObject
    from ..domain.queue import Waiting
    from ..domain.ratelimit import Backoff, Budget
    from ..domain.waitlist import EntryStatus
    from .account_codes import Pending
    from .accounts import Account
    from .applications import Application, PermitUpdate, Step
    from .audit import AuditEntry
    from .base import Guard
    from .bookings import Booking, RescheduleKey, Subject
    from .catalog import Catalog
    from .guardians import Guardians
    from .login_throttle import LoginGuard
    from .outbox import Message
    from .permits import Permit
    from .slots import SlotState
    from .tickets import Board, Ticket
    from .uploads import UploadForm
    from .waitlist import Entry, Place


class BookingStore(Protocol):
    """The booking aggregate: bookings, their subjects (R9's lock, R11/R12's counters) and the slots'
    places they take, each change written with its outbox messages (R16) in one step."""

    def get_booking(self, booking_id: str) -> Booking | None: ...

    def get_subject(self, id_number: str) -> Subject: ...

    def read_for_booking(
        self, booking_id: str, id_number: str, office_id: str, service_code: str, day: date, start: str
    ) -> tuple[Booking | None, Subject, SlotState | None]:
        """The idempotency probe, the subject and the slot, read together and strongly consistent."""
        ...

    def book_slot(
        self,
        booking: Booking,
        message: Message,
        now: datetime,
        slot_ends_at: datetime,
        also: tuple[Message, ...] = (),
        slot_was_open: bool = False,
        guard: Guard | None = None,
    ) -> None:
        """Take one place (`booked < capacity`, not closed: R7), the subject's lock on the service (R9;
        not suspended: R11, R12), the booking and its SMS, all or nothing. Raises ReplayedBooking (the
        id exists), SlotFull, NoSuchSlot (SlotFull when `slot_was_open`), AlreadyBooked, Suspended,
        GuardMoved."""
        ...

    def cancel_booking(
        self,
        booking: Booking,
        subject: Subject,
        now: datetime,
        by: str,
        reason: str | None,
        messages: list[Message],
        count_against_subject: bool,
        delayed_place: Place | None = None,
    ) -> None:
        """A `booked` booking as read (its `moves`) becomes cancelled with the subject's lock released,
        its R11 counter (optimistic on `subject`) and the SMS, all or nothing; the place is freed or,
        with `delayed_place`, stays taken as that place (R18, R19). Raises NotCancellable, BookingMoved,
        SubjectMoved."""
        ...

    def move_booking(
        self,
        booking: Booking,
        moved: Booking,
        now: datetime,
        slot_ends_at: datetime,
        messages: list[Message],
        delayed_place: Place,
        key_id: str | None = None,
    ) -> None:
        """R8a: the new place taken and the old one kept as `delayed_place`, the booking moved (only if
        still `booked` where read), the Idempotency-Key's record and the SMS, all or nothing. Raises
        ReplayedReschedule, BookingMoved, SlotFull, NoSuchSlot."""
        ...

    def get_reschedule_key(self, key_id: str) -> RescheduleKey | None: ...

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Booking], str | None]:
        """The account's bookings, newest first, a page at a time (cursor: the next page's)."""
        ...


class SlotReader(Protocol):
    def get_slot(self, office_id: str, service_code: str, day: date, start: str) -> SlotState | None:
        """One slot as stored now (strongly consistent)."""
        ...

    def slots_between(
        self, office_id: str, service_code: str, first: date, last: date, consistent: bool = False
    ) -> list[SlotState]: ...


class CatalogReader(Protocol):
    def load_catalog(self, max_age: float = ...) -> Catalog: ...


class AccountReader(Protocol):
    def get_account(self, account_id: str) -> Account | None: ...

    def get_verified_citizen(self, account_id: str) -> Account | None:
        """May answer a verified citizen's account from a short per-process cache."""
        ...


class GuardianReader(Protocol):
    def get(self, minor_id_number: str) -> Guardians:
        """A minor's guardian links (none: an empty Guardians), strongly consistent."""
        ...


class FlagCounters(Protocol):
    """R22's advisory counters (services.flags)."""

    def record(
        self, pattern: str, key: str, subject: str, event: dict[str, Any], now: datetime
    ) -> list[dict[str, Any]]:
        """Add `event` to the pattern's events of `key`; the events kept."""
        ...

    def raise_flag(self, pattern: str, key: str, count: int, evidence: list[dict[str, Any]], now: datetime) -> bool:
        """Raise the flag unless it is raised already (True when this raised it)."""
        ...


# ---------------------------------------------------------------- the waitlist aggregate (R18, R19)


class WaitlistStore(Protocol):
    """The waitlist aggregate: entries and the places kept for them (store/waitlist.py describes
    them). Each write below is one step, all or nothing, that moves the slot's `booked`/`held`, the
    subject's R9 lock and the SMS with the entry or place; a condition that no longer holds is an
    answer: EntryMoved, PlaceMoved, or a booking's refusal."""

    def get_entry(self, entry_id: str) -> Entry | None: ...

    def get_place(self, place_id: str) -> Place | None: ...

    def entries_of_account(self, account_id: str, limit: int = 100) -> list[Entry]:
        """The account's entries (its own and its minors'), newest first."""
        ...

    def waiting_entries(self, office_id: str, service_code: str, day: date) -> list[Entry]:
        """The entries still waiting for a hall's service on `day`, in join order (may lag a write:
        every write that acts on one is conditioned on its status)."""
        ...

    def places_of_day(self, office_id: str, service_code: str, day: date) -> list[Place]: ...

    def due_keys(self, now: datetime) -> list[str]:
        """The keys of what is due at `now` (to the second): waiting entries past their cut-off,
        offers past their deadline, delayed places past their return."""
        ...

    def get_items(self, keys: list[str]) -> list[Entry | Place]:
        """The entries and places of `keys` as stored now (those that still exist)."""
        ...

    def join(self, entry: Entry, cut_off: datetime, now: datetime) -> None:
        """R18 with R9, R11, R12: the entry joins its queue (the next join number) with the subject's
        lock on the service, under a booking's subject condition. Raises AlreadyBooked, Suspended."""
        ...

    def offer_delayed_place(
        self, place: Place, entry: Entry, until: datetime, now: datetime, messages: list[Message]
    ) -> None:
        """A delayed place is held for a waiting entry until `until` (it stays taken). Raises PlaceMoved
        (no longer delayed), EntryMoved (the entry no longer waiting)."""
        ...

    def hold_free_place(
        self, place: Place, entry: Entry, until: datetime, now: datetime, messages: list[Message]
    ) -> None:
        """A free place is taken (R7's condition) and held for a waiting entry. Raises EntryMoved,
        SlotFull, NoSuchSlot."""
        ...

    def accept_offer(
        self, entry: Entry, booking: Booking, slot_ends_at: datetime, now: datetime, messages: list[Message]
    ) -> None:
        """R18 with R7-R12: the offer (still held, before its deadline) becomes `booking` - the place
        leaves `held`, `booked` unchanged, the subject's lock kept. Raises EntryMoved, NoSuchSlot (the
        slot closed), Suspended."""
        ...

    def pass_offer_on(
        self, entry: Entry, status: EntryStatus, return_at: datetime, now: datetime, messages: list[Message]
    ) -> None:
        """An offer ends unbooked (`status`): the entry ends, its lock freed, its place delayed again
        until `return_at`. Raises EntryMoved."""
        ...

    def return_to_pool(self, place: Place, now: datetime) -> None:
        """A delayed place becomes free (`booked` and `held` - 1). Raises PlaceMoved."""
        ...

    def end_entry(self, entry: Entry, status: EntryStatus, now: datetime, messages: list[Message]) -> None:
        """A waiting entry ends (`status`) and frees its lock. Raises EntryMoved."""
        ...

    def withdraw_place(self, place: Place, entry: Entry | None, now: datetime, messages: list[Message]) -> None:
        """A hall's closure: the place goes and the entry it was offered to ends. Raises PlaceMoved."""
        ...


# ---------------------------------------------------------------- residence-permit applications (R17)


class ApplicationStore(Protocol):
    """R17's applications with their permits and uploaded materials: every step is one write that
    succeeds whole or raises - the application, its SMS (R16), its permit-and-kind lock and its permit's
    change together (services/applications.py and its application_*.py neighbours)."""

    def open_application(self, application: Application) -> None:
        """The draft and its permit-and-kind lock (one open application per permit and kind), all or
        nothing. Raises store.applications.AlreadyOpen with the open one's id (None: freed meanwhile)."""
        ...

    def move(
        self,
        application: Application,
        step: Step,
        now: datetime,
        *,
        release_lock: bool = False,
        submitted: dict[str, Any] | None = None,
        decision_reason: str | None = None,
        collection: dict[str, Any] | None = None,
        messages: tuple[Message, ...] = (),
        permit: PermitUpdate | None = None,
    ) -> None:
        """From the state read to `step.state` only if still in it (a new collection: only with the
        attempt count read), with its history entry, what the step records (the materials found, the
        decision, the collection), its SMS, the lock's release and the permit's change (only while the
        permit's expiry is the one read), all or nothing. Raises StateMoved or PermitMoved."""
        ...

    def get_application(self, application_id: str) -> Application | None: ...

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Application], str | None]:
        """A citizen's applications, newest first, a page at a time (cursor: the next page's)."""
        ...

    def list_for_office(
        self, office_id: str, state: str, limit: int, cursor: str | None
    ) -> tuple[list[Application], str | None]:
        """One office's applications in one state (never drafts), oldest submission first, a page at a time."""
        ...

    def awaiting_review(self, office_id: str, state: str = "submitted") -> tuple[int, str | None]:
        """How many of the office's applications are in `state`, and the oldest one's submission instant."""
        ...

    def get_permit(self, number: str) -> Permit | None: ...

    def upload_form(self, application_id: str, material: str, content_type: str, max_bytes: int) -> UploadForm:
        """A form that uploads exactly this material, of this type and 1..max_bytes bytes, and nothing else."""
        ...

    def stored_object(self, application_id: str, material: str) -> StoredObject | None:
        """The uploaded material's type and size as stored, or None."""
        ...

    def download_url(self, application_id: str, material: str) -> str:
        """A short-lived URL that reads the uploaded material."""
        ...


# ---------------------------------------------------------------- the hall's day: tickets and counters


class TicketStore(Protocol):
    """The hall-day aggregate (R14, R15, R15a): a hall's tickets of one day, its queue and its board
    (the sequences, the last call, what each counter serves, the paused counters), each change written
    with the booking it moves in one step; and the bookings a clerk checks in. store/hall_day.py on
    DynamoDB, store/memory/tickets.py in memory."""

    # ------------------------------------------------ what check-in finds (R14)

    def find_by_reference(self, reference: str) -> list[Booking]:
        """The bookings with this normalised reference, at any hall (almost always one)."""
        ...

    def subject_bookings_on(self, id_number: str, day: date) -> list[Booking]:
        """The bookings whose subject is `id_number`, on `day`."""
        ...

    def bookings_made_by(self, id_number: str, since: datetime) -> list[Booking]:
        """The bookings made since `since` from the account of the person with this ID number (its own
        and its minors'), oldest first; none when nobody has an account with it."""
        ...

    # ------------------------------------------------ the day's tickets and queue

    def get_ticket(self, office_id: str, day: date, ticket_id: str) -> Ticket | None: ...

    def tickets_of(self, office_id: str, day: date) -> list[Ticket]:
        """Every ticket of the hall's day (the counter console's day list)."""
        ...

    def open_tickets(self, office_id: str, day: date) -> list[Ticket]:
        """The hall's tickets of `day` still waiting or called."""
        ...

    def get_board(self, office_id: str, day: date) -> Board: ...

    def queue_of(self, office_id: str, day: date, consistent: bool = True) -> tuple[Board, list[Waiting]]:
        """The board and every waiting ticket, read together."""
        ...

    # ------------------------------------------------ R14, R15: issuing, calling, completing

    def check_in(self, booking: Booking, due_at: datetime, now: datetime) -> Ticket:
        """Once: a `booked` booking becomes `checked_in` (its subject's R9 lock released) and its `A`
        ticket, the next number of the hall's day, waits - all or nothing. Raises BookingNotBooked when
        the booking is no longer `booked`."""
        ...

    def issue_walk_in(self, office_id: str, day: date, service_code: str, now: datetime) -> Ticket:
        """The next `B` ticket of the hall's day, waiting."""
        ...

    def claim(self, office_id: str, day: date, waiting: Waiting, counter: str, now: datetime) -> bool:
        """Exactly once across counters: the waiting ticket becomes `called` at `counter`, the board's
        last call (calls counted). False, changing nothing, when it no longer waits."""
        ...

    def count_called(self, office_id: str, service_code: str, day: date, wait_seconds: float) -> None:
        """The day's statistics: one more ticket called, after waiting `wait_seconds`."""
        ...

    def complete(self, ticket: Ticket, now: datetime) -> None:
        """Only from `called`: the ticket `done`, its booking (if any) `checked_in` -> `completed`, the
        service time counted and the counter's board entry cleared, all or nothing. Raises TicketMoved
        when the ticket is not `called` (or its booking not `checked_in`)."""
        ...

    def close_ticket(self, ticket: Ticket, now: datetime, *, day_end: bool = False) -> bool:
        """Only from `waiting` or `called` as read: the ticket and its booking end (`done`/`completed`,
        or with `day_end` both `closed_at_day_end`), a waiting one leaving the queue. False, changing
        nothing, when it moved on meanwhile."""
        ...

    # ------------------------------------------------ R15a: at the counter, each only from the ticket as read (`rev`)

    def recall(self, ticket: Ticket, now: datetime) -> bool:
        """Only a `called` ticket as read: announced again at its counter (the board's last call).
        False when it changed since it was read."""
        ...

    def requeue(
        self,
        ticket: Ticket,
        now: datetime,
        *,
        held_until: int = 0,
        for_counter: str | None = None,
        service_code: str | None = None,
        skipped: bool = False,
    ) -> bool:
        """Only a `called` or `waiting` ticket as read: it waits again (a skip held until `held_until`
        calls, a transfer for `for_counter` or `service_code`), keeping its kind and place, and leaves
        its counter on the board. False when it changed since it was read."""
        ...

    def end_skipped(
        self,
        ticket: Ticket,
        now: datetime,
        *,
        subject: Subject | None = None,
        sms: list[Message] | None = None,
        noshow_until: str | None = None,
        counts: bool = True,
    ) -> bool:
        """Only a `called` ticket as read: it ends `no_show`, its booking `checked_in` -> `no_show`
        counted for R12 on `subject` (optimistic on its no-shows: SubjectMoved) with the SMS, all or
        nothing. False when the ticket changed since it was read."""
        ...

    def set_paused(self, office_id: str, day: date, counter: str, paused: bool) -> None:
        """The counter is paused (the board shows it; it calls nobody) or serves again."""
        ...


# ---------------------------------------------------------------- the account aggregate (R1)


class AccountStore(AccountReader, Protocol):
    """The account aggregate (services.accounts, login, sessions, account_life, phone_change, closure):
    an account with its uniqueness claims, its one-time codes, its login throttle, second factor and
    sessions. Each write is one conditional step that succeeds whole or changes nothing; a code's
    attempt is counted BEFORE the code is compared, so parallel guesses compare no more than the limit."""

    def find_account_id(self, login_key: str) -> str | None:
        """The account a claim names (`ID#`, `PHONE#`, `LOGIN#` in canonical form), if any."""
        ...

    def register_account(self, account: Account, logins: list[str], message: Message | None, now: datetime) -> None:
        """R1: the account, its claims and its first SMS, all or nothing. Raises PhoneTaken (a phone
        claim is held; it answers first) or IdTaken. An unverified account's claims are free again
        after UNVERIFIED_CLAIM_HOURS."""
        ...

    def mark_phone_verified(self, account: Account, code_hash: str) -> bool:
        """The code `code_hash` verifies the phone, once, while the claims are still the account's
        (they then stop expiring); False otherwise."""
        ...

    def count_verification_attempt(self, account_id: str, code_hash: str, limit: int) -> bool:
        """One attempt at the verification code `code_hash`, at most `limit` per code."""
        ...

    def replace_code(
        self,
        account_id: str,
        code_hash: str,
        expires_at: str,
        sends: int,
        period_start: str,
        sends_before: int,
        message: Message,
    ) -> bool:
        """A new verification code (attempts at 0) and its SMS, only while `sends_before` codes were sent."""
        ...

    def spend_stranger_attempt(self, limit: str, key: str, period: int, allowed: int, period_ends_at: float) -> bool:
        """One of `allowed` attempts in `period` for a key with no account behind it; False when spent."""
        ...

    def get_account_for_login(self, account_id: str, address: str | None = None) -> tuple[Account, LoginGuard] | None:
        """The account, its login guard and the back-off of `address`, strongly consistent."""
        ...

    def reserve_address_attempt(
        self, account_id: str, address: str, at: int, backoff: Backoff, seen: tuple[int, int] | None = None
    ) -> int:
        """Spend one attempt of the account (or a stranger's key) from `address` if the back-off allows
        one at `at`: 0, else the seconds still to wait (nothing counted)."""
        ...

    def reserve_login_budget(self, account_id: str, at: int, budget: Budget) -> int | None:
        """Spend one unit of the account's failure budget (all addresses): its new tat, None when spent."""
        ...

    def require_second_factor(self, account_id: str, until: int) -> None: ...

    def record_login_failure(self, account_id: str) -> None: ...

    def forget_address_attempts(self, account_id: str, address: str) -> None: ...

    def record_login_success(self, account_id: str, address: str, refund_seconds: int) -> None:
        """The address's back-off forgotten, failures at 0, `refund_seconds` of the budget given back."""
        ...

    def replace_login_code(
        self,
        account_id: str,
        code_hash: str,
        expires_at: int,
        sends: int,
        period_start: int,
        sends_before: int,
        message: Message,
    ) -> bool: ...

    def count_login_code_attempt(self, account_id: str, code_hash: str, limit: int) -> bool: ...

    def use_login_code(self, account_id: str, code_hash: str) -> bool:
        """Single use: True once, for the login that consumed the code."""
        ...

    def set_totp_secret(self, account_id: str, secret: str) -> None: ...

    def use_totp_step(self, account_id: str, step: int) -> bool:
        """A TOTP time step is good once, and only after the last one used."""
        ...

    def revoke_session(self, account_id: str, sid: str, expires_at: int, at: int) -> None: ...

    def change_password(self, account_id: str, old_hash: str, new_hash: str) -> int | None:
        """The new password and token generation + 1 while the password is still `old_hash`; the new
        generation, or None."""
        ...

    def get_pending(self, account_id: str, kind: str) -> tuple[Account, Pending] | None:
        """The account and its `kind` ("reset" or "phone") code."""
        ...

    def replace_pending_code(
        self,
        account_id: str,
        kind: str,
        code_hash: str,
        expires_at: int,
        sends: int,
        period_start: int,
        sends_before: int,
        message: Message,
        phone: str | None = None,
    ) -> bool: ...

    def count_pending_attempt(self, account_id: str, kind: str, code_hash: str, limit: int) -> bool: ...

    def reset_password(self, account_id: str, code_hash: str, password_hash: str, message: Message) -> int | None:
        """Rotate the password with the reset code `code_hash`, once, in one write with the generation
        + 1 and the login throttle cleared (budget, second factor, failures); the new generation or None."""
        ...

    def change_phone(
        self,
        account: Account,
        new_phone: str,
        code_hash: str | None,
        sms: list[Message],
        now: datetime,
        audit: AuditEntry | None = None,
    ) -> None:
        """R1: the phone's claim moves to `new_phone` (free, expired unverified, or the account's own),
        the account's phone set and verified, with the SMS and the audit entry, all or nothing. Raises
        PhoneTaken, or Cancelled when the account changed meanwhile (`code_hash`: the phone change's
        code must still be that one)."""
        ...

    def close_account(
        self, account: Account, pseudonym: str, sms: list[Message], now: datetime, audit: AuditEntry | None = None
    ) -> None:
        """PIPL: the claims deleted, the personal data erased (name kept as `pseudonym`), every token
        refused, with the SMS and the audit entry, all or nothing. Raises Cancelled if closed already."""
        ...


@dataclass(frozen=True)
class Stores:
    """What the services reach, one implementation of each."""

    bookings: BookingStore
    slots: SlotReader
    catalog: CatalogReader
    accounts: AccountReader
    guardians: GuardianReader
    flags: FlagCounters
    waitlist: WaitlistStore
    applications: ApplicationStore
    tickets: TicketStore
    account_store: AccountStore


class DynamoBookings:
    """The booking aggregate on DynamoDB: store/bookings/'s functions (the places kept for the waitlist
    become store/waitlist.py's items here, so neither store module imports the other)."""

    def get_booking(self, booking_id: str) -> Booking | None:
        from . import bookings

        return bookings.get_booking(booking_id)

    def get_subject(self, id_number: str) -> Subject:
        from . import bookings

        return bookings.get_subject(id_number)

    def read_for_booking(
        self, booking_id: str, id_number: str, office_id: str, service_code: str, day: date, start: str
    ) -> tuple[Booking | None, Subject, SlotState | None]:
        from . import bookings

        return bookings.read_for_booking(booking_id, id_number, office_id, service_code, day, start)

    def book_slot(
        self,
        booking: Booking,
        message: Message,
        now: datetime,
        slot_ends_at: datetime,
        also: tuple[Message, ...] = (),
        slot_was_open: bool = False,
        guard: Guard | None = None,
    ) -> None:
        from . import bookings

        bookings.book_slot(booking, message, now, slot_ends_at, also, slot_was_open, guard)

    def cancel_booking(
        self,
        booking: Booking,
        subject: Subject,
        now: datetime,
        by: str,
        reason: str | None,
        messages: list[Message],
        count_against_subject: bool,
        delayed_place: Place | None = None,
    ) -> None:
        from . import bookings
        from .waitlist import delayed_place_item

        item = delayed_place_item(delayed_place) if delayed_place is not None else None
        bookings.cancel_booking(booking, subject, now, by, reason, messages, count_against_subject, item)

    def move_booking(
        self,
        booking: Booking,
        moved: Booking,
        now: datetime,
        slot_ends_at: datetime,
        messages: list[Message],
        delayed_place: Place,
        key_id: str | None = None,
    ) -> None:
        from . import bookings
        from .waitlist import delayed_place_item

        bookings.move_booking(booking, moved, now, slot_ends_at, messages, delayed_place_item(delayed_place), key_id)

    def get_reschedule_key(self, key_id: str) -> RescheduleKey | None:
        from . import bookings

        return bookings.get_reschedule_key(key_id)

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Booking], str | None]:
        from . import bookings

        return bookings.list_for_account(account_id, limit, cursor)


_dynamo: Stores | None = None
_installed: Stores | None = None
_layer: ContextVar[Stores | None] = ContextVar("hallbook_stores_layer", default=None)


def dynamo() -> Stores:
    """The DynamoDB implementation: the store modules themselves (built on first use)."""
    global _dynamo
    if _dynamo is None:
        from . import accounts, catalog, flags, guardians, slots
        from .account_store import DynamoAccounts
        from .applications_dynamo import DynamoApplications
        from .hall_day import DynamoTickets
        from .waitlist_dynamo import DynamoWaitlist

        _dynamo = Stores(
            bookings=DynamoBookings(),
            slots=slots,
            catalog=catalog,
            accounts=accounts,
            guardians=guardians,
            flags=flags,
            waitlist=DynamoWaitlist(),
            applications=DynamoApplications(),
            tickets=DynamoTickets(),
            account_store=DynamoAccounts(),
        )
    return _dynamo


def stores() -> Stores:
    """The stores in use: a layer this call runs in (`layered`), else the ones a test installed, else
    DynamoDB's."""
    return _layer.get() or _installed or dynamo()


@contextmanager
def layered(layer: Stores) -> Iterator[Stores]:
    """Run the block, in this thread only, on `layer`: stores wrapped for one call (e.g. the booking's
    noon cache, services/noon_cache.py)."""
    token = _layer.set(layer)
    try:
        yield layer
    finally:
        _layer.reset(token)


@contextmanager
def installed(replacement: Stores) -> Iterator[Stores]:
    """Run the block (every thread of the process) on `replacement`, e.g. store.memory's fake."""
    global _installed
    before = _installed
    _installed = replacement
    try:
        yield replacement
    finally:
        _installed = before
