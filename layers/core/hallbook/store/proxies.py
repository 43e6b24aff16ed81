"""R20: family proxies - which accounts may book and cancel for a citizen. Shaped like the guardian
links (store.guardians): one item per citizen (`PROXIES#<citizen account id>` in the accounts table)
holding every authorisation of that citizen (pending, active, revoked), written optimistically on a
version number, so a confirmation racing a revocation, or parallel guesses of the code, cannot
overwrite each other: each guess's attempt is counted in the same conditional write that acts on it.

Beside it, `PROXY#<proxy id>` points an authorisation's id at its citizen and proxy (written once,
when it is asked for), and `PROXYOF#<proxy account id>` lists the citizens an account asked to act
for (its set changes in the same transaction as the links)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.models import Model

from .base import BaseMeta, Guard, Items, latest, put_next_version, setting, transact
from .outbox import Message, send_with

ACTIVE, PENDING, REVOKED = "active", "pending", "revoked"


class ProxiesItem(Model):
    class Meta(BaseMeta):
        table_name = setting("accounts_table")

    pk = UnicodeAttribute(hash_key=True)  # PROXIES#<citizen account id>
    account_id = UnicodeAttribute(default="-")  # the table's every item has one; unused here
    links = UnicodeAttribute(default="{}")  # JSON: proxy account id -> Link
    version = NumberAttribute(default=0)


class ProxyPointerItem(Model):
    class Meta(BaseMeta):
        table_name = setting("accounts_table")

    pk = UnicodeAttribute(hash_key=True)  # PROXY#<proxy id>
    account_id = UnicodeAttribute(default="-")
    citizen_account_id = UnicodeAttribute()
    proxy_account_id = UnicodeAttribute()


class ProxyOfItem(Model):
    class Meta(BaseMeta):
        table_name = setting("accounts_table")

    pk = UnicodeAttribute(hash_key=True)  # PROXYOF#<proxy account id>
    account_id = UnicodeAttribute(default="-")
    citizens = UnicodeSetAttribute(null=True)


@dataclass(frozen=True)
class Link:
    proxy_id: str
    proxy_account_id: str
    status: str  # pending | active | revoked
    asked_at: str
    at: str  # when it took this status
    by: str | None = None  # the account that revoked it
    code_hash: str | None = None  # pending only
    code_expires_at: str | None = None
    code_attempts: int = 0


@dataclass(frozen=True)
class Proxies:
    citizen_account_id: str
    links: dict[str, Link] = field(default_factory=dict)  # by proxy account id
    version: int = 0

    def active(self) -> list[Link]:
        return [link for link in self.links.values() if link.status == ACTIVE]

    def by_id(self, proxy_id: str) -> Link | None:
        return next((link for link in self.links.values() if link.proxy_id == proxy_id), None)

    def with_link(self, link: Link) -> Proxies:
        return replace(self, links={**self.links, link.proxy_account_id: link})


@dataclass(frozen=True)
class Pointer:
    proxy_id: str
    citizen_account_id: str
    proxy_account_id: str


def key(citizen_account_id: str) -> str:
    return f"PROXIES#{citizen_account_id}"


def _proxies(citizen_account_id: str, item: ProxiesItem | None) -> Proxies:
    if item is None:
        return Proxies(citizen_account_id)
    links = {a: Link(**fields) for a, fields in json.loads(item.links or "{}").items()}
    return Proxies(citizen_account_id, links, int(item.version or 0))


def get(citizen_account_id: str) -> Proxies:
    item = latest(ProxiesItem, key(citizen_account_id))
    return Proxies(citizen_account_id) if item is None else _proxies(citizen_account_id, item)


def get_many(citizen_account_ids: list[str]) -> list[Proxies]:
    ids = list(dict.fromkeys(citizen_account_ids))
    found = (
        {i.pk.removeprefix("PROXIES#"): i for i in ProxiesItem.batch_get([key(c) for c in ids], consistent_read=True)}
        if ids
        else {}
    )
    return [_proxies(c, found.get(c)) for c in ids]


def pointer(proxy_id: str) -> Pointer | None:
    item = latest(ProxyPointerItem, f"PROXY#{proxy_id}")
    if item is None:
        return None
    return Pointer(proxy_id, item.citizen_account_id, item.proxy_account_id)


def citizens_of(proxy_account_id: str) -> list[str]:
    """The citizens an account asked to act for, pending or active (a revocation takes one out)."""
    item = latest(ProxyOfItem, f"PROXYOF#{proxy_account_id}")
    return [] if item is None else sorted(item.citizens or ())


class ProxiesMoved(Exception):
    """The citizen's authorisations changed since they were read: read again and retry."""


def unchanged_since_read(proxies: Proxies) -> Guard:
    """A guard for another write (a booking made by a family proxy): the citizen's authorisations
    are still as read, so one revoked meanwhile refuses the write (store.base.GuardMoved)."""

    def check(tx: Items) -> None:
        tx.check("guard", ProxiesItem, key(proxies.citizen_account_id), ProxiesItem.version == proxies.version)

    return check


def save(
    before: Proxies, after: Proxies, messages: Sequence[Message] = (), also: Callable[[Items], None] | None = None
) -> None:
    """Write `after` if the links are still as `before` was read, with the pointer of a new
    authorisation, the proxy accounts' PROXYOF sets and any SMS, in one transaction. `also(tx)` adds
    items (an audit entry). Raises ProxiesMoved."""
    changed = [a for a, link in after.links.items() if before.links.get(a) != link]

    def build(tx: Items) -> None:
        put_next_version(
            tx,
            "links",
            ProxiesItem(
                key(after.citizen_account_id),
                links=json.dumps({a: asdict(link) for a, link in after.links.items()}, ensure_ascii=False),
            ),
            before.version,
        )
        for account_id in changed:
            link, old = after.links[account_id], before.links.get(account_id)
            if old is None or old.proxy_id != link.proxy_id:
                tx.put(
                    f"pointer:{account_id}",
                    ProxyPointerItem(
                        f"PROXY#{link.proxy_id}",
                        citizen_account_id=after.citizen_account_id,
                        proxy_account_id=account_id,
                    ),
                    ProxyPointerItem.pk.does_not_exist(),
                )
            citizens = ProxyOfItem.citizens
            action = (
                citizens.delete({after.citizen_account_id})
                if link.status == REVOKED
                else citizens.add({after.citizen_account_id})
            )
            tx.update(
                f"of:{account_id}", ProxyOfItem(f"PROXYOF#{account_id}"), [action, ProxyOfItem.account_id.set("-")]
            )
        send_with(tx, messages)
        if also is not None:
            also(tx)

    transact(build, {"links": ProxiesMoved})
