"""R1, R2: insiders held to the real-name source. A staff member's reclaim of an ID number
or link of a guardian to a minor is
- refused (403) when the real-name source contradicts it (the name, ID number and phone do not belong
  together; the population register says the account's holder is not the minor's guardian);
- otherwise kept `pending` until either a second staff member (of the same hall, or an administrator)
  approves it, or the account that loses the number (for a link: the minor's existing guardian)
  consents: an SMS code goes to that account's phone, and its holder tells the clerk the code;
- flagged (R22, `insider_change`) from the request on (refused, requested, done), so administrators
  see every one in GET /v1/admin/flags, and audited as before.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from ..domain import errors
from ..domain.identity import mask_id_number, mask_phone, parse_id_number, parse_name, parse_phone
from ..store.accounts import Account
from ..store.identity_changes import PENDING, Change
from ..store.stores import stores
from . import audit, flags, guardians, messages, reclaims
from .identity import MISMATCH, get_verifier
from .tokens import Caller

log = logging.getLogger(__name__)
CODE_MINUTES = 30
CODE_ATTEMPTS = 5
PENDING_HOURS = 24


def _code_hash(change_id: str, code: str) -> str:
    return hashlib.sha256(f"consent:{change_id}:{code}".encode()).hexdigest()


def _office_name(office_id: str) -> str:
    office = stores().catalog.load_catalog().offices.get(office_id)
    if office is None:
        raise errors.NotFound("No such hall.")
    return office.name


def _pending(
    staff: Caller,
    office_id: str,
    kind: str,
    payload: dict[str, Any],
    consenters: list[Account],
    id_number: str,
    what_zh: str,
    what_en: str,
    now: datetime,
) -> dict[str, Any]:
    change_id = uuid.uuid4().hex
    office_name = _office_name(office_id)
    code = f"{secrets.randbelow(10**6):06d}"
    with_phone = [a for a in consenters if a.phone]
    change = Change(
        change_id=change_id,
        kind=kind,
        office_id=office_id,
        requested_by=staff.account_id,
        status=PENDING,
        payload=payload,
        consent_code_hash=_code_hash(change_id, code) if with_phone else None,
        consent_attempts=0,
        created_at=now.isoformat(),
        expires_at=int((now + timedelta(hours=PENDING_HOURS)).timestamp()),
    )
    stores().identity.create_change(change)
    flags.insider_change(staff.account_id, kind, id_number, office_id, now, change_id, "requested")  # R22
    sms = [
        messages.message(
            f"change#{change_id}#consent#{a.account_id}",
            "identity_change_consent",
            a.phone or "",
            a.lang,
            now,
            {"account_id": a.account_id},
            office_name=office_name,
            what=what_zh,
            what_en=what_en,
            id_number=mask_id_number(id_number),
            code=code,
            minutes=CODE_MINUTES,
        )
        for a in with_phone
    ]
    if sms:
        stores().identity.send(sms)
    audit.record(
        staff,
        f"{kind}.request",
        f"CHANGE#{change_id}",
        now,
        after={"office_id": office_id, "id_number": mask_id_number(id_number), "consent_sms": len(sms)},
    )
    return {
        "change_id": change_id,
        "status": "pending",
        "consent_sent_to": [mask_phone(a.phone or "") for a in with_phone],
        "detail": "Waiting for another staff member's approval"
        + (" or the consent code sent to the account concerned." if with_phone else "."),
    }


def request_reclaim(
    staff: Caller, office_id: str, id_number: str, name: str, phone: str, lang: str, now: datetime
) -> dict[str, Any]:
    """POST /v1/offices/{office_id}/identity-reclaims: refused when the real-name source contradicts
    it; otherwise pending, with a consent code to the account that holds the number now."""
    person = parse_id_number(id_number, now.date())
    name, phone = parse_name(name), parse_phone(phone)
    if person.is_minor_on(now.date()):
        raise errors.ValidationFailed(
            "a minor's number is not held by an account: link the guardian instead", field="id_number"
        )
    result = get_verifier().check(name, person.value, phone)
    if result.outcome == MISMATCH or result.phone_matches is False:
        flags.insider_change(staff.account_id, "reclaim", person.value, office_id, now, step="refused")  # R22
        raise errors.Forbidden(
            "The real-name record does not match this name, ID number and phone: the number stays where it is."
        )
    accounts = stores().account_store
    holder_id = accounts.find_account_id(f"ID#{person.value}")
    holder = accounts.get_account(holder_id) if holder_id else None
    consenters = [holder] if holder is not None and holder.id_number == person.value else []
    payload = {"id_number": person.value, "name": name, "phone": phone, "lang": lang}
    return _pending(
        staff,
        office_id,
        "reclaim",
        payload,
        consenters,
        person.value,
        "将该身份证号转回本人账号",
        "give this ID number back to its owner's account",
        now,
    )


def request_link(
    staff: Caller, office_id: str, guardian_id_number: str, minor_id_number: str, now: datetime
) -> dict[str, Any]:
    """POST /v1/offices/{office_id}/guardian-links: refused when the population register says the
    account's holder is not the minor's guardian; otherwise pending, with a consent code to the
    minor's guardians linked already."""
    guardian = parse_id_number(guardian_id_number, now.date(), "guardian_id_number").value
    minor = guardians.minor_of(minor_id_number, now)
    store = stores()
    account_id = store.account_store.find_account_id(f"ID#{guardian}")
    account = store.account_store.get_account(account_id) if account_id else None
    if account is None or account.role != "citizen" or account.id_number != guardian:
        raise errors.NotFound("No citizen account holds that ID number; the guardian registers first.")
    if get_verifier().is_guardian(guardian, minor) is False:
        flags.insider_change(staff.account_id, "guardian_link", minor, office_id, now, step="refused")  # R22
        raise errors.Forbidden("The population register does not list this person as the minor's guardian.")
    before = store.family.get(minor)
    if before.is_active(account.account_id):
        return {"change_id": None, "status": "active", "consent_sent_to": [], "detail": "Already linked."}
    existing = [
        a
        for a in store.account_store.get_accounts([link.account_id for link in before.active()]).values()
        if a.account_id != account.account_id
    ]
    payload = {"guardian_id_number": guardian, "minor_id_number": minor}
    return _pending(
        staff,
        office_id,
        "guardian_link",
        payload,
        existing,
        minor,
        "将他人账号关联为未成年人的监护人",
        "link another account as the minor's guardian",
        now,
    )


def request_phone_change(staff: Caller, office_id: str, id_number: str, phone: str, now: datetime) -> dict[str, Any]:
    """POST /v1/offices/{office_id}/phone-changes, the old phone lost: refused when the real-name source
    says the new phone is someone else's; otherwise pending until a second staff member approves (the
    old phone cannot consent: it is lost). The old phone is told once it is done."""
    from . import phone_change

    account, new_phone = phone_change.hall_change_target(id_number, phone, now)
    payload = {"id_number": account.id_number, "phone": new_phone}
    return _pending(staff, office_id, "phone_change", payload, [], account.id_number or "", "", "", now)


def _carry_out(change: Change, staff: Caller, approver: str, now: datetime) -> dict[str, Any]:
    if not stores().identity.claim_change(change.change_id, approver):
        raise errors.InvalidState("This change was carried out already.")
    requester = Caller(change.requested_by, "staff", change.office_id, True)
    p = change.payload
    try:
        if change.kind == "phone_change":
            from . import phone_change

            result = phone_change.change_phone_at_hall(requester, change.office_id, p["id_number"], p["phone"], now)
            subject = p["id_number"]
        elif change.kind == "reclaim":
            result = reclaims.reclaim(
                requester, change.office_id, p["id_number"], p["name"], p["phone"], p.get("lang", "zh"), now
            )
            subject = p["id_number"]
        else:
            link, _ = guardians.link_by_staff(
                requester, change.office_id, p["guardian_id_number"], p["minor_id_number"], now
            )
            result = {
                "status": "active",
                "source": "staff",
                "account_id": link.account_id,
                "minor_id_number": mask_id_number(p["minor_id_number"]),
            }
            subject = p["minor_id_number"]
    except errors.DomainError:
        stores().identity.release_change(change.change_id)
        raise
    flags.insider_change(
        change.requested_by,
        change.kind,
        subject,
        change.office_id,
        now,
        change_id=change.change_id,
        approved_by=approver,
    )
    audit.record(staff, f"{change.kind}.approve", f"CHANGE#{change.change_id}", now, after={"by": approver})
    return {"change_id": change.change_id, "status": "done", "result": result}


def _change_of(office_id: str, change_id: str, now: datetime) -> Change:
    change = stores().identity.get_change(change_id)
    if change is None or change.office_id != office_id or change.expires_at <= int(now.timestamp()):
        raise errors.NotFound("No such pending change at this hall.")
    if change.status != PENDING:
        raise errors.InvalidState("This change was carried out already.")
    return change


def approve(staff: Caller, office_id: str, change_id: str, now: datetime) -> dict[str, Any]:
    """A second staff member of the hall (or an administrator) approves: the change is carried out."""
    change = _change_of(office_id, change_id, now)
    if staff.account_id == change.requested_by:
        raise errors.Forbidden("A second staff member must approve this change, not the one who asked for it.")
    return _carry_out(change, staff, staff.account_id, now)


def consent(staff: Caller, office_id: str, change_id: str, code: str, now: datetime) -> dict[str, Any]:
    """The account that loses the number (the minor's guardian) told the clerk its consent code."""
    change = _change_of(office_id, change_id, now)
    if not change.consent_code_hash:
        raise errors.InvalidState("Nobody was asked to consent to this change: another staff member approves it.")
    if not stores().identity.count_consent_attempt(change_id, CODE_ATTEMPTS):
        raise errors.RateLimited("Too many wrong codes: another staff member approves it.", retry_after=3600)
    created = datetime.fromisoformat(change.created_at)
    right = hmac.compare_digest(_code_hash(change_id, str(code or "").strip()), change.consent_code_hash)
    if not right or now - created > timedelta(minutes=CODE_MINUTES):
        raise errors.ValidationFailed("The code is wrong or has expired.", field="code")
    return _carry_out(change, staff, "consent", now)
