"""The SMS that report an R17 application's steps to its citizen (templates application_approved,
application_rejected, application_closed in the catalogue), written with the step in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain.applications import KIND_NAMES
from ..i18n import pair
from ..store.applications import Application
from ..store.outbox import Message
from ..store.stores import stores
from . import messages
from .application_steps import kind_of


def step_sms(application: Application, template: str, now: datetime, **params: Any) -> tuple[Message, ...]:
    """The SMS reporting a step, to the applicant's phone (none if the account has no phone)."""
    store = stores()
    account = store.accounts.get_account(application.account_id)
    if account is None or not account.phone:
        return ()
    office = store.catalog.load_catalog().offices.get(application.office_id)
    name_zh, name_en = KIND_NAMES[kind_of(application)]
    return (
        messages.message(
            f"{application.application_id}#{template}",
            template,
            account.phone,
            account.lang,
            now,
            {"application_id": application.application_id},
            reference=application.reference,
            kind_name=name_zh,
            kind_name_en=name_en,
            office_name=office.name if office else application.office_id,
            office_name_en=(office.name_en or office.name) if office else application.office_id,
            **params,
        ),
    )


def how_handed_over(method: str, tracking: str | None) -> tuple[str, str]:
    """The closing SMS's words for the hand-over, in Chinese and English: at the window, or posted
    (with the tracking number staff entered)."""
    if method == "window":
        return pair("how.window")
    if tracking:
        return pair("how.mail_tracked", tracking=tracking)
    return pair("how.mail")
