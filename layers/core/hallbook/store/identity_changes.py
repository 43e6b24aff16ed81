"""R1, R2: a hall's change of who holds an ID number (a reclaim) or who acts for a minor (a
guardian link) waits here until a second staff member approves it or the account that loses (the
minor's existing guardian) consents with the SMS code sent to them. One item `CHANGE#<id>` in the
accounts table; its status moves once, from `pending` to `done`, under a condition, so two approvals
cannot carry it out twice. Pending changes expire after a day (the table's TTL)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .base import BaseMeta, latest, saved_if, setting, updated_if

PENDING, DONE = "pending", "done"


class ChangeItem(Model):
    class Meta(BaseMeta):
        table_name = setting("accounts_table")

    pk = UnicodeAttribute(hash_key=True)  # CHANGE#<change id>
    account_id = UnicodeAttribute(default="-")  # the table's every item has one: the staff who asked
    kind = UnicodeAttribute()  # reclaim | guardian_link
    office_id = UnicodeAttribute()
    status = UnicodeAttribute(default=PENDING)
    payload = UnicodeAttribute(default="{}")  # JSON: what the change does (canonical numbers)
    consent_code_hash = UnicodeAttribute(null=True)
    consent_attempts = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute(null=True)  # TTL, epoch seconds
    approved_by = UnicodeAttribute(null=True)


@dataclass(frozen=True)
class Change:
    change_id: str
    kind: str
    office_id: str
    requested_by: str
    status: str
    payload: dict[str, Any]
    consent_code_hash: str | None
    consent_attempts: int
    created_at: str
    expires_at: int


def _key(change_id: str) -> str:
    return f"CHANGE#{change_id}"


def create(change: Change) -> None:
    saved_if(
        ChangeItem(
            _key(change.change_id),
            account_id=change.requested_by,
            kind=change.kind,
            office_id=change.office_id,
            status=PENDING,
            payload=json.dumps(change.payload, sort_keys=True),
            consent_code_hash=change.consent_code_hash,
            consent_attempts=0,
            created_at=change.created_at,
            expires_at=change.expires_at,
        ),
        ChangeItem.pk.does_not_exist(),
    )


def get(change_id: str) -> Change | None:
    item = latest(ChangeItem, _key(change_id))
    if item is None or not item.pk.startswith("CHANGE#"):
        return None
    return Change(
        change_id=change_id,
        kind=item.kind,
        office_id=item.office_id,
        requested_by=item.account_id,
        status=item.status,
        payload=json.loads(item.payload or "{}"),
        consent_code_hash=item.consent_code_hash,
        consent_attempts=int(item.consent_attempts or 0),
        created_at=item.created_at,
        expires_at=int(item.expires_at or 0),
    )


def count_consent_attempt(change_id: str, limit: int) -> bool:
    """One attempt at the consent code, counted before it is compared (at most `limit`)."""
    return updated_if(
        ChangeItem(_key(change_id)),
        [ChangeItem.consent_attempts.add(1)],
        (ChangeItem.status == PENDING) & (ChangeItem.consent_attempts < limit),
    )


def claim(change_id: str, approved_by: str) -> bool:
    """The change moves from pending to done once: True for the one caller that moved it."""
    return updated_if(
        ChangeItem(_key(change_id)),
        [ChangeItem.status.set(DONE), ChangeItem.approved_by.set(approved_by)],
        ChangeItem.status == PENDING,
    )


def release(change_id: str) -> None:
    """The change could not be carried out (e.g. the phone was taken meanwhile): pending again."""
    updated_if(ChangeItem(_key(change_id)), [ChangeItem.status.set(PENDING)], ChangeItem.status == DONE)
