"""R2: who may act for a minor. An account books, cancels or checks in for a minor only through an
active guardian link, created by
- the real-name source (the population database says the account's holder is the minor's guardian),
- hall staff who saw the household register (audited), or
- the first linked guardian, who confirms a second one (the other parent) with an SMS code sent to
  the first guardian's own phone.
A stranger naming someone's child therefore can neither block (R9) nor sanction (R11, R12) the
child; cancellations and no-shows of an account whose link is gone never count against the child."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain import errors
from ..domain.identity import mask_id_number, mask_name, parse_id_number
from ..domain.newborn import is_certificate_key
from ..i18n import pair
from ..store.accounts import Account
from ..store.audit import AuditEntry
from ..store.guardians import ACTIVE, PENDING, REVOKED, Guardians, Link, LinksMoved
from ..store.outbox import Message
from ..store.stores import stores
from . import audit, flags, messages
from .identity import get_verifier
from .tokens import Caller

log = logging.getLogger(__name__)
CODE_MINUTES = 30
CODE_ATTEMPTS = 5
ATTEMPTS = 5  # optimistic retries when the links moved


def _code_hash(minor: str, account_id: str, code: str) -> str:
    return hashlib.sha256(f"guardian:{minor}:{account_id}:{code}".encode()).hexdigest()


def _citizen(caller: Caller) -> Account:
    account = stores().account_store.get_account(caller.account_id)
    if account is None or account.role != "citizen" or not account.id_number:
        raise errors.Forbidden("Only a citizen's account can be a guardian.")
    if not account.phone_verified:
        raise errors.PhoneNotVerified("Confirm your phone with the SMS code first.")
    return account


def _minor(id_number: str, now: datetime) -> str:
    minor = parse_id_number(id_number, now.date(), "minor_id_number")
    if not minor.is_minor_on(now.date()):
        raise errors.ValidationFailed("A guardian link is for a minor (under 16).", field="minor_id_number")
    return minor.value


minor_of = _minor  # the minor's canonical ID number, refused unless under 16


def is_guardian(account_id: str, minor_id_number: str) -> bool:
    """R2: the account holds an active link for the minor (one consistent read)."""
    return stores().family.get(minor_id_number).is_active(account_id)


def counts_against_subject(account: Account | None, subject_id_number: str) -> bool:
    """R2, R11, R12: a cancellation or no-show counts against its subject only when the booking's account
    is the subject's own or still holds an active guardian link for them."""
    if account is None:
        return False
    if account.id_number == subject_id_number or is_certificate_key(subject_id_number):
        return True  # the account's own, or a newborn's it booked (R2: the certificate is the subject)
    return is_guardian(account.account_id, subject_id_number)


@dataclass(frozen=True)
class MinorLink:
    """A minor's guardian links, seen by one account (its own link, if any)."""

    guardians: Guardians
    account_id: str


def _save(
    before: Guardians, after: Guardians, sms: Sequence[Message] = (), audit_entry: AuditEntry | None = None
) -> None:
    stores().family.save_guardians(before, after, sms, audit_entry)


def _linked_sms(account: Account, minor: str, now: datetime, source_zh: str, source_en: str) -> Message:
    """The guardian's SMS that a link to `minor` is active, saying how it was established."""
    return messages.message(
        f"guardian#{minor}#{account.account_id}#linked",
        "guardian_linked",
        account.phone or "",
        account.lang,
        now,
        {"account_id": account.account_id},
        minor=mask_id_number(minor),
        source=source_zh if account.lang == "zh" else source_en,
    )


def request_link(caller: Caller, minor_id_number: str, now: datetime) -> MinorLink:
    """Ask to be linked: the real-name source decides at once where it can; otherwise a linked guardian
    is asked to confirm by SMS; with no guardian linked yet, only a hall can link the first one."""
    account = _citizen(caller)
    minor = _minor(minor_id_number, now)
    flags.named_minor(account.account_id, minor, "guardian_link_requested", now)  # R22
    for _ in range(ATTEMPTS):
        before = stores().family.get(minor)
        if before.is_active(account.account_id):
            return MinorLink(before, account.account_id)
        verdict = get_verifier().is_guardian(account.id_number or "", minor)
        if verdict is True:
            after = before.with_link(Link(account.account_id, ACTIVE, "verifier", now.isoformat()))
            sms = [_linked_sms(account, minor, now, *pair("source.real_name"))]
        elif verdict is False:
            raise errors.Forbidden(
                "The population register does not list you as this minor's guardian; "
                "bring the household register to a hall to be linked."
            )
        else:
            confirmers = [
                a
                for a in stores().account_store.get_accounts([link.account_id for link in before.active()]).values()
                if a.phone
            ]
            if not confirmers:
                raise errors.Forbidden(
                    "No guardian is linked to this minor yet: bring the household register "
                    "to a hall, where staff link the first guardian."
                )
            code = f"{secrets.randbelow(10**6):06d}"
            after = before.with_link(
                Link(
                    account.account_id,
                    PENDING,
                    "guardian",
                    now.isoformat(),
                    code_hash=_code_hash(minor, account.account_id, code),
                    code_expires_at=(now + timedelta(minutes=CODE_MINUTES)).isoformat(),
                )
            )
            sms = [
                messages.message(
                    f"guardian#{minor}#{account.account_id}#{int(now.timestamp())}#{c.account_id}",
                    "guardian_link_request",
                    c.phone or "",
                    c.lang,
                    now,
                    {"account_id": c.account_id},
                    guardian=mask_name(account.name),
                    minor=mask_id_number(minor),
                    code=code,
                    minutes=CODE_MINUTES,
                )
                for c in confirmers
            ]
        try:
            _save(before, after, sms)
            return MinorLink(after, account.account_id)
        except LinksMoved:
            continue
    raise errors.Busy("Too many changes at once; please retry.")


def confirm_link(caller: Caller, minor_id_number: str, code: str, now: datetime) -> MinorLink:
    """The code a linked guardian received and passed on: the caller's pending link becomes active."""
    account = _citizen(caller)
    minor = _minor(minor_id_number, now)
    for _ in range(ATTEMPTS):
        before = stores().family.get(minor)
        link = before.links.get(account.account_id)
        if link is None or link.status != PENDING or not link.code_hash:
            if link is not None and link.status == ACTIVE:
                return MinorLink(before, account.account_id)
            raise errors.InvalidState("There is no pending guardian request for this minor; ask first.")
        if link.code_attempts >= CODE_ATTEMPTS:
            raise errors.RateLimited("Too many wrong codes; ask again.", retry_after=60)
        if datetime.fromisoformat(link.code_expires_at or now.isoformat()) <= now:
            raise errors.ValidationFailed("The code has expired; ask again.", field="code")
        # the attempt is counted in the same conditional write that checks the code
        right = hmac.compare_digest(_code_hash(minor, account.account_id, str(code or "").strip()), link.code_hash)
        counted = Link(**{**link.__dict__, "code_attempts": link.code_attempts + 1})
        confirmer = next((a.account_id for a in before.active()), None)
        new = Link(account.account_id, ACTIVE, "guardian", now.isoformat(), by=confirmer) if right else counted
        try:
            _save(before, before.with_link(new))
        except LinksMoved:
            continue
        if not right:
            raise errors.ValidationFailed("The code is wrong.", field="code")
        return MinorLink(stores().family.get(minor), account.account_id)
    raise errors.Busy("Too many changes at once; please retry.")


def revoke_own(caller: Caller, minor_id_number: str, now: datetime) -> MinorLink:
    account = _citizen(caller)
    minor = _minor(minor_id_number, now)
    return _revoke(minor, account.account_id, now, caller)


def _revoke(minor: str, account_id: str, now: datetime, caller: Caller, audited: bool = False) -> MinorLink:
    for _ in range(ATTEMPTS):
        before = stores().family.get(minor)
        link = before.links.get(account_id)
        if link is None or link.status == REVOKED:
            raise errors.NotFound("No such guardian link.")
        after = before.with_link(Link(account_id, REVOKED, link.source, now.isoformat(), by=caller.account_id))
        entry = (
            audit.entry(
                caller,
                "guardian_link.revoke",
                f"GUARDIANS#{mask_id_number(minor)}",
                now,
                before={"account_id": account_id, "status": link.status},
                after={"account_id": account_id, "status": REVOKED},
            )
            if audited
            else None
        )
        try:
            _save(before, after, audit_entry=entry)
            return MinorLink(after, account_id)
        except LinksMoved:
            continue
    raise errors.Busy("Too many changes at once; please retry.")


def link_by_staff(
    staff: Caller, office_id: str, guardian_id_number: str, minor_id_number: str, now: datetime
) -> tuple[MinorLink, bool]:
    """Staff who saw the household register link a guardian's account to a minor (audited).
    (the link, created?): not created when it was already active."""
    guardian = parse_id_number(guardian_id_number, now.date(), "guardian_id_number").value
    minor = _minor(minor_id_number, now)
    account_id = stores().account_store.find_account_id(f"ID#{guardian}")
    account = stores().account_store.get_account(account_id) if account_id else None
    if account is None or account.role != "citizen" or account.id_number != guardian:
        raise errors.NotFound("No citizen account holds that ID number; the guardian registers first.")
    for _ in range(ATTEMPTS):
        before = stores().family.get(minor)
        if before.is_active(account.account_id):
            return MinorLink(before, account.account_id), False
        after = before.with_link(Link(account.account_id, ACTIVE, "staff", now.isoformat(), by=staff.account_id))
        entry = audit.entry(
            staff,
            "guardian_link.create",
            f"GUARDIANS#{mask_id_number(minor)}",
            now,
            after={"account_id": account.account_id, "office_id": office_id, "source": "staff"},
        )
        sms = [_linked_sms(account, minor, now, *pair("source.household_register"))]
        try:
            _save(before, after, sms, entry)
            return MinorLink(after, account.account_id), True
        except LinksMoved:
            continue
    raise errors.Busy("Too many changes at once; please retry.")


def revoke_by_staff(staff: Caller, guardian_account_id: str, minor_id_number: str, now: datetime) -> MinorLink:
    return _revoke(_minor(minor_id_number, now), guardian_account_id, now, staff, audited=True)


def my_links(caller: Caller, now: datetime) -> list[MinorLink]:
    account = stores().account_store.get_account(caller.account_id)
    wards = sorted(account.wards) if account else []
    family = stores().family
    return [MinorLink(family.get(minor), caller.account_id) for minor in wards]
