"""The booking services' stores in memory (store/ports/): dicts under one lock, each write
all-or-nothing with the same guarantees and the same exceptions as the DynamoDB transactions of
store/bookings/, so tests/unit checks the services' rules without AWS:

    fake = MemoryStores(catalog)
    fake.release(day)                       # the timetable's slots of that day, every hall and service
    fake.add_account(account)
    with installed(fake.stores()):
        bookings.book(...)

What it leaves out, because only DynamoDB can show it (tests/api, tests/races): the statistics counted in
the same transactions (a guard joining a booking's write is the fake's own: a draw's `won_guard`,
memory/draws.py; a family proxy's, memory/family.py), retries on contention, pagination by DynamoDB's keys, and the streams that carry the outbox to the notifier.
"""

from __future__ import annotations

from datetime import date

from ..accounts import Account
from ..catalog import Catalog
from ..guardians import ACTIVE, Link
from ..stores import Stores
from .accounts import Claim, MemoryAccounts
from .applications import MemoryApplications
from .bookings import MemoryBookings, MemoryFlags, PlaceExists
from .catalog import MemoryCatalog
from .draws import MemoryDraws
from .family import MemoryFamily
from .identity import MemoryIdentity
from .jobs import MemoryJobs
from .oversight import MemoryOversight
from .tickets import MemoryTickets
from .waitlist import MemoryWaitlist

__all__ = ["MemoryStores", "PlaceExists"]


class MemoryStores:
    """One in-memory world for the booking services (install `stores()` with store.stores.installed)."""

    def __init__(self, catalog: Catalog):
        self.bookings = MemoryBookings()
        self.catalog = MemoryCatalog(catalog, self.bookings)  # the day plan is the booking fake's slots
        self.accounts = MemoryAccounts()
        self.flags = MemoryFlags()
        self.waitlist = MemoryWaitlist(self.bookings)  # its places are the booking aggregate's kept places
        self.applications = MemoryApplications(outbox=self.bookings.outbox)  # one outbox: every SMS in order
        self.tickets = MemoryTickets(self.bookings, self.accounts)
        self.draws = MemoryDraws(self.bookings)  # a winner's entry is `won` in its booking's write
        self.family = MemoryFamily(self.bookings, self.accounts)  # a proxy's booking guard checked in its write
        self.identity = MemoryIdentity(self.bookings)  # a reclaim voids the booking aggregate's subjects
        self.jobs = MemoryJobs(self.bookings)  # the sweep's and reminders' view of the same bookings
        self.oversight = MemoryOversight(self.flags)  # reviews the flags its counters raised

    def stores(self) -> Stores:
        return Stores(
            bookings=self.bookings,
            slots=self.bookings,
            catalog=self.catalog,
            accounts=self.accounts,
            flags=self.flags,
            waitlist=self.waitlist,
            applications=self.applications,
            tickets=self.tickets,
            account_store=self.accounts,
            draws=self.draws,
            family=self.family,
            identity=self.identity,
            catalog_admin=self.catalog,
            jobs=self.jobs,
            oversight=self.oversight,
        )

    def release(self, *days: date) -> None:
        for day in days:
            self.bookings.release(self.catalog.catalog, day)

    def add_account(self, account: Account, logins: tuple[str, ...] | None = None) -> Account:
        """An account as it is once registered (and verified, if it says so), with its claims: its ID
        number's and phone's unless `logins` names others (a staff login's `LOGIN#...`)."""
        keys = logins if logins is not None else (f"ID#{account.id_number}", f"PHONE#{account.phone}")
        with self.accounts.lock:
            self.accounts.accounts[account.account_id] = account
            for key in keys:
                if not key.endswith("#None"):
                    self.accounts.claims[key] = Claim(account.account_id)
        return account

    def link_guardian(self, account_id: str, minor_id_number: str, at: str = "") -> None:
        """R2: an active guardian link (as a hall's staff would make it)."""
        before = self.family.get(minor_id_number)
        self.family.save_guardians(before, before.with_link(Link(account_id, ACTIVE, "staff", at)))
