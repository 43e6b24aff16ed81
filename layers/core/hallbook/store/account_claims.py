"""R1's uniqueness: claim items `ID#<id number>`, `PHONE#<phone>` and `LOGIN#<login>` in the accounts
table make an ID number, a phone and a staff login belong to one account. Every change of a claim is
one transaction with the account it names: `register_account` writes the claims, the account and its
verification SMS together, so two concurrent registrations of one phone cannot both win."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from ..domain.errors import IdTaken, PhoneTaken
from .accounts import Account, AccountItem, account_key, forget_verified, new_account_item
from .base import Answer, Cancelled, Items, transact
from .outbox import Message, send_with
from .sessions import forget_token_state

UNVERIFIED_CLAIM_HOURS = 24


def register_account(account: Account, logins: list[str], message: Message | None, now: datetime) -> None:
    """Claims (`ID#`, `PHONE#` or a staff `LOGIN#`), the account and its first SMS, atomically.
    Raises IdTaken / PhoneTaken when a claim already belongs to someone. The claims of an account
    whose phone is not verified expire after UNVERIFIED_CLAIM_HOURS, so a mistyped or malicious
    registration cannot keep a real citizen's phone or ID number from ever registering."""
    expires = None if account.phone_verified else (now + timedelta(hours=UNVERIFIED_CLAIM_HOURS)).isoformat()
    free = AccountItem.pk.does_not_exist() | (AccountItem.claim_expires_at < now.isoformat())

    def build(tx: Items) -> None:
        for key in logins:
            tx.put(key, AccountItem(key, account_id=account.account_id, claim_expires_at=expires), free)
        tx.put(
            "account",
            new_account_item(account),
            AccountItem.pk.does_not_exist(),
        )
        send_with(tx, [message] if message is not None else [])

    # a phone's claim answers first: PhoneTaken whenever it failed, whatever the other claims did
    taken: dict[str, Answer] = {
        key: PhoneTaken("This phone number already belongs to another ID number.")
        for key in logins
        if key.startswith("PHONE#")
    }
    taken.update({key: IdTaken("This ID number already has an account.") for key in logins if key not in taken})
    transact(build, taken)


def mark_phone_verified(account: Account, code_hash: str) -> bool:
    """Single use: succeeds only while that very code is still the account's and its ID number and
    phone claims are still its own (they expire unverified); the claims then stop expiring."""

    def build(tx: Items) -> None:
        tx.update(
            "account",
            AccountItem(account_key(account.account_id)),
            [
                AccountItem.phone_verified.set(True),
                AccountItem.code_hash.remove(),
                AccountItem.code_expires_at.remove(),
                AccountItem.code_attempts.set(0),
            ],
            AccountItem.code_hash == code_hash,
        )
        for key in (f"ID#{account.id_number}", f"PHONE#{account.phone}"):
            tx.update(
                "claim",
                AccountItem(key),
                [AccountItem.claim_expires_at.remove()],
                AccountItem.account_id == account.account_id,
            )

    try:
        transact(build)
        return True
    except Cancelled:
        return False


def rebind_id_number(
    holder_id: str | None, strip_holder: bool, owner: Account, messages: list[Message], also=None
) -> None:
    """R1, the owner's reclaim at a hall: the ID number's claim moves from `holder_id` (None: nobody
    holds it) to the owner's new account, with its phone claim, the account itself and the SMS, in one
    transaction; with `strip_holder` the holder's account keeps no ID number from then on. `also(tx)`
    adds the audit entry. Raises PhoneTaken when the owner's phone belongs to another account, IdTaken
    when the claim changed hands meanwhile."""
    id_key, phone_key = f"ID#{owner.id_number}", f"PHONE#{owner.phone}"

    def build(tx: Items) -> None:
        claim = AccountItem(id_key, account_id=owner.account_id)
        if holder_id is None:
            tx.put("id", claim, AccountItem.pk.does_not_exist() | AccountItem.claim_expires_at.exists())
        else:
            tx.put("id", claim, AccountItem.account_id == holder_id)
        if holder_id is not None and strip_holder:
            tx.update(
                "holder",
                AccountItem(account_key(holder_id)),
                [
                    AccountItem.id_number.remove(),
                    AccountItem.identity_verified.set(False),
                    AccountItem.id_number_reclaimed_at.set(owner.created_at),
                    AccountItem.wards.remove(),
                ],
                AccountItem.pk.exists(),
            )
        tx.put(
            "phone",
            AccountItem(phone_key, account_id=owner.account_id),
            AccountItem.pk.does_not_exist()
            | (AccountItem.claim_expires_at < owner.created_at)
            | (AccountItem.account_id == (holder_id or "-")),
        )
        tx.put(
            "account",
            new_account_item(replace(owner, role="citizen", office_id=None)),
            AccountItem.pk.does_not_exist(),
        )
        send_with(tx, messages)
        if also is not None:
            also(tx)

    transact(
        build,
        {
            "phone": PhoneTaken("This phone number already belongs to another account."),
            "id": IdTaken("The ID number's account changed meanwhile; look it up again."),
        },
    )
    forget_verified(holder_id or "")


def change_phone(
    account: Account, new_phone: str, code_hash: str | None, sms: list[Message], now: datetime, also=None
) -> None:
    """R1: the account moves to `new_phone` in one transaction: the new phone's claim (free, expired
    unverified, or the account's own), the old claim deleted, the account's phone set and verified,
    the SMS (the notice to the old phone) and `also(tx)` (an audit entry). `code_hash`: the phone
    change's code must still be that one (None: a hall's change). PhoneTaken when the new phone
    belongs to another account; Cancelled when the account changed meanwhile."""

    def build(tx: Items) -> None:
        tx.put(
            "phone",
            AccountItem(f"PHONE#{new_phone}", account_id=account.account_id),
            AccountItem.pk.does_not_exist()
            | (AccountItem.claim_expires_at < now.isoformat())
            | (AccountItem.account_id == account.account_id),
        )
        if account.phone and account.phone != new_phone:
            tx.delete("old", AccountItem(f"PHONE#{account.phone}"), AccountItem.account_id == account.account_id)
        actions = [
            AccountItem.phone.set(new_phone),
            AccountItem.phone_verified.set(True),
            AccountItem.pending_phone.remove(),
            AccountItem.phone_code_hash.remove(),
            AccountItem.phone_code_expires_at.remove(),
        ]
        condition = AccountItem.phone == account.phone if account.phone else AccountItem.phone.does_not_exist()
        if code_hash is not None:
            condition = condition & (AccountItem.phone_code_hash == code_hash)
        tx.update("account", AccountItem(account_key(account.account_id)), actions, condition)
        send_with(tx, sms)
        if also is not None:
            also(tx)

    transact(build, {"phone": PhoneTaken("This phone number already belongs to another account.")})
    forget_verified(account.account_id)


def close_account(account: Account, pseudonym: str, sms: list[Message], now: datetime, also=None) -> None:
    """PIPL: the account's claims are deleted (the ID number and phone can register again) and its
    personal data erased (the name kept as `pseudonym`, no ID number, phone, password or codes), in one
    transaction with the SMS and `also(tx)` (the audit entry, which the law keeps); every token is
    refused from now on."""
    remove = [
        getattr(AccountItem, name).remove()
        for name in (
            "id_number",
            "phone",
            "wards",
            "code_hash",
            "code_expires_at",
            "login_code_hash",
            "login_code_expires_at",
            "reset_code_hash",
            "reset_code_expires_at",
            "pending_phone",
            "phone_code_hash",
            "phone_code_expires_at",
            "revoked_sids",
            "totp_secret",
        )
    ]

    def build(tx: Items) -> None:
        for key in (f"ID#{account.id_number}", f"PHONE#{account.phone}"):
            if not key.endswith("#None"):
                tx.delete(
                    key,
                    AccountItem(key),
                    AccountItem.pk.does_not_exist() | (AccountItem.account_id == account.account_id),
                )
        tx.update(
            "account",
            AccountItem(account_key(account.account_id)),
            [
                *remove,
                AccountItem.name.set(pseudonym),
                AccountItem.password_hash.set(""),
                AccountItem.phone_verified.set(False),
                AccountItem.identity_verified.set(False),
                AccountItem.token_gen.add(1),
                AccountItem.closed_at.set(now.isoformat()),
            ],
            AccountItem.pk.exists() & AccountItem.closed_at.does_not_exist(),
        )
        send_with(tx, sms)
        if also is not None:
            also(tx)

    try:
        transact(build)
    finally:
        forget_verified(account.account_id)
        forget_token_state(account.account_id)
