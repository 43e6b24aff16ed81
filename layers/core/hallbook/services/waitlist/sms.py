"""The waitlist's SMS texts (R16, R18): an offer with its deadline, a lapsed offer, an entry ended at the
cut-off or by a hall's closure. Each is written with the transaction that causes it (the outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...clock import SHANGHAI
from ...store.catalog import Catalog
from ...store.outbox import Message
from ...store.stores import stores
from ...store.waitlist import Entry, Place
from .. import messages


def hhmm(at: datetime | None) -> str:
    return at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") if at else ""


def entry_sms(template: str, entry: Entry, catalog: Catalog, now: datetime, **extra: Any) -> list[Message]:
    """The SMS `template` to the account that made `entry` (none without a phone, hall or service)."""
    account = stores().accounts.get_account(entry.account_id)
    office, service = catalog.offices.get(entry.office_id), catalog.services.get(entry.service_code)
    if account is None or not account.phone or office is None or service is None:
        return []
    params = {
        "office_name": office.name,
        "office_name_en": office.name_en or office.name,
        "date": entry.date.isoformat(),
        "start": entry.offer_start or entry.start or "",
        "end": entry.offer_end or "",
        "service_name": service.name_zh,
        "service_name_en": service.name_en,
        **extra,
    }
    suffix = f"#{entry.place_id}" if template in ("waitlist_offer", "waitlist_timed_out") else ""
    return [
        messages.message(
            f"{entry.entry_id}#{template}{suffix}",
            template,
            account.phone,
            account.lang,
            now,
            {"waitlist_id": entry.entry_id},
            **params,
        )
    ]


def offer_sms(entry: Entry, place: Place, until: datetime, catalog: Catalog, now: datetime) -> list[Message]:
    """R18: the place is held for the entry until `until`."""
    offered = Entry(
        **{**entry.__dict__, "place_id": place.place_id, "offer_start": place.start, "offer_end": place.end}
    )
    return entry_sms("waitlist_offer", offered, catalog, now, until=hhmm(until))
