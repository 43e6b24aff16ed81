"""R13: a confirmation people can use - the printable page and the calendar entry of one of the
caller's bookings (anybody else's is 404, as services.bookings.own_booking decides).

The page: the reference large and as a QR code (segno, SVG rendered here: the hall's scanner reads
the reference the check-in takes), the subject's name masked, the hall's address and phone, the
status in Chinese and English; a cancelled booking says so at the top in both and shows no QR, so
nobody mistakes it for a valid one. The QR is shown only while the booking can still be checked in.

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

from ..clock import SHANGHAI
from ..domain.booking import Status, cancel_deadline
from ..domain.identity import mask_id_number, mask_name
from ..domain.timetable import parse_hhmm
from ..store import accounts as account_store
from ..store.bookings import Booking
from ..store.catalog import Office, Service, load_catalog
from .bookings import own_booking
from .tokens import Caller

# the statuses of R13, as a person reads them
STATUS_WORDS = {
    Status.BOOKED.value: ("已预约", "Booked"),
    Status.CANCELLED.value: ("已取消", "Cancelled"),
    Status.CHECKED_IN.value: ("已签到", "Checked in"),
    Status.COMPLETED.value: ("已办结", "Completed"),
    Status.NO_SHOW.value: ("未到（爽约）", "No-show (missed)"),
}
REMINDER_BEFORE = timedelta(days=1)
PRODID = "-//hallbook//booking confirmation//ZH"


# The page's only style and script, inline (nothing loaded from outside) and allowed by their hashes:
# the page's own Content-Security-Policy (CSP) names them, and so does the pages' CSP (local/pages.py,
# template PagesHeaders), because the citizen page shows this page in an iframe's srcdoc, which lives
# under the citizen page's policy. Change one and the hashes follow (tests/local/test_pages.py).
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


def status_words(status: str) -> tuple[str, str]:
    return STATUS_WORDS.get(status, (status, status))


def qr_svg(reference: str) -> str:
    """The reference as a QR code (error correction M or better, the standard 4-module quiet zone),
    inline SVG: nothing loaded from outside, prints sharp at any size."""
    import segno  # here, not at import: only this route draws QR codes (~10 ms off every cold start)

    code = segno.make_qr(reference, error="m", boost_error=True)
    return code.svg_inline(scale=6, border=4, title=f"预约号 Reference {reference}", svgclass="qr", lineclass=None)


def subject_name(booking: Booking) -> str:
    """The subject's name, masked (张*明): the account holder's own booking; a minor's name is not
    known to the system (a guardian names the minor's ID number only), so it says 未成年人 (minor)."""
    account = account_store.get_account(booking.account_id)
    if account is not None and account.id_number == booking.subject_id_number and account.name:
        return mask_name(account.name)
    return "未成年人 / minor"


def _starts(booking: Booking) -> datetime:
    return datetime.combine(booking.date, parse_hhmm(booking.start), SHANGHAI)


def _ends(booking: Booking) -> datetime:
    return datetime.combine(booking.date, parse_hhmm(booking.end), SHANGHAI)


def _materials(service: Service) -> list[tuple[str, str]]:
    english = list(service.materials_en) + [""] * len(service.materials)
    return list(zip(service.materials, english))


def confirmation_html(caller: Caller, booking_id: str) -> str:
    return page_for(own_booking(caller, booking_id))


def page_for(booking: Booking) -> str:
    """The page of a booking the caller may see (checked by the caller of this function)."""
    catalog = load_catalog()
    office, service = catalog.offices[booking.office_id], catalog.services[booking.service_code]
    return render_html(booking, office, service, subject_name(booking))


def render_html(booking: Booking, office: Office, service: Service, name: str) -> str:
    e = html.escape
    zh, en = status_words(booking.status)
    cancelled = booking.status == Status.CANCELLED.value
    deadline = cancel_deadline(booking.date).strftime("%Y-%m-%d %H:%M")
    materials = "".join(f"<li>{e(m_zh)}{' / ' + e(m_en) if m_en else ''}</li>" for m_zh, m_en in _materials(service))
    banner = ""
    if cancelled:
        banner = (
            '<p class="cancelled" role="alert">已取消 CANCELLED<br><small>此预约已取消，不能凭此办理。'
            "This booking is cancelled and is not valid at the hall.</small></p>"
        )
    elif booking.status != Status.BOOKED.value:
        banner = f'<p class="over">{e(zh)} / {e(en)}：此预约不能再签到。This booking can no longer be checked in.</p>'
    qr = (
        f"<figure>{qr_svg(booking.reference)}<figcaption>签到时出示 Show this at check-in</figcaption></figure>"
        if booking.status == Status.BOOKED.value
        else ""
    )
    phone = f'<a href="tel:{e(office.phone)}">{e(office.phone)}</a>' if office.phone else "—"
    title = f"{'已取消 Cancelled - ' if cancelled else ''}预约确认单 Booking confirmation {booking.reference}"
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
<style>{STYLE}</style></head><body class="status-{e(booking.status)}">
<h1>预约确认单 / Booking confirmation</h1>
{banner}
<p class="ref">预约号 Reference: <strong>{e(booking.reference)}</strong></p>
{qr}
<table>
<tr><th>状态 Status</th><td class="status"><strong>{e(zh)} / {e(en)}</strong></td></tr>
<tr><th>事项 Service</th><td>{e(service.name_zh)} / {e(service.name_en)}</td></tr>
<tr><th>办理人 Name</th><td>{e(name)}</td></tr>
<tr><th>证件号 ID number</th><td>{e(mask_id_number(booking.subject_id_number))}</td></tr>
<tr><th>大厅 Hall</th><td>{e(office.name)}{" / " + e(office.name_en) if office.name_en else ""}</td></tr>
<tr><th>地址 Address</th><td>{e(office.address)}</td></tr>
<tr><th>电话 Phone</th><td>{phone}</td></tr>
<tr><th>时间 Time</th><td>{e(booking.date.isoformat())} {e(booking.start)}-{e(booking.end)}</td></tr>
</table>
<h2>请携带材料 / Bring these materials</h2><ul>{materials}</ul>
<p>请提前10分钟到达，凭预约号或身份证签到。取消请于 {e(deadline)} 前办理。<br>
Arrive 10 minutes early and check in with the reference or your ID card. Cancel before {e(deadline)}.</p>
<button type="button" id="print">打印 Print</button><script>{SCRIPT}</script></body></html>"""


def calendar_ics(caller: Caller, booking_id: str, now: datetime) -> tuple[bytes, str]:
    """(the iCalendar file, its file name) of one of the caller's bookings."""
    booking = own_booking(caller, booking_id)
    catalog = load_catalog()
    office, service = catalog.offices[booking.office_id], catalog.services[booking.service_code]
    return render_ics(booking, office, service, now), f"booking-{booking.reference}.ics"


def render_ics(booking: Booking, office: Office, service: Service, now: datetime) -> bytes:
    from icalendar import Alarm, Calendar, Event  # here: ~60 ms at import, for this route only

    cancelled = booking.status == Status.CANCELLED.value
    zh, en = status_words(booking.status)
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
    summary = f"{service.name_zh} {service.name_en} - {office.name}"
    event.add("summary", f"【已取消 Cancelled】{summary}" if cancelled else summary)
    event.add("location", f"{office.name}, {office.address}")
    materials = "、".join(m for m, _ in _materials(service)) or "身份证"
    event.add(
        "description",
        "\n".join(
            filter(
                None,
                [
                    f"预约号 Reference: {booking.reference}",
                    f"状态 Status: {zh} / {en}",
                    f"地址 Address: {office.address}",
                    f"电话 Phone: {office.phone}" if office.phone else "",
                    f"请携带 Bring: {materials}",
                    f"取消截止 Cancel before: {cancel_deadline(booking.date).strftime('%Y-%m-%d %H:%M')}",
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
            f"明天 {booking.start} {office.name}：{service.name_zh}，预约号 {booking.reference}。"
            f" Tomorrow {booking.start}: {service.name_en}, reference {booking.reference}.",
        )
        event.add_component(alarm)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    ics: bytes = calendar.to_ical()
    return ics
