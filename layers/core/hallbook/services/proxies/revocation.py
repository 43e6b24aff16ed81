"""R20's end: either side - the citizen or the proxy - revokes an authorisation, pending or active; both
are told by SMS, and the proxy's routes then answer 404 (a booking in flight is refused by its guard)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...domain import errors
from ...store.proxies import REVOKED, Link, ProxiesMoved
from ...store.stores import stores
from .. import audit, messages
from ..tokens import Caller
from .parties import ATTEMPTS, Authorisation, find, label


def revoke(caller: Caller, proxy_id: str, now: datetime) -> Authorisation:
    """Either side ends an authorisation (pending or active); both are told by SMS."""
    with audit.recorded(caller, "proxy.revoke", f"PROXY#{proxy_id}", now) as record:
        accounts = stores().account_store
        account = accounts.get_account(caller.account_id)
        if account is None or account.role != "citizen":
            raise errors.Forbidden("Only a citizen's account can revoke a family proxy.")
        for _ in range(ATTEMPTS):
            before, link = find(proxy_id, account.account_id, as_citizen_too=True)
            if link.status == REVOKED:
                raise errors.NotFound("No such proxy authorisation.")
            record["before"] = {"status": link.status}
            parties = accounts.get_accounts([before.citizen_account_id, link.proxy_account_id])
            citizen, proxy = parties.get(before.citizen_account_id), parties.get(link.proxy_account_id)
            new = Link(proxy_id, link.proxy_account_id, REVOKED, link.asked_at, now.isoformat(), by=account.account_id)
            words: dict[str, Any] = {"proxy": label(proxy), "citizen": label(citizen)}
            sms = [
                messages.message(
                    f"proxy#{proxy_id}#revoked#{party.account_id}",
                    "proxy_revoked",
                    party.phone,
                    party.lang,
                    now,
                    {"account_id": party.account_id},
                    **words,
                )
                for party in (citizen, proxy)
                if party is not None and party.phone
            ]
            try:
                stores().family.save_proxies(before, before.with_link(new), sms)
            except ProxiesMoved:
                continue
            record["after"] = {"status": REVOKED}
            return Authorisation(new, citizen, proxy, account.account_id)
        raise errors.Busy("Too many changes at once; please retry.")
