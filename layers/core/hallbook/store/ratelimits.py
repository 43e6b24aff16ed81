"""Global rate-limit counters (shared by every Lambda environment): one item per (limit, key, period) in RATE_LIMITS_TABLE,
counted by one conditional UpdateItem - `ADD hits 1` only while `hits < limit` - so every Lambda
environment shares the count and N parallel requests pass exactly `limit` of them. Items expire
(TTL) an hour after their period; the period is in the key, so a late TTL never counts twice.

Keys are pseudonymous: a SHA-256 of the limit's name and the raw key (a phone, an address, an
account), never the phone or address itself."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .. import keyed
from .base import BaseMeta, setting, updated_if

KEEP_AFTER_PERIOD_SECONDS = 3600


class RateItem(Model):
    class Meta(BaseMeta):
        table_name = setting("rate_limits_table")

    pk = UnicodeAttribute(hash_key=True)  # <limit>#<HMAC of the key, 32 hex>#<period index>
    hits = NumberAttribute(default=0)
    expires_at = NumberAttribute()  # epoch seconds (TTL)


def item_key(limit: str, key: str, period: int) -> str:
    """The key (a phone, an ID number, an address) as a keyed hash (hallbook/keyed.py): a plain
    SHA-256 of a phone number is reversed by trying the 10^10 of them."""
    digest = keyed.digest("rate-limit", f"{limit}\n{key}").hex()[:32]
    return f"{limit}#{digest}#{period}"


def count(limit: str, key: str, period: int, allowed: int, period_ends_at: float) -> bool:
    """Count one request of `key` in `period` if fewer than `allowed` were counted there: True when
    counted, False (nothing written) when the period's count is spent."""
    return updated_if(
        RateItem(item_key(limit, key, period)),
        [RateItem.hits.add(1), RateItem.expires_at.set(int(period_ends_at) + KEEP_AFTER_PERIOD_SECONDS)],
        RateItem.hits.does_not_exist() | (RateItem.hits < allowed),
    )


def give_back(limit: str, key: str, period: int) -> None:
    """Undo one count of `key` in `period` (a request that turned out to send nothing), never below 0."""
    updated_if(RateItem(item_key(limit, key, period)), [RateItem.hits.add(-1)], RateItem.hits > 0)
