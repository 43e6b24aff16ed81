"""The seam between the services and their data: `Stores` holds one implementation of each aggregate's
port (store/ports/), and `stores()` answers the implementation in use - DynamoDB's (the store modules
and the `*_dynamo.py` adapters beside them) unless a test installed another with `installed(...)`: the
in-memory one of store/memory/, which keeps the same guarantees and raises the same exceptions, so the
services' rules are tested without AWS (tests/unit). What only DynamoDB can show - its conditions,
transactions, races and streams - is tested on the embedded AWS (tests/api, tests/races).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .ports.accounts import AccountReader, AccountStore
    from .ports.applications import ApplicationStore
    from .ports.bookings import BookingStore, CatalogReader, FlagCounters, SlotReader
    from .ports.catalog import CatalogStore
    from .ports.draws import DrawStore
    from .ports.family import FamilyStore
    from .ports.identity import IdentityStore
    from .ports.jobs import SweepStore
    from .ports.oversight import OversightStore
    from .ports.tickets import TicketStore
    from .ports.waitlist import WaitlistStore


@dataclass(frozen=True)
class Stores:
    """What the services reach, one implementation of each."""

    bookings: BookingStore
    slots: SlotReader
    catalog: CatalogReader
    accounts: AccountReader
    flags: FlagCounters
    waitlist: WaitlistStore
    applications: ApplicationStore
    tickets: TicketStore
    account_store: AccountStore
    draws: DrawStore
    family: FamilyStore  # guardian links (the booking path's GuardianReader) and family proxies
    identity: IdentityStore
    catalog_admin: CatalogStore
    jobs: SweepStore
    oversight: OversightStore


_dynamo: Stores | None = None
_installed: Stores | None = None
_layer: ContextVar[Stores | None] = ContextVar("hallbook_stores_layer", default=None)


def dynamo() -> Stores:
    """The DynamoDB implementation: the store modules themselves (built on first use)."""
    global _dynamo
    if _dynamo is None:
        from . import accounts, catalog, flags, slots
        from .accounts_dynamo import DynamoAccounts
        from .applications_dynamo import DynamoApplications
        from .bookings_dynamo import DynamoBookings
        from .catalog_dynamo import DynamoCatalog
        from .draws_dynamo import DynamoDraws
        from .family_dynamo import DynamoFamily
        from .identity_dynamo import DynamoIdentity
        from .jobs_dynamo import DynamoJobs
        from .oversight_dynamo import DynamoOversight
        from .tickets_dynamo import DynamoTickets
        from .waitlist_dynamo import DynamoWaitlist

        _dynamo = Stores(
            bookings=DynamoBookings(),
            slots=slots,
            catalog=catalog,
            accounts=accounts,
            flags=flags,
            waitlist=DynamoWaitlist(),
            applications=DynamoApplications(),
            tickets=DynamoTickets(),
            account_store=DynamoAccounts(),
            draws=DynamoDraws(),
            family=DynamoFamily(),
            identity=DynamoIdentity(),
            catalog_admin=DynamoCatalog(),
            jobs=DynamoJobs(),
            oversight=DynamoOversight(),
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
