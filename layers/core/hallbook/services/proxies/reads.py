"""R20's list: the authorisations an account gave (as the citizen) and holds (as a proxy)."""

from __future__ import annotations

from datetime import datetime

from ...domain import errors
from ...store.stores import stores
from ..tokens import Caller
from .parties import Authorisation


def my_proxies(caller: Caller, now: datetime) -> list[Authorisation]:
    """The authorisations the caller gave (as the citizen) and holds (as a proxy), newest first."""
    accounts, family = stores().account_store, stores().family
    me = accounts.get_account(caller.account_id)
    if me is None:
        raise errors.Unauthenticated("The account no longer exists.")
    given = family.get_proxies(me.account_id)
    held = family.get_many_proxies(family.citizens_of(me.account_id))
    pairs = [(link, given.citizen_account_id) for link in given.links.values()]
    pairs += [(p.links[me.account_id], p.citizen_account_id) for p in held if me.account_id in p.links]
    parties = accounts.get_accounts([a for link, c in pairs for a in (link.proxy_account_id, c)])
    items = [
        Authorisation(link, parties.get(c), parties.get(link.proxy_account_id), me.account_id) for link, c in pairs
    ]
    return sorted(items, key=lambda a: a.link.asked_at, reverse=True)
