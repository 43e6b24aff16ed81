"""R16: every SMS fits one billed segment - at most 70 characters with the signature (mainland
carriers bill 70 a message, 67 a segment beyond) - in Chinese and in English, with every value at
its longest real length: the longest office and service names of data/demo.json, a reference (always
9 characters), the longest short day, codes, masked names and ID numbers, the closure's longest
tracking-number sentence. Long particulars (address, materials) are on the booking's page instead."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from bench.sms import measure, segments
from hallbook.clock import SHANGHAI
from hallbook.domain.applications import KIND_NAMES
from hallbook.domain.identity import mask_id_number, mask_name, mask_phone
from hallbook.services import messages

pytestmark = pytest.mark.R16
LIMIT = 70
DEMO = json.loads((Path(__file__).resolve().parents[2] / "data" / "demo.json").read_text(encoding="utf-8"))
EXEMPT = {
    "proxy_copy",  # a copy for a family proxy wraps a whole SMS: billed to the proxy's phone only
    "identity_change_consent",  # not sent by any code yet: its `what` has no values to measure
}


def longest(values) -> str:
    return max(values, key=len)


OFFICE = longest(o["name"] for o in DEMO["offices"])
OFFICE_EN = longest(o.get("name_en", "") for o in DEMO["offices"])
BOOKABLE = [s for s in DEMO["services"] if s["appointment_required"]]
SERVICE = longest(s["name_zh"] for s in BOOKABLE)
SERVICE_EN = longest(s["name_en"] for s in BOOKABLE)
NAME = "买买提·艾合买提阿卜杜热合曼·阿不都热依木"  # a long Uyghur name as the ID card prints it
ID_NUMBER = "11010519491231002X"
LONGEST = {
    "reference": "K7M2-9QXH",
    "office_name": OFFICE,
    "office_name_en": OFFICE_EN,
    "address": longest(o["address"] for o in DEMO["offices"]),
    "service_name": SERVICE,
    "service_name_en": SERVICE_EN,
    "materials": "、".join(
        longest(
            (s["materials"] for s in BOOKABLE),
        )
    ),
    "materials_en": ", ".join(max((s.get("materials_en", []) for s in BOOKABLE), key=lambda m: len(", ".join(m)))),
    "date": "2026-12-31",
    "start": "09:00",
    "end": "09:30",
    "old_date": "2026-12-31",
    "old_start": "09:00",
    "old_office_name": OFFICE,
    "code": "123456",
    "minutes": 30,
    "why": "本月取消预约已达3次",
    "why_en": longest(("3 cancellations this month", "3 no-shows within 6 months")),
    "until": "2027-06-30",
    "count": 2,
    "left": 1,
    "last_day": "2026-12-31",
    "months": 6,
    "kind_name": longest(zh for zh, _ in KIND_NAMES.values()),
    "kind_name_en": longest(en for _, en in KIND_NAMES.values()),
    "how": "，证件已寄出（快递单号SF1234567890123），邮费到付",
    "how_en": "; the permit is posted (tracking number SF1234567890123), postage paid on delivery",
    "reason": "停" * 60,
    "guardian": mask_name(NAME),
    "proxy": mask_name(NAME),
    "citizen": mask_name(NAME),
    "proxy_phone": mask_phone("13812345678"),
    "minor": mask_id_number(ID_NUMBER),
    "id_number": mask_id_number(ID_NUMBER),
    "source": "大厅核验户口簿",
    "bookings": 12,
    "waitlist": "，已为您登记候补",
    "waitlist_en": "; you are on the waitlist",
    "new_phone": mask_phone("13812345678"),
}
# a value another template names differently
OVERRIDES = {"phone_changed_new": {"how": "ID card checked at a hall"}}
UNTIL_HHMM = {"waitlist_offer", "waitlist_timed_out"}  # their `until` is a time of day
NOW = datetime(2026, 12, 30, 16, 0, tzinfo=SHANGHAI)


def rendered(template: str, lang: str) -> str:
    params = {**LONGEST, **({"until": "21:30"} if template in UNTIL_HHMM else {}), **OVERRIDES.get(template, {})}
    return messages.message("id", template, "13812345678", lang, NOW, **params).text


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("template", sorted(set(messages.templates()) - EXEMPT))
def test_every_template_fits_one_segment_with_its_longest_values(template, lang):
    text = rendered(template, lang)
    assert "{" not in text and "}" not in text, text
    assert len(text) <= LIMIT, f"{template}/{lang}: {len(text)} characters: {text}"
    assert text.startswith("【政务大厅预约】" if lang == "zh" else "[Hall booking]")


@pytest.mark.parametrize("template", ["booked", "reminder", "rescheduled", "cancelled"])
def test_a_booking_sms_leaves_the_long_particulars_to_the_booking_page(template):
    for lang in ("zh", "en"):
        text = rendered(template, lang)
        assert LONGEST["address"] not in text and LONGEST["materials"] not in text
        assert LONGEST["reference"] in text


def test_english_is_english_and_chinese_is_chinese():
    for template in set(messages.templates()) - EXEMPT:
        english = rendered(template, "en")
        for name in ("guardian", "proxy", "citizen"):  # a person's name is written as it is
            english = english.replace(messages.short_name(LONGEST[name]), "")
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in english), (template, english)


def test_a_booking_and_its_reminder_cost_two_segments():
    assert segments("x" * 70) == 1 and segments("x" * 71) == 2 and segments("x" * 135) == 3
    assert measure() == {
        "sms_segments_per_booking": 2.0,
        "sms_segments_per_booking_en": 2.0,
        "sms_services_measured": len([s for s in BOOKABLE if any(s["code"] in o["services"] for o in DEMO["offices"])]),
    }
