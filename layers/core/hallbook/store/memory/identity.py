"""The identity side in memory (store.ports.identity.IdentityStore): pending identity changes as
dicts, and the booking aggregate's subjects, outbox and references read and written in MemoryBookings
under its one lock, with the same conditions as store/identity_changes.py, store/bookings/ and
store/ratelimits.py.

What it leaves out, because only DynamoDB can show it (tests/api, tests/races): races between
processes, the retries of `void_sanctions` when the subject moves meanwhile, and TTL expiry."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from ...domain.sanctions import SubjectRecord
from ..base import Cancelled
from ..bookings import Booking
from ..identity_changes import DONE, PENDING, Change
from ..outbox import Message
from .bookings import MemoryBookings


@dataclass
class MemoryIdentity:
    """Pending changes by id and the re-sends counted per (booking, local day); the rest is `bookings`'."""

    bookings: MemoryBookings
    changes: dict[str, Change] = field(default_factory=dict)
    approved_by: dict[str, str] = field(default_factory=dict)
    resends: dict[tuple[str, int], int] = field(default_factory=dict)

    def create_change(self, change: Change) -> None:
        with self.bookings.lock:
            if change.change_id in self.changes:
                raise Cancelled({"change": "ConditionalCheckFailed"})
            self.changes[change.change_id] = replace(change, status=PENDING, consent_attempts=0)

    def get_change(self, change_id: str) -> Change | None:
        with self.bookings.lock:
            return self.changes.get(change_id)

    def count_consent_attempt(self, change_id: str, limit: int) -> bool:
        with self.bookings.lock:
            change = self.changes.get(change_id)
            if change is None or change.status != PENDING or change.consent_attempts >= limit:
                return False
            self.changes[change_id] = replace(change, consent_attempts=change.consent_attempts + 1)
            return True

    def claim_change(self, change_id: str, approved_by: str) -> bool:
        with self.bookings.lock:
            change = self.changes.get(change_id)
            if change is None or change.status != PENDING:
                return False
            self.changes[change_id] = replace(change, status=DONE)
            self.approved_by[change_id] = approved_by
            return True

    def release_change(self, change_id: str) -> None:
        with self.bookings.lock:
            change = self.changes.get(change_id)
            if change is not None and change.status == DONE:
                self.changes[change_id] = replace(change, status=PENDING)

    def send(self, messages: list[Message]) -> None:
        with self.bookings.lock:
            sent = {m.message_id for m in self.bookings.outbox}
            self.bookings.outbox += [m for m in messages if m.message_id not in sent]

    def void_sanctions(self, id_number: str, month: str, cancellations: int, no_show_days: list[date]) -> None:
        with self.bookings.lock:
            subject = self.bookings.subjects.get(id_number)
            if subject is None:
                raise Cancelled({"subject": "ConditionalCheckFailed"})
            shows = list(subject.no_shows)
            for day in no_show_days:
                if day in shows:
                    shows.remove(day)
            suspension = SubjectRecord(no_shows=shows).no_show_suspension()
            count = subject.cancel_count
            if subject.cancel_month == month and cancellations:
                count = max(0, count - cancellations)
            self.bookings.subjects[id_number] = replace(
                subject,
                no_shows=shows,
                noshow_until=suspension.until.isoformat() if suspension else None,
                cancel_count=count,
            )

    def find_by_reference(self, reference: str) -> list[Booking]:
        with self.bookings.lock:
            return [b for b in self.bookings.bookings.values() if b.reference == reference]

    def spend_resend(self, booking_id: str, day: int, allowed: int, day_ends_at: float) -> bool:
        with self.bookings.lock:
            spent = self.resends.get((booking_id, day), 0)
            if spent >= allowed:
                return False
            self.resends[(booking_id, day)] = spent + 1
            return True
