"""The identity side on DynamoDB (store.ports.identity.IdentityStore): store/identity_changes.py's
items, the outbox, the subject's counters of store/bookings/ and the re-send counter of ratelimits."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from . import identity_changes, outbox, ratelimits
from .base import transact
from .identity_changes import Change
from .outbox import Message

if TYPE_CHECKING:
    from .bookings import Booking

RESEND_LIMIT = "operator_resend"  # the rate-limit items' name of the phone line's re-sends


class DynamoIdentity:
    """Every method is one of the store modules' functions (their docstrings say how each is atomic)."""

    def create_change(self, change: Change) -> None:
        identity_changes.create(change)

    def get_change(self, change_id: str) -> Change | None:
        return identity_changes.get(change_id)

    def count_consent_attempt(self, change_id: str, limit: int) -> bool:
        return identity_changes.count_consent_attempt(change_id, limit)

    def claim_change(self, change_id: str, approved_by: str) -> bool:
        return identity_changes.claim(change_id, approved_by)

    def release_change(self, change_id: str) -> None:
        identity_changes.release(change_id)

    def send(self, messages: list[Message]) -> None:
        if len(messages) == 1:
            outbox.enqueue(messages[0])
        elif messages:
            transact(lambda tx: outbox.send_with(tx, messages))

    def void_sanctions(self, id_number: str, month: str, cancellations: int, no_show_days: list[date]) -> None:
        from . import bookings

        bookings.void_sanctions(id_number, month, cancellations, no_show_days)

    def find_by_reference(self, reference: str) -> list[Booking]:
        from . import bookings

        return bookings.find_by_reference(reference)

    def spend_resend(self, booking_id: str, day: int, allowed: int, day_ends_at: float) -> bool:
        return ratelimits.count(RESEND_LIMIT, booking_id, day, allowed, day_ends_at)
