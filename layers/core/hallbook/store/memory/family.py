"""The family aggregate in memory (store.ports.family.FamilyStore): guardian links and proxy
authorisations under MemoryBookings' one lock, each save all or nothing on the version read, as
store/guardians.py's and store/proxies.py's transactions are, its SMS in the booking world's outbox
and a hall's audit entry in the accounts' log. A proxy's booking guard
(`proxies_unchanged`) is a MemoryGuard that book_slot checks under that lock, as DynamoDB's
transaction checks the citizen's item's version."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ..audit import AuditEntry
from ..base import Cancelled, Guard
from ..guardians import ACTIVE, Guardians, LinksMoved
from ..outbox import Message
from ..proxies import REVOKED, Pointer, Proxies, ProxiesMoved
from .accounts import MemoryAccounts
from .bookings import MemoryBookings, MemoryGuard


@dataclass
class MemoryFamily:
    world: MemoryBookings
    accounts: MemoryAccounts  # the guardians' `wards`, and the audit log
    links: dict[str, Guardians] = field(default_factory=dict)  # by the minor's ID number
    proxies: dict[str, Proxies] = field(default_factory=dict)  # by the citizen's account id
    pointers: dict[str, Pointer] = field(default_factory=dict)  # by proxy id
    proxy_of: dict[str, set[str]] = field(default_factory=dict)  # proxy account id -> citizens

    # ---------------------------------------------------------------- guardian links (R2)

    def get(self, minor_id_number: str) -> Guardians:
        with self.world.lock:
            return self.links.get(minor_id_number) or Guardians(minor_id_number)

    def save_guardians(
        self, before: Guardians, after: Guardians, messages: Sequence[Message] = (), audit: AuditEntry | None = None
    ) -> None:
        changed = [a for a, link in after.links.items() if before.links.get(a) != link]
        with self.world.lock, self.accounts.lock:
            stored = self.links.get(after.minor_id_number)
            if (stored.version if stored else 0) != before.version:
                raise LinksMoved()
            missing: dict[str, str | None] = {
                f"ward:{a}": "ConditionalCheckFailed" for a in changed if a not in self.accounts.accounts
            }
            if missing:  # DynamoDB: the ward's update is conditioned on the account's item (unlabelled)
                raise Cancelled(missing)
            self.links[after.minor_id_number] = replace(after, version=before.version + 1)
            for account_id in changed:
                account = self.accounts.accounts[account_id]
                wards = account.wards | {after.minor_id_number}
                if after.links[account_id].status != ACTIVE:
                    wards = account.wards - {after.minor_id_number}
                self.accounts.accounts[account_id] = replace(account, wards=frozenset(wards))
            self.world.outbox += messages
            if audit is not None:
                self.accounts.audit.append(audit)

    # ---------------------------------------------------------------- family proxies (R20)

    def get_proxies(self, citizen_account_id: str) -> Proxies:
        with self.world.lock:
            return self.proxies.get(citizen_account_id) or Proxies(citizen_account_id)

    def get_many_proxies(self, citizen_account_ids: list[str]) -> list[Proxies]:
        with self.world.lock:
            return [self.proxies.get(c) or Proxies(c) for c in dict.fromkeys(citizen_account_ids)]

    def proxy_pointer(self, proxy_id: str) -> Pointer | None:
        with self.world.lock:
            return self.pointers.get(proxy_id)

    def citizens_of(self, proxy_account_id: str) -> list[str]:
        with self.world.lock:
            return sorted(self.proxy_of.get(proxy_account_id, ()))

    def proxies_unchanged(self, proxies: Proxies) -> Guard:
        def holds() -> bool:  # DynamoDB's `version = <as read>`: false for a missing item too
            stored = self.proxies.get(proxies.citizen_account_id)
            return stored is not None and stored.version == proxies.version

        return MemoryGuard(holds, lambda: None)

    def save_proxies(self, before: Proxies, after: Proxies, messages: Sequence[Message] = ()) -> None:
        changed = [a for a, link in after.links.items() if before.links.get(a) != link]
        citizen = after.citizen_account_id
        with self.world.lock:
            stored = self.proxies.get(citizen)
            if (stored.version if stored else 0) != before.version:
                raise ProxiesMoved()
            new = [
                after.links[a]
                for a in changed
                if (old := before.links.get(a)) is None or old.proxy_id != after.links[a].proxy_id
            ]
            taken: dict[str, str | None] = {
                f"pointer:{link.proxy_account_id}": "ConditionalCheckFailed"
                for link in new
                if link.proxy_id in self.pointers
            }
            if taken:  # DynamoDB: a pointer is written once (unlabelled: ids are random, only a bug repeats one)
                raise Cancelled(taken)
            self.proxies[citizen] = replace(after, version=before.version + 1)
            for link in new:
                self.pointers[link.proxy_id] = Pointer(link.proxy_id, citizen, link.proxy_account_id)
            for account_id in changed:
                citizens = self.proxy_of.setdefault(account_id, set())
                if after.links[account_id].status == REVOKED:
                    citizens.discard(citizen)
                else:
                    citizens.add(citizen)
            self.world.outbox += messages
