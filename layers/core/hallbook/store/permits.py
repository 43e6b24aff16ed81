"""Residence permits (R17): one item `PERMIT#<number>` per permit in the permits table, which also
holds the permit's online applications (store.applications) - so closing an application and
changing its permit (a renewal's new expiry, a change's new address) is one transaction.

Why a table of its own and not the bookings table: a different owner (the police stations, not the
halls' timetables), different indexes (by holder, by office and state), a different retention, and
the bookings table stays the noon rush's alone - nothing here shares its throughput or its
transactions' conflicts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from .audit import AuditEntry, entry_item
from .base import BaseMeta, Items, latest, put_next_version, setting, transact


class ByHolder(GlobalSecondaryIndex):
    """A citizen's permits, by the holder's ID number."""

    class Meta:
        index_name = "by_holder"
        projection = AllProjection()

    holder_id_number = UnicodeAttribute(hash_key=True)


class PermitItem(Model):
    class Meta(BaseMeta):
        table_name = setting("permits_table")

    pk = UnicodeAttribute(hash_key=True)  # PERMIT#<number>
    number = UnicodeAttribute()
    holder_id_number = UnicodeAttribute()
    office_id = UnicodeAttribute()  # the police station the holder is registered at
    address = UnicodeAttribute()
    employer = UnicodeAttribute(null=True)
    school = UnicodeAttribute(null=True)
    valid_until = UnicodeAttribute()  # YYYY-MM-DD, the last valid day
    last_endorsed = UnicodeAttribute(null=True)  # YYYY-MM-DD
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=0)  # +1 at every write: put_permit_audited's optimistic condition

    by_holder = ByHolder()


@dataclass(frozen=True)
class Permit:
    number: str
    holder_id_number: str
    office_id: str
    address: str
    valid_until: date
    last_endorsed: date | None = None
    employer: str | None = None
    school: str | None = None
    updated_at: str = ""
    version: int = 0  # as read (store.base.put_next_version)

    def body(self) -> dict:
        """The permit as data (audit before/after, answers): the holder's ID number as stored."""
        return {
            "number": self.number,
            "holder_id_number": self.holder_id_number,
            "office_id": self.office_id,
            "address": self.address,
            "employer": self.employer,
            "school": self.school,
            "valid_until": self.valid_until.isoformat(),
            "last_endorsed": self.last_endorsed.isoformat() if self.last_endorsed else None,
        }


def permit_key(number: str) -> str:
    return f"PERMIT#{number}"


def item_of(permit: Permit) -> PermitItem:
    return PermitItem(
        permit_key(permit.number),
        number=permit.number,
        holder_id_number=permit.holder_id_number,
        office_id=permit.office_id,
        address=permit.address,
        employer=permit.employer,
        school=permit.school,
        valid_until=permit.valid_until.isoformat(),
        last_endorsed=permit.last_endorsed.isoformat() if permit.last_endorsed else None,
        updated_at=permit.updated_at,
    )


def _permit(item: PermitItem) -> Permit:
    return Permit(
        number=item.number,
        holder_id_number=item.holder_id_number,
        office_id=item.office_id,
        address=item.address,
        valid_until=date.fromisoformat(item.valid_until),
        last_endorsed=date.fromisoformat(item.last_endorsed) if item.last_endorsed else None,
        employer=item.employer,
        school=item.school,
        updated_at=item.updated_at,
        version=int(item.version or 0),
    )


def get_permit(number: str) -> Permit | None:
    item = latest(PermitItem, permit_key(number))
    return None if item is None else _permit(item)


def permits_of(holder_id_number: str) -> list[Permit]:
    """The permits a citizen holds (one Query of by_holder), by number."""
    return sorted((_permit(i) for i in PermitItem.by_holder.query(holder_id_number)), key=lambda p: p.number)


class PermitMoved(Exception):
    """The permit was written since it was read: another administrator's change, or an approved
    application's (its expiry, for a renewal)."""


def put_permit_audited(permit: Permit, entry: AuditEntry, read_version: int) -> None:
    """Create or replace a permit together with its audit entry, in one transaction, only while the
    stored permit is still the one read at `read_version` (0: none yet). Raises PermitMoved."""

    def build(tx: Items) -> None:
        put_next_version(tx, "permit", item_of(permit), read_version)
        tx.put("audit", entry_item(entry))

    transact(build, {"permit": PermitMoved})
