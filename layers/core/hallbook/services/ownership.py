"""R13 and its kin: what a citizen made from their account is theirs alone to see or change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from ..domain import errors
from ..i18n import N_
from .tokens import Caller

MAX_ID = 64  # longer than any id the stores give out: refused without a read


class Owned(Protocol):
    @property
    def account_id(self) -> str: ...


T = TypeVar("T", bound=Owned)


def owned_by(caller: Caller, item_id: str, load: Callable[[str], T | None], what: str) -> T:
    """`load(item_id)` if the caller's account made it; anybody else's is 404, as an unknown id is,
    and never its data."""
    item = load(item_id) if item_id and len(item_id) <= MAX_ID else None
    if item is None or item.account_id != caller.account_id:
        raise errors.NotFound(N_("No such {what}.", what=what))
    return item
