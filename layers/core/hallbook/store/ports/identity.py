"""The identity side that is not the account itself (R1's hall changes and reclaims, the phone line):
what services/identity_changes.py, reclaims.py and operator.py read and write besides the account
aggregate (store/ports/accounts.py)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..bookings import Booking
    from ..identity_changes import Change
    from ..outbox import Message


class IdentityStore(Protocol):
    """Pending identity changes at a hall (a second clerk's approval or the holder's consent carries
    one out, once), the stranger's sanctions a reclaim voids, and the phone line's look-ups and SMS
    budget. Each write is one conditional step: it succeeds whole or changes nothing."""

    def create_change(self, change: Change) -> None:
        """A new pending change (its id is new)."""
        ...

    def get_change(self, change_id: str) -> Change | None: ...

    def count_consent_attempt(self, change_id: str, limit: int) -> bool:
        """One attempt at the consent code while pending, counted BEFORE it is compared (at most `limit`)."""
        ...

    def claim_change(self, change_id: str, approved_by: str) -> bool:
        """Pending -> done once: True for the one caller that moved it."""
        ...

    def release_change(self, change_id: str) -> None:
        """A change that could not be carried out is pending again."""
        ...

    def send(self, messages: list[Message]) -> None:
        """SMS with no other change (a consent code, a re-sent confirmation), all or nothing; idempotent
        per message id."""
        ...

    def void_sanctions(self, id_number: str, month: str, cancellations: int, no_show_days: list[date]) -> None:
        """R1 reclaim: `cancellations` of `month` and the no-shows on `no_show_days` taken back from the
        subject; its no-show suspension derived again from what is left."""
        ...

    def find_by_reference(self, reference: str) -> list[Booking]:
        """The bookings with this normalised reference (a collision: more than one)."""
        ...

    def spend_resend(self, booking_id: str, day: int, allowed: int, day_ends_at: float) -> bool:
        """One of `allowed` confirmation re-sends of the booking on local `day`; False when spent."""
        ...
