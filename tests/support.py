"""What API and race tests share: a small test hall, citizens who register and verify through the
API (reading their SMS code the way a person would), and booking calls."""

from __future__ import annotations

import itertools
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from threading import Barrier

from hallbook.clock import now
from hallbook.services.release import release_office
from hallbook.store import catalog
from local.gateway import Gateway
from tests.idnumbers import id_number

OFFICE = "test-hall"
SERVICE = "ID_RENEW"
CHILD_SERVICE = "HR_BIRTH"
WALK_IN = "WALK_CONSULT"
_sequence = itertools.count(1)


def put_test_office(
    capacity: int = 2, office_id: str = OFFICE, region: str = "shenzhen", mode: str = "priority", phone: str = ""
) -> None:
    """A hall whose every working day has two ID_RENEW slots and one HR_BIRTH slot."""
    catalog.put_region("shenzhen", "深圳", 14)
    catalog.put_region("guangzhou", "广州", 15)
    for code, zh, en, required in [
        (SERVICE, "身份证换领", "ID card renewal", True),
        (CHILD_SERVICE, "出生登记", "Birth registration", True),
        (WALK_IN, "窗口咨询", "Window consultation", False),
    ]:
        catalog.put_service(
            {
                "code": code,
                "name_zh": zh,
                "name_en": en,
                "appointment_required": required,
                "materials": ["居民身份证"],
                "materials_en": ["ID card"],
                "notice": "请准时到达",
                "minor_subject": code == CHILD_SERVICE,
            }
        )
    catalog.put_office(
        {
            "office_id": office_id,
            "name": "测试大厅",
            "name_en": "Test hall",
            "region": region,
            "district": "福田区",
            "address": "深圳市福田区测试路1号",
            "phone": phone,
            "mode": mode,
            "services": [SERVICE, CHILD_SERVICE, WALK_IN],
            "timetable": {
                SERVICE: [
                    {"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "09:30", "capacity": capacity},
                    {"days": [1, 2, 3, 4, 5], "start": "09:30", "end": "10:00", "capacity": capacity},
                ],
                CHILD_SERVICE: [{"days": [1, 2, 3, 4, 5], "start": "10:00", "end": "11:00", "capacity": 3}],
            },
        }
    )
    catalog.invalidate_cache()


def release_days(days: int = 16, office_id: str = OFFICE) -> None:
    today = now().date()
    release_office(office_id, [today + timedelta(days=i) for i in range(1, days + 1)])


def open_office(system, capacity: int = 3, days: int = 16, **office):
    """The test office (put_test_office) with its next `days` days released; `system`, for a fixture to return."""
    put_test_office(capacity=capacity, **office)
    release_days(days)
    return system


def sms_texts(system, phone: str, containing: str = "") -> list[str]:
    """The texts `phone` received (containing `containing`), once every pending message is delivered."""
    system.pump.drain()
    return [m["message"] for m in system.sms_messages(phone) if containing in m["message"]]


def count_dynamodb_calls(monkeypatch) -> list[str]:
    """The DynamoDB operations the embedded AWS serves from now on, by name (counted where they arrive)."""
    from moto.dynamodb.responses import DynamoHandler

    calls: list[str] = []
    original = DynamoHandler.call_action

    def counted(self):
        calls.append(str(self.headers.get("X-Amz-Target", "")).rpartition(".")[2])
        return original(self)

    monkeypatch.setattr(DynamoHandler, "call_action", counted)
    return calls


def next_working_day(after: int = 1) -> date:
    """The first Monday-to-Friday working day at least `after` days ahead (2026-09-15 from START)."""
    from hallbook.domain.calendar import WorkCalendar

    cal = WorkCalendar()
    day = now().date() + timedelta(days=after)
    while not (cal.is_working_day(day) and day.isoweekday() <= 5):
        day += timedelta(days=1)
    return day


def auth(token: str, key: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return headers


@dataclass
class Citizen:
    api: Gateway
    id_number: str
    phone: str
    password: str = "secret-pass-1"
    token: str = ""
    keys: itertools.count = field(default_factory=lambda: itertools.count(1))

    def book(
        self,
        day: date | str,
        start: str = "09:00",
        service: str = SERVICE,
        office: str = OFFICE,
        key: str | None = None,
        **extra,
    ):
        body = {
            "office_id": office,
            "service_code": service,
            "date": str(day),
            "start": start,
            "notice_acknowledged": True,
            **extra,
        }
        return self.api.invoke(
            "POST", "/v1/bookings", headers=auth(self.token, key or f"k{next(self.keys)}"), body=body
        )

    def cancel(self, booking_id: str):
        return self.api.invoke("POST", f"/v1/bookings/{booking_id}/cancel", headers=auth(self.token))

    def login(self) -> Citizen:
        r = self.api.invoke("POST", "/v1/sessions", body={"login": self.phone, "password": self.password})
        assert r.status == 200, r.json()
        self.token = r.json()["token"]
        return self

    def get(self, path: str, **query):
        return self.api.invoke("GET", path, headers=auth(self.token), query=query or None)


def new_identity(born: str = "19900101") -> tuple[str, str]:
    n = next(_sequence)
    return id_number("440305", born, f"{n % 1000:03d}"), f"139{n:08d}"


def sms_code(system, phone: str) -> str:
    system.pump.drain()
    for sms in system.sms_messages(phone):
        match = re.search(r"(\d{6})", sms["message"])
        if match and ("验证码" in sms["message"] or "code" in sms["message"]):
            return match.group(1)
    raise AssertionError(f"no code sent to {phone}")


def registered(system, born: str = "19900101", verify: bool = True, login: bool = True) -> Citizen:
    api = system.gateway
    idn, phone = new_identity(born)
    citizen = Citizen(api, idn, phone)
    r = api.invoke(
        "POST", "/v1/accounts", body={"name": "李四", "id_number": idn, "phone": phone, "password": citizen.password}
    )
    assert r.status == 201, r.json()
    if verify:
        r = api.invoke("POST", "/v1/accounts/verify", body={"id_number": idn, "code": sms_code(system, phone)})
        assert r.status == 200, r.json()
    return citizen.login() if login else citizen


def run_at_once(jobs):
    """Start every job at the same instant (a barrier); each one's result, or the exception it raised."""
    barrier = Barrier(len(jobs))

    def go(job):
        barrier.wait()
        try:
            return job()
        except Exception as error:  # noqa: BLE001 - a loser's answer
            return error

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(go, jobs))


def login(api: Gateway, login_name: str, password: str) -> str:
    """A session token for a staff, operator or administrator login."""
    r = api.invoke("POST", "/v1/sessions", body={"login": login_name, "password": password})
    assert r.status == 200, r.text
    return r.json()["token"]


def problem(r, status: int, code: str) -> dict:
    """Assert an RFC 9457 problem with the contract's code; its body."""
    assert r.status == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code and body["status"] == status and body["title"] and body["detail"]
    return body


def link_guardian(system, citizen: Citizen, minor_id_number: str) -> None:
    """R2: the fake real-name source lists the citizen as the minor's guardian; the link is then made
    through the API as a citizen would."""
    from local.identity import verifier

    verifier.add_guardian(minor_id_number, citizen.id_number)
    r = citizen.api.invoke(
        "POST", "/v1/guardian-links", headers=auth(citizen.token), body={"minor_id_number": minor_id_number}
    )
    assert r.status == 201 and r.json()["status"] == "active", r.text


def operator_books_and_cancels(api: Gateway, operator: str, citizen: Citizen, day: date, start: str, key: str) -> None:
    """The call centre finds `citizen` by ID number and phone, books OFFICE's SERVICE for them and cancels
    it again (an operator's cancellation: R11 counts it, R19 delays its place)."""
    found = api.invoke(
        "POST",
        "/v1/operator/citizen-lookups",
        headers=auth(operator),
        body={"id_number": citizen.id_number, "phone": citizen.phone},
    ).json()
    made = api.invoke(
        "POST",
        f"/v1/operator/citizens/{found['account_id']}/bookings",
        headers=auth(operator, key),
        body={
            "office_id": OFFICE,
            "service_code": SERVICE,
            "date": str(day),
            "start": start,
            "notice_acknowledged": True,
        },
    )
    assert made.status == 201, made.text
    cancelled = api.invoke(
        "POST",
        f"/v1/operator/citizens/{found['account_id']}/bookings/{made.json()['booking_id']}/cancel",
        headers=auth(operator),
    )
    assert cancelled.status == 200, cancelled.text
