"""R13: a confirmation people can use, through the gateway. Oracles from outside the code under test:
the QR code is read back with an independent decoder (zxing-cpp) from the SVG the page carries,
rasterised here; the calendar file is parsed with icalendar and its times checked against the slot."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
import zxingcpp
from icalendar import Calendar

from hallbook.clock import SHANGHAI
from tests.idnumbers import id_number
from tests.support import CHILD_SERVICE, auth, link_guardian, open_office, problem, registered

pytestmark = pytest.mark.R13
DAY = "2026-09-16"  # a Wednesday in the window at START
OFFICE_PHONE = "0755-83210000"


@pytest.fixture
def office(system):
    return open_office(system, capacity=3, phone=OFFICE_PHONE)


def svg_modules(svg: str) -> list[list[bool]]:
    """The dark modules of a QR code drawn as an SVG path of horizontal unit-width strokes (M, m, h)."""
    size = int(re.search(r'width="(\d+)"', svg).group(1))
    scale = int(re.search(r"scale\((\d+)\)", svg).group(1))
    d = re.search(r' d="([^"]+)"', svg).group(1)
    n = size // scale
    grid = [[False] * n for _ in range(n)]
    x = y = 0.0
    for command, args in re.findall(r"([A-Za-z])([^A-Za-z]*)", d):
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", args)]
        if command in "Mm":
            dx, dy = numbers
            x, y = (dx, dy) if command == "M" else (x + dx, y + dy)
        elif command == "h":
            [length] = numbers
            for column in range(int(x), int(x + length)):
                grid[int(y)][column] = True
            x += length
        else:
            raise AssertionError(f"unexpected SVG path command {command}")
    return grid


def decode_qr(svg: str) -> list[str]:
    grid = svg_modules(svg)
    pixel = 4
    width = len(grid) * pixel
    image = bytearray([255]) * (width * width)
    for row, cells in enumerate(grid):
        for column, dark in enumerate(cells):
            if dark:
                for dy in range(pixel):
                    start = (row * pixel + dy) * width + column * pixel
                    image[start : start + pixel] = bytes(pixel)
    return [b.text for b in zxingcpp.read_barcodes(memoryview(bytes(image)).cast("B", (width, width)))]


def page(citizen, booking_id: str, language: str | None = None):
    return _get(citizen, f"/v1/bookings/{booking_id}/confirmation", language)


def ics(citizen, booking_id: str, language: str | None = None):
    return _get(citizen, f"/v1/bookings/{booking_id}/calendar.ics", language)


def _get(citizen, path: str, language: str | None):
    headers = {**auth(citizen.token), **({"Accept-Language": language} if language else {})}
    return citizen.api.invoke("GET", path, headers=headers)


CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


def test_the_confirmation_shows_a_qr_of_the_reference_masked_name_office_phone_address_and_status(office):
    citizen = registered(office)  # 李四
    booking = citizen.book(DAY, start="09:30").json()
    r = page(citizen, booking["booking_id"])
    assert r.status == 200 and r.headers["content-type"].startswith("text/html")
    text = r.text
    [svg] = re.findall(r"<svg.*?</svg>", text, re.S)
    assert decode_qr(svg) == [booking["reference"]]  # what a hall's scanner reads
    assert "李*" in text and "李四" not in text  # the subject's name, masked
    assert citizen.id_number not in text and citizen.id_number[-4:] in text
    assert OFFICE_PHONE in text and "深圳市福田区测试路1号" in text
    assert "已预约" in text and "Booked" not in text and "已取消" not in text
    assert f"{DAY} 09:30-10:00" in text
    assert "Bring" not in text and '<html lang="zh-CN">' in text  # one language: the request's


def test_the_confirmation_is_entirely_in_english_when_asked_but_for_the_hall_s_address(office):
    citizen = registered(office)
    booking = citizen.book(DAY, start="09:30").json()
    text = page(citizen, booking["booking_id"], "en-US,en;q=0.9").text
    assert '<html lang="en">' in text and "Booked" in text and "Bring these materials" in text
    assert booking["reference"] in text and f"{DAY} 09:30-10:00" in text
    without_address = text.replace("深圳市福田区测试路1号", "").replace("李*", "")
    assert CJK.findall(re.sub(r"<svg.*?</svg>", "", without_address, flags=re.S)) == []
    [event] = Calendar.from_ical(ics(citizen, booking["booking_id"], "en").text).walk("VEVENT")
    description = str(event["description"])
    assert "Reference: " + booking["reference"] in description and "预约号" not in description
    assert not CJK.search(str(event["summary"]).replace("测试大厅", "")) and "Tomorrow" in str(
        event.walk("VALARM")[0]["description"]
    )


def test_a_cancelled_booking_says_cancelled_in_each_language_and_shows_no_qr(office):
    citizen = registered(office)
    booking = citizen.book(DAY).json()
    assert citizen.cancel(booking["booking_id"]).status == 200
    text = page(citizen, booking["booking_id"]).text
    assert "<svg" not in text  # nothing a scanner could take for a valid booking
    banner = text.index('<p class="cancelled"')
    assert banner < text.index('<p class="ref"')  # at the top, before anything else of the booking
    assert "此预约已取消，不能凭此办理" in text and re.search(r"<title>已取消", text)
    english = page(citizen, booking["booking_id"], "en").text
    assert "CANCELLED" in english and "not valid" in english and re.search(r"<title>Cancelled", english)


def test_the_calendar_entry_has_the_slots_times_the_office_and_a_reminder_the_day_before(office):
    citizen = registered(office)
    booking = citizen.book(DAY, start="09:30").json()
    r = ics(citizen, booking["booking_id"])
    assert r.status == 200 and r.headers["content-type"].startswith("text/calendar")
    assert booking["reference"] in r.headers["content-disposition"]
    calendar = Calendar.from_ical(r.text)
    [event] = calendar.walk("VEVENT")
    starts = datetime(2026, 9, 16, 9, 30, tzinfo=SHANGHAI)
    assert event.decoded("dtstart") == starts and event.decoded("dtend") == starts + timedelta(minutes=30)
    assert calendar.walk("VTIMEZONE")  # the zone travels with the file
    assert "深圳市福田区测试路1号" in str(event["location"]) and "测试大厅" in str(event["location"])
    assert booking["reference"] in str(event["description"]) and OFFICE_PHONE in str(event["description"])
    assert str(event["status"]) == "CONFIRMED" and str(event["uid"]).startswith(booking["booking_id"])
    [alarm] = event.walk("VALARM")
    reminder = starts + alarm.decoded("trigger")  # relative to the start
    assert reminder.date() == date(2026, 9, 15) and reminder < datetime(2026, 9, 15, 18, 0, tzinfo=SHANGHAI)

    assert citizen.cancel(booking["booking_id"]).status == 200
    [event] = Calendar.from_ical(ics(citizen, booking["booking_id"]).text).walk("VEVENT")
    assert str(event["status"]) == "CANCELLED" and event.walk("VALARM") == []
    assert str(event["uid"]).startswith(booking["booking_id"]) and int(event["sequence"]) == 1


def test_nobody_elses_booking_is_shown_it_answers_404_as_an_unknown_one(office):
    owner, stranger = registered(office), registered(office)
    booking = owner.book(DAY).json()
    for path in ("confirmation", "calendar.ics"):
        for booking_id in (booking["booking_id"], "0" * 32):
            body = problem(stranger.get(f"/v1/bookings/{booking_id}/{path}"), 404, "NOT_FOUND")
            assert booking["reference"] not in str(body)
    r = stranger.api.invoke("GET", f"/v1/bookings/{booking['booking_id']}/calendar.ics")
    problem(r, 401, "UNAUTHENTICATED")


def test_a_minors_confirmation_names_no_one_it_does_not_know(office):
    guardian = registered(office)
    child = id_number("440305", "20240101", "123")
    link_guardian(office, guardian, child)
    booking = guardian.book(DAY, start="10:00", service=CHILD_SERVICE, subject_id_number=child).json()
    text = page(guardian, booking["booking_id"]).text
    assert "未成年人" in text and "李*" not in text and child not in text and child[-4:] in text
