"""SMS texts (R16), rendered from the message catalogue (msgctxt `sms`, docs/i18n.md) into outbox
messages. Chinese by default, English when the account prefers it.

Time-critical kinds (a verification code) carry their validity as `deliver_by`: the notifier never
sends them at or after it (they are marked `expired`), and their text leaves the outbox once they are
sent or expired."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import i18n
from ..domain.sanctions import NO_SHOW_MONTHS, NO_SHOWS_LIMIT, SanctionWarning
from ..keyed import without_numbers
from ..store.bookings import Booking
from ..store.catalog import Office, Service
from ..store.outbox import Message

# SMS templates written the old way, until `make i18n` moves them into the catalogue (docs/i18n.md)
TEMPLATES = Path(__file__).resolve().parent.parent / "messages.json"
# template -> the parameter that says for how many minutes the message is of any use
TIME_CRITICAL = {
    "verification_code": "minutes",
    "password_reset_code": "minutes",
    "phone_change_code": "minutes",
    "identity_change_consent": "minutes",
}


@lru_cache(maxsize=1)
def templates() -> dict[str, dict[str, str]]:
    """Every SMS template, {key: {"zh": text, "en": text}}: the catalogue's (msgctxt `sms`), and a
    messages.json's keys the catalogue lacks (tests/unit/test_i18n.py fails while one exists)."""
    loaded: dict[str, dict[str, str]] = {}
    if TEMPLATES.exists():
        loaded = json.loads(TEMPLATES.read_text(encoding="utf-8"))
    for language in i18n.LANGUAGES:
        for key, text in i18n.keyed("sms", language).items():
            loaded.setdefault(key, {})[language] = text
    return loaded


# the rules' values a template may name, formatted from the domain's constants (never written in a text)
RULE_VALUES: dict[str, Any] = {"no_show_limit": NO_SHOWS_LIMIT, "no_show_months": NO_SHOW_MONTHS}


def render(template: str, lang: str, **params: Any) -> str:
    options = templates()[template]
    language = lang if lang in options else "zh"
    return options[language].format(**{**RULE_VALUES, **params, **sms_forms(params, language)})


# An SMS is billed per 70 characters (67 a segment beyond): every template, with its values at their
# longest real length, fits one (tests/unit/test_sms_length.py). So the texts carry short forms, and
# long particulars (address, materials, the service's English name) are on the booking's page.
NAME_PARAMS = ("proxy", "guardian", "citizen")  # masked names: at most 4 characters in an SMS
ID_PARAMS = ("minor", "id_number")  # masked ID numbers: their last four digits
DATE_PARAMS = ("date", "old_date", "last_day", "until")  # an ISO day also as `<name>_short`: 12月21日 / 21 Dec
REASON_CHARACTERS = 10  # a closure's or a rejection's reason in an SMS: its first ten characters


def sms_forms(params: dict[str, Any], lang: str) -> dict[str, Any]:
    """The short forms of `params`' days an SMS uses (`<name>_short`, in the message's language)."""
    forms: dict[str, Any] = {}
    for name in DATE_PARAMS:
        value = params.get(name)
        if isinstance(value, str) and len(value) == 10 and f"{name}_short" not in params:
            try:
                forms[f"{name}_short"] = short_day(date.fromisoformat(value), lang)
            except ValueError:
                pass
    reason = params.get("reason")
    if isinstance(reason, str) and "reason_short" not in params:  # a closure's: the whole of it is in the app
        forms["reason_short"] = reason if len(reason) <= REASON_CHARACTERS else reason[: REASON_CHARACTERS - 1] + "…"
    return forms


def short_params(params: dict[str, Any]) -> dict[str, Any]:
    """Masked names and ID numbers as an SMS shows them (short_name, short_id)."""
    shown = dict(params)
    for name in NAME_PARAMS:
        if isinstance(shown.get(name), str):
            shown[name] = short_name(shown[name])
    for name in ID_PARAMS:
        if isinstance(shown.get(name), str):
            shown[name] = short_id(shown[name])
    return shown


def short_name(masked: str) -> str:
    """张*明 stays; a longer masked name keeps its first and last character: 欧**娜."""
    return masked if len(masked) <= 4 else f"{masked[0]}**{masked[-1]}"


def short_id(masked: str) -> str:
    """440***********1234 -> **1234."""
    return f"**{masked[-4:]}" if len(masked) > 6 else masked


def message(
    message_id: str,
    template: str,
    phone: str,
    lang: str,
    now: datetime,
    context: dict[str, Any] | None = None,
    deliver_by: datetime | None = None,
    **params: Any,
) -> Message:
    """An outbox message. A time-critical template's `deliver_by` defaults to `now` plus its validity
    (a code rendered with minutes=10 is not sent 10 minutes later)."""
    if deliver_by is None and template in TIME_CRITICAL and params.get(TIME_CRITICAL[template]) is not None:
        deliver_by = now + timedelta(minutes=int(params[TIME_CRITICAL[template]]))
    return Message(
        message_id=without_numbers(message_id),  # the id is logged: an ID number or phone in it is pseudonymised
        template=template,
        phone=phone,
        text=render(template, lang, **short_params(params)),
        created_at=now,
        lang=lang,
        context=context or {},
        deliver_by=deliver_by,
    )


def booking_params(booking: Booking, office: Office, service: Service) -> dict[str, Any]:
    return {
        "reference": booking.reference,
        "office_name": office.name,
        "office_name_en": office.name_en or office.name,
        "address": office.address,
        "date": booking.date.isoformat(),
        "start": booking.start,
        "end": booking.end,
        "service_name": service.name_zh,
        "service_name_en": service.name_en,
        "materials": "、".join(service.materials) or "身份证",
        "materials_en": ", ".join(service.materials_en) or "ID card",
    }


def short_day(day: date, lang: str) -> str:
    """A day as an SMS writes it (a booking is at most a few weeks ahead): 12月21日 / 21 Dec."""
    return f"{day.month}月{day.day}日" if lang == "zh" else f"{day.day} {MONTHS_EN[day.month - 1]}"


MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rescheduled_message(
    before: Booking,
    after: Booking,
    old_office: Office,
    office: Office,
    service: Service,
    phone: str,
    lang: str,
    now: datetime,
) -> Message:
    """R8a: the one SMS of a reschedule, with both times (its id derives from the move: sent once)."""
    return booking_message(
        "rescheduled",
        after,
        office,
        service,
        phone,
        lang,
        now,
        old_date=before.date.isoformat(),
        old_start=before.start,
        old_office_name=old_office.name,
    )


def booking_message(
    template: str,
    booking: Booking,
    office: Office,
    service: Service,
    phone: str,
    lang: str,
    now: datetime,
    **extra: Any,
) -> Message:
    # a rescheduled booking's messages carry its move (R8a): its new reminder is not the old one's
    moved = f"#{booking.moves}" if booking.moves else ""
    return message(
        f"{booking.booking_id}#{template}{moved}",
        template,
        phone,
        lang,
        now,
        {"booking_id": booking.booking_id},
        **booking_params(booking, office, service),
        **extra,
    )


def warning_params(warning: SanctionWarning) -> dict[str, Any]:
    return {
        "count": warning.count,
        "left": warning.left,
        "last_day": warning.last_day.isoformat(),
        "until": warning.suspends_until.date().isoformat() if warning.suspends_until else "",
        "months": NO_SHOW_MONTHS,
    }


def warning_text(warning: SanctionWarning, lang: str) -> str:
    """R21: the warning's words, the SMS's and /v1/me's alike."""
    return render(f"warning_{warning.reason}", lang, **warning_params(warning))


def warning_message(booking_id: str, warning: SanctionWarning, phone: str, lang: str, now: datetime) -> Message:
    """R21: the SMS after the cancellation or no-show of `booking_id` that brought the subject one step
    from a suspension (its id derives from the booking: sent once however often the step is retried)."""
    return message(
        f"{booking_id}#warning",
        f"warning_{warning.reason}",
        phone,
        lang,
        now,
        {"booking_id": booking_id},
        **warning_params(warning),
    )


def suspended_message(
    booking_id: str, why: tuple[str, str], until: datetime, phone: str, lang: str, now: datetime
) -> Message:
    """R11/R12: the SMS that the cancellation or no-show of `booking_id` suspended the subject until
    `until`; `why` in Chinese and English (its id derives from the booking: sent once)."""
    return message(
        f"{booking_id}#suspended",
        "suspended",
        phone,
        lang,
        now,
        {"booking_id": booking_id},
        why=why[0],
        why_en=why[1],
        until=until.date().isoformat(),
    )


def copy_for(original: Message, phone: str, lang: str, citizen: str) -> Message:
    """R20: the copy of a citizen's SMS for the proxy who acted, marked as such (`citizen`: the masked
    name it was for); written with the original, its id derived from it."""
    return replace(
        original,
        message_id=f"{original.message_id}#copy",
        phone=phone,
        lang=lang,
        text=render("proxy_copy", lang, citizen=citizen, text=original.text),
    )
