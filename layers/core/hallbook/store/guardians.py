"""R2: guardian links - which accounts may act for a minor. One item per minor (`GUARDIANS#<minor id>`
in the accounts table) holding every link (active, pending confirmation, revoked), written
optimistically on a version number, so two parents asking at once, or a confirmation racing a
revocation, cannot overwrite each other. Each guardian account's `wards` set lists its minors."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .accounts import AccountItem, account_key
from .base import BaseMeta, Items, latest, put_next_version, setting, transact
from .outbox import Message, send_with

ACTIVE, PENDING, REVOKED = "active", "pending", "revoked"


class GuardiansItem(Model):
    class Meta(BaseMeta):
        table_name = setting("accounts_table")

    pk = UnicodeAttribute(hash_key=True)  # GUARDIANS#<minor id number>
    account_id = UnicodeAttribute(default="-")  # the table's every item has one; unused here
    links = UnicodeAttribute(default="{}")  # JSON: account id -> Link
    version = NumberAttribute(default=0)


@dataclass(frozen=True)
class Link:
    account_id: str
    status: str  # active | pending | revoked
    source: str  # verifier | staff | guardian (confirmed by a linked guardian's SMS code)
    at: str
    by: str | None = None  # the staff account, or the guardian who confirmed
    code_hash: str | None = None  # pending only
    code_expires_at: str | None = None
    code_attempts: int = 0


@dataclass(frozen=True)
class Guardians:
    minor_id_number: str
    links: dict[str, Link] = field(default_factory=dict)
    version: int = 0

    def active(self) -> list[Link]:
        return [link for link in self.links.values() if link.status == ACTIVE]

    def is_active(self, account_id: str) -> bool:
        link = self.links.get(account_id)
        return link is not None and link.status == ACTIVE

    def with_link(self, link: Link) -> Guardians:
        return replace(self, links={**self.links, link.account_id: link})


def key(minor_id_number: str) -> str:
    return f"GUARDIANS#{minor_id_number}"


def get(minor_id_number: str) -> Guardians:
    item = latest(GuardiansItem, key(minor_id_number))
    if item is None:
        return Guardians(minor_id_number)
    links = {a: Link(**fields) for a, fields in json.loads(item.links or "{}").items()}
    return Guardians(minor_id_number, links, int(item.version or 0))


class LinksMoved(Exception):
    """The minor's links changed since they were read: read again and retry."""


def save(
    before: Guardians, after: Guardians, messages: Sequence[Message] = (), also: Callable[[Items], None] | None = None
) -> None:
    """Write `after` if the links are still as `before` was read, with the guardian accounts' `wards`
    sets and any SMS, in one transaction. `also(tx)` adds items (an audit entry). Raises LinksMoved."""
    changed = [a for a, link in after.links.items() if before.links.get(a) != link]

    def build(tx: Items) -> None:
        put_next_version(
            tx,
            "links",
            GuardiansItem(
                key(after.minor_id_number),
                links=json.dumps({a: asdict(link) for a, link in after.links.items()}, ensure_ascii=False),
            ),
            before.version,
        )
        for account_id in changed:
            wards = AccountItem.wards
            action = (
                wards.add({after.minor_id_number})
                if after.links[account_id].status == ACTIVE
                else wards.delete({after.minor_id_number})
            )
            tx.update(f"ward:{account_id}", AccountItem(account_key(account_id)), [action], AccountItem.pk.exists())
        send_with(tx, messages)
        if also is not None:
            also(tx)

    transact(build, {"links": LinksMoved})
