"""The family aggregate's port (R2, R20): guardian links (who may act for a minor) and family proxies
(who may act for an adult citizen), what services/guardians.py and services/proxies/ read and write.
Both are one item per person holding every link, written optimistically on a version number."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from .bookings import GuardianReader

if TYPE_CHECKING:
    from ..audit import AuditEntry
    from ..base import Guard
    from ..guardians import Guardians
    from ..outbox import Message
    from ..proxies import Pointer, Proxies


class FamilyStore(GuardianReader, Protocol):
    """A minor's guardian links (`get`, the booking path's reader) and a citizen's proxy authorisations.
    Each save writes `after` only if the links are still as `before` was read, with what hangs on them
    (the guardian accounts' `wards`; a new authorisation's pointer and the proxies' lists of citizens)
    and its SMS, all or nothing."""

    def save_guardians(
        self, before: Guardians, after: Guardians, messages: Sequence[Message] = (), audit: AuditEntry | None = None
    ) -> None:
        """Raises store.guardians.LinksMoved; a guardian account that does not exist: store.base.Cancelled."""
        ...

    def get_proxies(self, citizen_account_id: str) -> Proxies:
        """A citizen's authorisations (none: an empty Proxies), strongly consistent."""
        ...

    def get_many_proxies(self, citizen_account_ids: list[str]) -> list[Proxies]:
        """Many citizens' authorisations at once, in the order asked (each once), strongly consistent."""
        ...

    def proxy_pointer(self, proxy_id: str) -> Pointer | None:
        """Whose authorisation `proxy_id` is (its citizen and proxy), written once when it was asked for."""
        ...

    def citizens_of(self, proxy_account_id: str) -> list[str]:
        """The citizens an account holds a pending or active authorisation of, sorted."""
        ...

    def proxies_unchanged(self, proxies: Proxies) -> Guard:
        """A guard for BookingStore.book_slot (a booking made by a family proxy): the citizen's
        authorisations are still as read, else GuardMoved - one revoked meanwhile refuses the booking."""
        ...

    def save_proxies(self, before: Proxies, after: Proxies, messages: Sequence[Message] = ()) -> None:
        """Raises store.proxies.ProxiesMoved."""
        ...
