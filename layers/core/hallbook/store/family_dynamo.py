"""The family aggregate on DynamoDB as store.ports.family.FamilyStore: store/guardians.py's links and
store/proxies.py's authorisations, as they are (one object, so that the services reach both through
`stores().family`)."""

from __future__ import annotations

from collections.abc import Sequence

from . import guardians
from . import proxies as proxy_store
from .audit import AuditEntry, entry_item
from .base import Guard, Items
from .guardians import Guardians
from .outbox import Message
from .proxies import Pointer, Proxies


class DynamoFamily:
    def get(self, minor_id_number: str) -> Guardians:
        return guardians.get(minor_id_number)

    def save_guardians(
        self, before: Guardians, after: Guardians, messages: Sequence[Message] = (), audit: AuditEntry | None = None
    ) -> None:
        def audited(tx: Items) -> None:
            if audit is not None:
                tx.put("audit", entry_item(audit))

        guardians.save(before, after, list(messages), audited if audit is not None else None)

    def get_proxies(self, citizen_account_id: str) -> Proxies:
        return proxy_store.get(citizen_account_id)

    def get_many_proxies(self, citizen_account_ids: list[str]) -> list[Proxies]:
        return proxy_store.get_many(citizen_account_ids)

    def proxy_pointer(self, proxy_id: str) -> Pointer | None:
        return proxy_store.pointer(proxy_id)

    def citizens_of(self, proxy_account_id: str) -> list[str]:
        return proxy_store.citizens_of(proxy_account_id)

    def proxies_unchanged(self, proxies: Proxies) -> Guard:
        return proxy_store.unchanged_since_read(proxies)

    def save_proxies(self, before: Proxies, after: Proxies, messages: Sequence[Message] = ()) -> None:
        proxy_store.save(before, after, messages)
