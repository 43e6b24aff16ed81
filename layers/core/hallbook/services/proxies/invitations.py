"""R20's first two steps: the proxy asks (`request`: a code to the citizen's registered phone, never to a
number the request names) and enters the code the citizen passed on (`confirm`: five tries, each counted
in the same conditional write that acts on it, so parallel guesses get five comparisons in all)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta

from ...domain import errors
from ...domain.identity import mask_id_number, mask_name, mask_phone, parse_id_number, parse_phone
from ...store.accounts import Account
from ...store.outbox import Message
from ...store.proxies import ACTIVE, PENDING, Link, ProxiesMoved
from ...store.stores import stores
from .. import audit, identity, messages
from ..tokens import Caller
from .parties import ATTEMPTS, Authorisation, find, label, verified_citizen

CODE_MINUTES = 30  # time enough to phone an older relative and hear the code read out
CODE_ATTEMPTS = 5


def _code_hash(proxy_id: str, code: str) -> str:
    return hashlib.sha256(f"proxy:{proxy_id}:{code}".encode()).hexdigest()


def request(caller: Caller, id_number: str, phone: str, now: datetime) -> tuple[Authorisation, bool]:
    """(the authorisation, created): `pending` with a code sent to the citizen's registered phone, or
    the active one already held."""
    with audit.recorded(caller, "proxy.request", "PROXIES#", now) as record:
        me = verified_citizen(caller)
        person = parse_id_number(id_number, now.date())
        number = parse_phone(phone)
        record["detail"] = {"id_number": mask_id_number(person.value), "phone": mask_phone(number)}
        if person.value == me.id_number:
            raise errors.ValidationFailed("You cannot be your own proxy.", field="id_number")
        accounts = stores().account_store
        account_id = accounts.find_account_id(f"ID#{person.value}")
        citizen = accounts.get_account(account_id) if account_id else None
        if (
            citizen is None
            or citizen.role != "citizen"
            or citizen.id_number != person.value
            or citizen.phone != number
            or not citizen.phone_verified
        ):
            raise errors.NotFound(
                "No registered citizen with that ID number and phone: the citizen registers "
                "(and confirms their phone) first, with their own phone number."
            )
        identity.ensure_verified(me, now)  # the citizen is told who asks: a real name
        record["target"] = f"PROXIES#{citizen.account_id}"
        family = stores().family
        for _ in range(ATTEMPTS):
            before = family.get_proxies(citizen.account_id)
            held = before.links.get(me.account_id)
            if held is not None and held.status == ACTIVE:
                record["detail"]["proxy_id"] = held.proxy_id
                return Authorisation(held, citizen, me, me.account_id), False
            proxy_id = uuid.uuid4().hex
            code = f"{secrets.randbelow(10**6):06d}"
            expires = now + timedelta(minutes=CODE_MINUTES)
            link = Link(
                proxy_id,
                me.account_id,
                PENDING,
                now.isoformat(),
                now.isoformat(),
                code_hash=_code_hash(proxy_id, code),
                code_expires_at=expires.isoformat(),
            )
            sms = messages.message(
                f"proxy#{proxy_id}#code",
                "proxy_request",
                citizen.phone or "",
                citizen.lang,
                now,
                {"account_id": citizen.account_id},
                deliver_by=expires,
                proxy=mask_name(me.name),
                proxy_phone=mask_phone(me.phone or ""),
                code=code,
                minutes=CODE_MINUTES,
            )
            try:
                family.save_proxies(before, before.with_link(link), [sms])
            except ProxiesMoved:
                continue
            record["detail"]["proxy_id"] = proxy_id
            return Authorisation(link, citizen, me, me.account_id), True
        raise errors.Busy("Too many changes at once; please retry.")


def confirm(caller: Caller, proxy_id: str, code: str, now: datetime) -> Authorisation:
    """The code the citizen passed on: the caller's pending authorisation becomes active."""
    with audit.recorded(caller, "proxy.confirm", f"PROXY#{proxy_id}", now):
        me = verified_citizen(caller)
        for _ in range(ATTEMPTS):
            before, link = find(proxy_id, me.account_id, as_citizen_too=False)
            citizen = stores().account_store.get_account(before.citizen_account_id)
            if link.status == ACTIVE:
                return Authorisation(link, citizen, me, me.account_id)
            if link.status != PENDING or not link.code_hash:
                raise errors.InvalidState("This authorisation was revoked; ask again.")
            if link.code_attempts >= CODE_ATTEMPTS:
                raise errors.RateLimited("Too many wrong codes; ask again for a new one.", retry_after=60)
            if datetime.fromisoformat(link.code_expires_at or now.isoformat()) <= now:
                raise errors.ValidationFailed("The code has expired; ask again.", field="code")
            right = hmac.compare_digest(_code_hash(proxy_id, str(code or "").strip()), link.code_hash)
            if right:
                new = Link(proxy_id, me.account_id, ACTIVE, link.asked_at, now.isoformat())
                sms = _active_sms(proxy_id, citizen, me, now)
            else:  # the attempt is counted in the same conditional write that checks the code
                new = Link(**{**link.__dict__, "code_attempts": link.code_attempts + 1})
                sms = []
            try:
                stores().family.save_proxies(before, before.with_link(new), sms)
            except ProxiesMoved:
                continue
            if not right:
                raise errors.ValidationFailed("The code is wrong.", field="code")
            return Authorisation(new, citizen, me, me.account_id)
        raise errors.Busy("Too many changes at once; please retry.")


def _active_sms(proxy_id: str, citizen: Account | None, proxy: Account, now: datetime) -> list[Message]:
    sms = []
    if citizen is not None and citizen.phone:
        sms.append(
            messages.message(
                f"proxy#{proxy_id}#active#citizen",
                "proxy_active_citizen",
                citizen.phone,
                citizen.lang,
                now,
                {"account_id": citizen.account_id},
                proxy=mask_name(proxy.name),
                proxy_phone=mask_phone(proxy.phone or ""),
            )
        )
    if proxy.phone:
        sms.append(
            messages.message(
                f"proxy#{proxy_id}#active#proxy",
                "proxy_active_proxy",
                proxy.phone,
                proxy.lang,
                now,
                {"account_id": proxy.account_id},
                citizen=label(citizen),
            )
        )
    return sms
