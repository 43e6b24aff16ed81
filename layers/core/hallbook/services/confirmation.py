"""R13: a confirmation people can use - the printable page and the calendar entry of one of the
caller's bookings (anybody else's is 404, as services.bookings.own_booking decides).

The page: the reference large and as a QR code (segno, SVG rendered here: the hall's scanner reads
the reference the check-in takes), the subject's name masked, the hall's address and phone, the
status; a cancelled booking says so at the top and shows no QR, so nobody mistakes it for a valid
one. The QR is shown only while the booking can still be checked in. The page and the calendar entry
are entirely in the request's language (Accept-Language: Chinese by default, or English), their
words from the message catalogue (msgctxt `page`, docs/i18n.md).

The calendar entry (icalendar, RFC 5545): the slot in Asia/Shanghai with its VTIMEZONE, the hall's
name and address as LOCATION, and a reminder (VALARM) one day before the slot starts - the same
hour the day before, which is before the 18:00 cancellation cut-off (R10) for every slot of the day.
A cancelled booking's entry keeps its UID, says STATUS:CANCELLED (SEQUENCE 1) and has no alarm, so
a calendar that imports it again drops the appointment."""

from __future__ import annotations

import base64
import hashlib
import html
from datetime import UTC, datetime, timedelta
from typing import Any

from .. import i18n
from ..clock import SHANGHAI
from ..domain.booking import Status, cancel_deadline
from ..domain.identity import mask_id_number, mask_name
from ..domain.newborn import mask_certificate
from ..domain.timetable import parse_hhmm
from ..i18n import Bilingual
from ..store.bookings import Booking
from ..store.catalog import Office, Service
from ..store.stores import stores
from .bookings import own_booking
from .tokens import Caller

# the statuses of R13, as a person reads them: catalogue keys (msgctxt "page")
STATUS_KEYS = {status.value: f"status.{status.value}" for status in Status}
REMINDER_BEFORE = timedelta(days=1)
PRODID = "-//hallbook//booking confirmation//ZH"


def _say(key: str, language: str, **params: Any) -> str:
    return i18n.text(key, "page", language, **params)


# The page's only style and script, inline (nothing loaded from outside) and allowed by their hashes:
# the page's own Content-Security-Policy (CSP) names them, and so does the pages' CSP (local/pages.py,
# template PagesHeaders), because a page that shows this one in an iframe's srcdoc puts it
# under that page's policy. Change one and the hashes follow (tests/api/test_headers.py checks).
STYLE = (
    "body{font-family:sans-serif;font-size:18px;line-height:1.5;max-width:40em;margin:1em auto;padding:0 1em}\n"
    ".ref{font-size:2.2em;letter-spacing:.12em} th{text-align:left;padding-right:1em;vertical-align:top}\n"
    ".cancelled{font-size:2em;font-weight:bold;color:#b00;border:4px solid #b00;padding:.4em;text-align:center}\n"
    ".cancelled small{font-size:.5em;font-weight:normal} .over{font-weight:bold;border:2px solid #555;padding:.4em}\n"
    ".status-cancelled .ref{text-decoration:line-through} figure{margin:1em 0} svg.qr{width:12em;height:auto}\n"
    "@media print{button{display:none}}"
)
SCRIPT = 'document.getElementById("print").addEventListener("click",function(){window.print()});'


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


STYLE_HASH, SCRIPT_HASH = csp_hash(STYLE), csp_hash(SCRIPT)
CSP = (
    f"default-src 'none'; style-src {STYLE_HASH}; script-src {SCRIPT_HASH}; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def status_word(status: str, language: str) -> str:
    key = STATUS_KEYS.get(status)
    return _say(key, language) if key and i18n.has(key, "page", language) else status


def qr_svg(reference: str, language: str) -> str:
    """The reference as a QR code (error correction M or better, the standard 4-module quiet zone),
    inline SVG: nothing loaded from outside, prints sharp at any size."""
    import segno  # here, not at import: only this route draws QR codes (~10 ms off every cold start)

    code = segno.make_qr(reference, error="m", boost_error=True)
    title = _say("conf.qr_title", language, reference=reference)
    return code.svg_inline(scale=6, border=4, title=title, svgclass="qr", lineclass=None)


def subject_name(booking: Booking, language: str) -> str:
    """The subject's name, masked (张*明): the account holder's own booking; a minor's name is not
    known to the system (a guardian names the minor's ID number only), so it says 未成年人 (minor)."""
    if booking.newborn_name is not None:  # R2: named by its birth certificate
        return _say("conf.newborn", language, name=mask_name(booking.newborn_name))
    account = stores().accounts.get_account(booking.account_id)
    if account is not None and account.id_number == booking.subject_id_number and account.name:
        return mask_name(account.name)
    return _say("conf.minor", language)


def subject_number_row(booking: Booking, language: str) -> str:
    """The subject's number, masked: an ID number, or a newborn's birth certificate number (R2)."""
    if booking.newborn_name is not None:
        label, number = _say("conf.birth_certificate", language), mask_certificate(booking.subject_id_number)
    else:
        label, number = _say("conf.id_number", language), mask_id_number(booking.subject_id_number)
    return f"<tr><th>{html.escape(label)}</th><td>{html.escape(number)}</td></tr>"


def _starts(booking: Booking) -> datetime:
    return datetime.combine(booking.date, parse_hhmm(booking.start), SHANGHAI)


def _ends(booking: Booking) -> datetime:
    return datetime.combine(booking.date, parse_hhmm(booking.end), SHANGHAI)


def _materials(service: Service, language: str) -> list[str]:
    """The materials to bring in `language` (English where the catalogue has them, else Chinese)."""
    if language == "en" and service.materials_en:
        return list(service.materials_en)
    return list(service.materials)


def confirmation_html(caller: Caller, booking_id: str) -> str:
    return page_for(own_booking(caller, booking_id))


def page_for(booking: Booking, language: str | None = None) -> str:
    """The page of a booking the caller may see (checked by the caller of this function), in
    `language` (default: the request's)."""
    language = language or i18n.current()
    catalog = stores().catalog.load_catalog()
    office, service = catalog.offices[booking.office_id], catalog.services[booking.service_code]
    return render_html(booking, office, service, subject_name(booking, language), language)


def render_html(booking: Booking, office: Office, service: Service, name: str, language: str | None = None) -> str:
    language = language or i18n.current()
    e = html.escape

    def t(key: str, **params: Any) -> str:
        return e(_say(key, language, **params))

    status = status_word(booking.status, language)
    cancelled = booking.status == Status.CANCELLED.value
    deadline = cancel_deadline(booking.date).strftime("%Y-%m-%d %H:%M")
    materials = "".join(f"<li>{e(m)}</li>" for m in _materials(service, language))
    banner = ""
    if cancelled:
        banner = (
            f'<p class="cancelled" role="alert">{t("conf.cancelled")}<br><small>{t("conf.cancelled_note")}</small></p>'
        )
    elif booking.status != Status.BOOKED.value:
        banner = f'<p class="over">{t("conf.over", status=status)}</p>'
    qr = (
        f"<figure>{qr_svg(booking.reference, language)}<figcaption>{t('conf.show_at_check_in')}</figcaption></figure>"
        if booking.status == Status.BOOKED.value
        else ""
    )
    phone = f'<a href="tel:{e(office.phone)}">{e(office.phone)}</a>' if office.phone else "—"
    title = t("conf.title_cancelled" if cancelled else "conf.title", reference=booking.reference)
    hall = Bilingual(office.name, office.name_en).in_(language)
    service_name = Bilingual(service.name_zh, service.name_en).in_(language)
    return f"""<!doctype html>
<html lang="{"zh-CN" if language == "zh" else "en"}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{STYLE}</style></head><body class="status-{e(booking.status)}">
<h1>{t("conf.heading")}</h1>
{banner}
<p class="ref">{t("conf.reference")}: <strong>{e(booking.reference)}</strong></p>
{qr}
<table>
<tr><th>{t("conf.status")}</th><td class="status"><strong>{e(status)}</strong></td></tr>
<tr><th>{t("conf.service")}</th><td>{e(service_name)}</td></tr>
<tr><th>{t("conf.name")}</th><td>{e(name)}</td></tr>
{subject_number_row(booking, language)}
<tr><th>{t("conf.hall")}</th><td>{e(hall)}</td></tr>
<tr><th>{t("conf.address")}</th><td>{e(office.address)}</td></tr>
<tr><th>{t("conf.phone")}</th><td>{phone}</td></tr>
<tr><th>{t("conf.time")}</th><td>{e(booking.date.isoformat())} {e(booking.start)}-{e(booking.end)}</td></tr>
</table>
<h2>{t("conf.materials")}</h2><ul>{materials}</ul>
<p>{t("conf.arrive", deadline=deadline)}</p>
<button type="button" id="print">{t("conf.print")}</button><script>{SCRIPT}</script></body></html>"""


def calendar_ics(caller: Caller, booking_id: str, now: datetime) -> tuple[bytes, str]:
    """(the iCalendar file, its file name) of one of the caller's bookings, in the request's language."""
    booking = own_booking(caller, booking_id)
    catalog = stores().catalog.load_catalog()
    office, service = catalog.offices[booking.office_id], catalog.services[booking.service_code]
    return render_ics(booking, office, service, now), f"booking-{booking.reference}.ics"


def render_ics(booking: Booking, office: Office, service: Service, now: datetime, language: str | None = None) -> bytes:
    from icalendar import Alarm, Calendar, Event  # here: ~60 ms at import, for this route only

    language = language or i18n.current()
    cancelled = booking.status == Status.CANCELLED.value
    hall = Bilingual(office.name, office.name_en).in_(language)
    service_name = Bilingual(service.name_zh, service.name_en).in_(language)
    deadline = cancel_deadline(booking.date).strftime("%Y-%m-%d %H:%M")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{booking.booking_id}@hallbook")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", _starts(booking))
    event.add("dtend", _ends(booking))
    summary = _say("ics.summary_cancelled" if cancelled else "ics.summary", language, service=service_name, office=hall)
    event.add("summary", summary)
    event.add("location", f"{hall}, {office.address}")
    materials = i18n.value(_materials(service, language), language) or _say("ics.id_card", language)
    event.add(
        "description",
        "\n".join(
            filter(
                None,
                [
                    _say("ics.reference", language, reference=booking.reference),
                    _say("ics.status", language, status=status_word(booking.status, language)),
                    _say("ics.address", language, address=office.address),
                    _say("ics.phone", language, phone=office.phone) if office.phone else "",
                    _say("ics.bring", language, materials=materials),
                    _say("ics.cancel_before", language, deadline=deadline),
                ],
            )
        ),
    )
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("sequence", 1 if cancelled else 0)
    if booking.status == Status.BOOKED.value:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", -REMINDER_BEFORE)  # relative to DTSTART
        alarm.add(
            "description",
            _say(
                "ics.alarm",
                language,
                start=booking.start,
                office=hall,
                service=service_name,
                reference=booking.reference,
            ),
        )
        event.add_component(alarm)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    ics: bytes = calendar.to_ical()
    return ics
