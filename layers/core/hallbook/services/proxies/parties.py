"""What every step of a family proxy (R20) shares: the two parties' accounts, how a party is shown to
the other, and finding an authorisation by its id for one of its parties (404 for anyone else, as for
an id that does not exist)."""

from __future__ import annotations

from dataclasses import dataclass

from ...domain import errors
from ...domain.identity import mask_name
from ...store.accounts import Account
from ...store.proxies import Link, Proxies
from ...store.stores import stores
from ..tokens import Caller

ATTEMPTS = 5  # optimistic retries when the authorisations moved


@dataclass(frozen=True)
class Authorisation:
    """A proxy authorisation with its two parties' accounts, as `viewer` (an account id) sees it."""

    link: Link
    citizen: Account | None
    proxy: Account | None
    viewer: str


def verified_citizen(caller: Caller) -> Account:
    """The caller's account, a citizen's with a confirmed phone: the only kind that acts as or for a proxy."""
    account = stores().account_store.get_account(caller.account_id)
    if account is None or account.role != "citizen" or not account.id_number:
        raise errors.Forbidden("Only a citizen's account can act as or for a family proxy.")
    if not account.phone_verified:
        raise errors.PhoneNotVerified("Confirm your phone with the SMS code first.")
    return account


def label(account: Account | None) -> str:
    """A party as others are shown it: the name masked."""
    return mask_name(account.name) if account and account.name else "—"


def find(proxy_id: str, me: str, as_citizen_too: bool) -> tuple[Proxies, Link]:
    """The authorisation `proxy_id` if `me` is its proxy (or, `as_citizen_too`, its citizen); 404
    otherwise, as for an id that does not exist."""
    family = stores().family
    pointer = family.proxy_pointer(proxy_id) if proxy_id and len(proxy_id) <= 64 else None
    if pointer is None or me not in (
        (pointer.proxy_account_id, pointer.citizen_account_id) if as_citizen_too else (pointer.proxy_account_id,)
    ):
        raise errors.NotFound("No such proxy authorisation.")
    proxies = family.get_proxies(pointer.citizen_account_id)
    link = proxies.by_id(proxy_id)
    if link is None:
        raise errors.NotFound("No such proxy authorisation.")
    return proxies, link
