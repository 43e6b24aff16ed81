"""R23, the administrator's setting: a service drawn by lot in a region from the next noon release on
(`mark_drawn`, which announces the first draw at once), or first-come again (`unmark`: days already
opened keep their draws). Audited."""

from __future__ import annotations

import logging
from datetime import datetime

from ..domain import draw as rules
from ..domain import errors
from ..i18n import N_, Bilingual
from ..store.catalog import DrawSetting
from ..store.draws import Draw
from ..store.stores import stores
from . import audit
from .catalog import get_service
from .draws import draw_of, window_days
from .tokens import Caller

log = logging.getLogger(__name__)
MAX_ENTRY_MINUTES = 120  # the DrawClose schedule runs 12:00-14:59: every close (and SETTLE after it) falls in it


def mark_drawn(
    caller: Caller, region: str, service_code: str, entry_minutes: int, now: datetime
) -> tuple[DrawSetting, Draw]:
    """The service is drawn in the region from the next noon release on (changing `entry_minutes` of
    a drawn service applies to the draws not yet announced). Its first draw is announced now. Audited."""
    catalog = stores().catalog_admin.load_catalog(max_age=0)
    window = window_days(catalog, region)
    service = get_service(service_code, catalog)
    if not service.appointment_required:
        raise errors.WalkInOnly(
            N_("{service} is walk-in only: nothing to draw.", service=Bilingual(service.name_zh, service.name_en))
        )
    if not 1 <= entry_minutes <= MAX_ENTRY_MINUTES:
        raise errors.ValidationFailed(
            N_("entry_minutes is 1 to {count}.", count=MAX_ENTRY_MINUTES), field="entry_minutes"
        )
    current = catalog.draws.get((region, service_code))
    first = rules.first_drawn_day(now, window)
    if current is not None and current.until_day is None:
        first = min(first, current.from_day)  # still drawn: the days it covers stay covered
    setting = DrawSetting(region, service_code, entry_minutes, first, None, now.isoformat(timespec="seconds"))
    _put_audited(caller, "draw.put", setting, now)
    draw = draw_of(region, service_code, rules.first_drawn_day(now, window), entry_minutes, window, now)
    return setting, draw


def unmark(caller: Caller, region: str, service_code: str, now: datetime) -> DrawSetting:
    """The service is first-come again from the next noon release on; draws already opened are drawn."""
    catalog = stores().catalog_admin.load_catalog(max_age=0)
    window = window_days(catalog, region)
    current = catalog.draws.get((region, service_code))
    if current is None or current.until_day is not None:
        raise errors.NotFound(N_("{code} is not drawn in {region}.", code=service_code, region=region))
    until = rules.last_opened_day(now, window)
    ended = DrawSetting(
        region, service_code, current.entry_minutes, current.from_day, until, now.isoformat(timespec="seconds")
    )
    _put_audited(caller, "draw.delete", ended, now)
    return ended


def _put_audited(caller: Caller, action: str, setting: DrawSetting, now: datetime) -> None:
    """The setting and its audit entry in one transaction, only over what was read (else 409)."""
    key = f"{setting.region}#{setting.service_code}"
    store = stores().catalog_admin
    before = store.get_entity("DRAW", key)
    note = audit.entry(caller, action, f"DRAW#{key}", now, before=before, after=setting.body())
    store.put_audited("DRAW", key, setting.body(), note, before)
