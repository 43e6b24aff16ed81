"""The black-box suite's own tools: a plain HTTP client (http.client, no proxies, a new connection per
request), problem+json assertions, GB 11643 ID numbers and mainland mobile numbers, SMS polling and
the local clock. Nothing here imports the product: the suite speaks to `python -m local` over HTTP.
"""

from __future__ import annotations

import http.client
import itertools
import json
import re
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote

PROBLEM_JSON = "application/problem+json"
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991
PASSWORD = "abc12345"

# ---------------------------------------------------------------- GB 11643-1999 resident ID numbers

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"


def with_check_character(first17: str) -> str:
    """The 18-character ID number: the 17 digits and their check character (ISO 7064 MOD 11-2)."""
    assert len(first17) == 17 and first17.isdigit(), first17
    return first17 + CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def id_number(region: str, born: date, sequence: int) -> str:
    """`region` the 6-digit county code, `sequence` 0-999 (its last digit odd for men, even for women)."""
    return with_check_character(f"{region}{born:%Y%m%d}{sequence:03d}")


REGIONS = ("440106", "440304", "460106", "440111", "440305", "460108")  # Tianhe, Futian, Longhua, Baiyun, ...
MOBILE_PREFIXES = ("139", "138", "186", "199")  # China Mobile, China Mobile, China Unicom, China Telecom
_serial = itertools.count(1)
_serial_lock = threading.Lock()


def _next() -> int:
    with _serial_lock:
        return next(_serial)


def new_adult_id() -> str:
    n = _next()
    return id_number(REGIONS[n % len(REGIONS)], date(1970, 1, 1) + timedelta(days=37 * n % 12000), n % 1000)


def new_minor_id(born: date) -> str:
    n = _next()
    return id_number("440106", born, n % 1000)


def new_phone() -> str:
    n = _next()
    return f"{MOBILE_PREFIXES[n % len(MOBILE_PREFIXES)]}{20000000 + n * 7 % 79999999:08d}"


NAMES = [
    "张伟",
    "王芳",
    "李娜",
    "刘洋",
    "陈静",
    "杨磊",
    "黄敏",
    "赵强",
    "周婷",
    "吴军",
    "徐丽",
    "孙杰",
    "马超",
    "朱琳",
    "胡斌",
    "郭燕",
]


def new_name() -> str:
    return NAMES[_next() % len(NAMES)]


def mask_ok(masked: str, full: str) -> bool:
    """ID numbers are shown as `440***********1234`: the first 3 and the last 4 characters."""
    return masked == full[:3] + "*" * (len(full) - 7) + full[-4:]


# ---------------------------------------------------------------- HTTP


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def __repr__(self) -> str:  # what a failed assertion shows
        return f"<Reply {self.status} {self.content_type} {self.body[:400]!r}>"


class SentNumbers:
    """Every ID number and phone the suite sent the server (in a body, a path or a query, in any
    writing: full-width, +86, spaces), in canonical form: the server's log must hold none of them
    (conftest.py reads the log when the session ends)."""

    ID = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9X](?![0-9A-Za-z])")
    PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])")

    def __init__(self) -> None:
        self.numbers: set[str] = set()
        self._lock = threading.Lock()

    def record(self, path: str, payload: bytes | None) -> None:
        text = unquote(path) + "\n" + (payload or b"").decode("utf-8", errors="replace")
        folded = unicodedata.normalize("NFKC", text).upper()
        # +86 138 1234 5678, 0086-138-..., 138 1234 5678: the digits of each run of digits, spaces, dashes
        runs = [re.sub(r"[\s\-]", "", run) for run in re.findall(r"\+?[0-9][0-9\s\-]{9,30}[0-9X]", folded)]
        runs = [r.removeprefix("+86").removeprefix("0086") if len(r) > 11 else r for r in runs]
        found = {m.group(0) for m in self.ID.finditer(folded)} | {m.group(0) for m in self.PHONE.finditer(folded)}
        found |= {r for r in runs if self.ID.fullmatch(r) or self.PHONE.fullmatch(r)}
        if found:
            with self._lock:
                self.numbers |= found

    def in_log(self, log: str) -> list[str]:
        """The numbers sent that the log holds whole, masked for the report (ASCII and full-width)."""
        full_width = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
        return sorted(f"{n[:3]}...{n[-4:]}" for n in self.numbers if n in log or n.translate(full_width) in log)


SENT = SentNumbers()


class Api:
    """A plain HTTP/1.1 client for the server at 127.0.0.1:`port`."""

    log_path = ""  # the server's log (stdout and stderr of `python -m local`), set by conftest.py
    clock_moves = 0  # POST /local/clock calls and the seconds they took (the summary shows them)
    clock_seconds = 0.0
    start_seconds = 0.0

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.host, self.port = host, port

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | str | None = None,
        content_type: str = "application/json",
        timeout: float = 60,
    ) -> Reply:
        """`body` is sent as JSON; `raw` as is (with `content_type`)."""
        send_headers = {"Accept": "application/json", "Connection": "close"}
        payload: bytes | None = None
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        elif raw is not None:
            payload = raw.encode("utf-8") if isinstance(raw, str) else raw
        if payload is not None:
            send_headers["Content-Type"] = content_type
        if token:
            send_headers["Authorization"] = f"Bearer {token}"
        send_headers.update(headers or {})
        SENT.record(path, payload)
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.request(method, path, body=payload, headers=send_headers)
            response = connection.getresponse()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("POST", path, body, **kw)

    # ------------------------------------------------------------ the local clock and SMS

    def now(self) -> datetime:
        reply = self.get("/local/clock")
        assert reply.status == 200, reply
        return datetime.fromisoformat(reply.json()["now"])

    def move_clock(self, instant: datetime) -> dict:
        """Forward only: moving to an instant already passed is a no-op here (tests may run in any order)."""
        if instant <= self.now():
            return {"fired": []}
        started = time.monotonic()
        reply = self.post("/local/clock", {"now": instant.isoformat()}, timeout=600)
        Api.clock_moves += 1
        Api.clock_seconds += time.monotonic() - started
        assert reply.status == 200, reply
        assert not reply.json()["failed"], reply
        return reply.json()

    def sms(self, phone: str) -> list[str]:
        reply = self.get(f"/local/sms?phone={phone}")
        assert reply.status == 200, reply
        return [m["message"] for m in reply.json()]

    def wait_sms(self, phone: str, matches: Callable[[str], bool], what: str, timeout: float = 30) -> str:
        """The newest SMS to `phone` that `matches`; SMS go out asynchronously (outbox, stream, queue)."""
        deadline = time.monotonic() + timeout
        delay = 0.02
        while True:
            for message in self.sms(phone):
                if matches(message):
                    return message
            if time.monotonic() > deadline:
                raise AssertionError(f"no SMS {what} to {phone} within {timeout}s: {self.sms(phone)}")
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    # ------------------------------------------------------------ logins

    def login(self, login: str, password: str) -> str:
        reply = self.post("/v1/sessions", {"login": login, "password": password})
        assert reply.status == 200, reply
        return reply.json()["token"]


CODE = re.compile(r"验证码是?(\d{6})|code (?:is )?(\d{6})")


@dataclass
class Citizen:
    name: str
    id_number: str
    phone: str
    password: str = PASSWORD
    account_id: str = ""
    token: str = ""
    extra: dict = field(default_factory=dict)


def register(api: Api, *, verify: bool = True, login: bool = True, content_type: str = "application/json") -> Citizen:
    """A new citizen: POST /v1/accounts, the code from /local/sms, POST /v1/accounts/verify, a session."""
    citizen = Citizen(new_name(), new_adult_id(), new_phone())
    reply = api.post(
        "/v1/accounts",
        {"name": citizen.name, "id_number": citizen.id_number, "phone": citizen.phone, "password": citizen.password},
        content_type=content_type,
    )
    assert reply.status == 201, reply
    assert reply.json()["phone_verified"] is False
    citizen.account_id = reply.json()["account_id"]
    if verify:
        verify_phone(api, citizen)
    if login:
        citizen.token = api.login(citizen.phone, citizen.password)
    return citizen


def sms_code(api: Api, phone: str, also: Callable[[str], bool] = lambda m: True) -> str:
    """The six-digit code of the newest SMS to `phone` carrying one (and matching `also`)."""
    message = api.wait_sms(phone, lambda m: CODE.search(m) is not None and also(m), "with a code")
    found = CODE.search(message)
    assert found
    return found.group(1) or found.group(2)


def verify_phone(api: Api, citizen: Citizen) -> None:
    code = sms_code(api, citizen.phone)
    reply = api.post("/v1/accounts/verify", {"id_number": citizen.id_number, "code": code})
    assert reply.status == 200, reply
    assert reply.json()["phone_verified"] is True


def register_many(api: Api, count: int, workers: int = 16) -> list[Citizen]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda _: register(api), range(count)))


def assert_problem(reply: Reply, status: int, code: str) -> dict:
    """An RFC 9457 problem with the contract's status and machine code."""
    assert reply.status == status, reply
    assert reply.content_type.split(";")[0].strip().lower() == PROBLEM_JSON, reply
    problem = reply.json()
    assert problem.get("code") == code, problem
    assert problem.get("status") == status, problem
    assert isinstance(problem.get("title"), str) and isinstance(problem.get("detail"), str), problem
    return problem


# ---------------------------------------------------------------- booking helpers


def availability(
    api: Api, office_id: str, service: str, start: date | str | None = None, end: date | str | None = None
) -> dict:
    """{date: {start: slot}} of the released slots."""
    query = f"service={service}"
    if start:
        query += f"&from={start}"
    if end:
        query += f"&to={end}"
    reply = api.get(f"/v1/offices/{office_id}/availability?{query}")
    assert reply.status == 200, reply
    return {day["date"]: {slot["start"]: slot for slot in day["slots"]} for day in reply.json()["days"]}


def past_the_caches(api: Api) -> None:
    """Move the local clock 2.5 s on: an availability answer may be up to ~2 s old (the stage cache's
    second, then the environment's), so what another request changed, or did not change, shows only in
    a read made after both have expired (both run on the local clock)."""
    api.move_clock(api.now() + timedelta(seconds=2.5))


def book(
    api: Api,
    citizen: Citizen,
    office_id: str,
    service: str,
    day: str | date,
    start: str,
    *,
    key: str | None = None,
    subject: str | None = None,
    acknowledged: bool = True,
) -> Reply:
    """POST /v1/bookings as a well-behaved client: a 429 is retried after its Retry-After (a few times)."""
    body: dict[str, Any] = {
        "office_id": office_id,
        "service_code": service,
        "date": str(day),
        "start": start,
        "notice_acknowledged": acknowledged,
    }
    if subject is not None:
        body["subject_id_number"] = subject
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    for _ in range(3):
        reply = api.post("/v1/bookings", body, token=citizen.token, headers=headers)
        if reply.status != 429:
            break
        time.sleep(min(float(reply.headers.get("retry-after") or 1), 10))
    return reply


def booked(api: Api, citizen: Citizen, office_id: str, service: str, day: str | date, start: str, **kw: Any) -> dict:
    reply = book(api, citizen, office_id, service, day, start, **kw)
    assert reply.status == 201, reply
    return reply.json()


def at(day: str | date, hhmm: str) -> datetime:
    """The instant `hhmm` (or `hh:mm:ss`) hall time on `day`."""
    d = date.fromisoformat(str(day))
    h, m, *s = (int(x) for x in hhmm.split(":"))
    return datetime(d.year, d.month, d.day, h, m, s[0] if s else 0, tzinfo=SHANGHAI)


def office_today(api: Api) -> date:
    return api.now().astimezone(SHANGHAI).date()
