"""Issue 23 over HTTP against `python -m local` in its own process: R15a at the counter (recall, skip,
transfer, pause, resume, a counter named in full-width digits being the same counter) and the board
that follows; the phone line's reference look-up (misheard, lower-case, full-width), reschedule (R8a)
and re-sent SMS (three a day); who may use each route; guessed references. Walk-in tickets at a
`priority` hall need no clock move; the operator's booking is made on the first bookable day."""

from __future__ import annotations

import secrets
import time

import pytest
from blackbox_support import Api, assert_problem, availability, booked, register

HALL = "gz-zengcheng-licheng-ps"  # priority: walk-ins allowed
OTHER = "gz-tianhe-centre"
PASSWORD = "local-staff-pass"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


@pytest.fixture(scope="module")
def clerk(server: Api) -> str:
    token = server.login(f"staff@{HALL}", PASSWORD)
    while True:  # an empty queue at this hall, whatever earlier scenarios left today
        called = server.post(f"/v1/offices/{HALL}/queue/next", {"counter": "99"}, token=token)
        if called.status == 404:
            break
        server.post(f"/v1/offices/{HALL}/tickets/{called.json()['ticket_id']}/complete", token=token)
    return token


def desk(api: Api, token: str, path: str, body=None):
    return api.post(f"/v1/offices/{HALL}{path}", body, token=token)


def board(api: Api, shows, what: str, timeout: float = 3) -> dict:
    """The hall's board, polled as a screen polls it (past the stage cache's second) until it `shows`."""
    deadline = time.monotonic() + timeout
    while not shows(seen := api.get(f"/v1/offices/{HALL}/queue").json()):
        assert time.monotonic() < deadline, f"the board did not show {what} within {timeout:g} s: {seen}"
        time.sleep(0.2)
    return seen


@pytest.mark.R15a
def test_recall_skip_transfer_pause_and_resume_over_http(api: Api, clerk: str) -> None:
    tickets = [desk(api, clerk, "/tickets", {"service_code": "WALK_CONSULT"}).json() for _ in range(4)]
    first, second = tickets[0], tickets[1]
    called = desk(api, clerk, "/queue/next", {"counter": full_width("3")})
    assert called.status == 200 and called.json()["number"] == first["number"] and called.json()["counter"] == "3"
    recalled = desk(api, clerk, f"/tickets/{first['ticket_id']}/recall")
    assert recalled.status == 200 and recalled.json()["recalls"] == 1, recalled
    skipped = desk(api, clerk, f"/tickets/{first['ticket_id']}/skip")
    assert skipped.status == 200 and skipped.json()["status"] == "waiting", skipped
    order = [t["number"] for t in (*tickets[1:], first)]
    shown = board(api, lambda b: [w["number"] for w in b["waiting"]] == order, "the skipped ticket after three")
    assert all(c["number"] != first["number"] for c in shown["counters"])
    assert desk(api, clerk, "/queue/next", {"counter": "3"}).json()["number"] == second["number"]
    moved = desk(api, clerk, f"/tickets/{second['ticket_id']}/transfer", {"counter": full_width("5")})
    assert moved.status == 200 and moved.json()["for_counter"] == "5", moved
    assert_problem(desk(api, clerk, f"/tickets/{second['ticket_id']}/transfer", {}), 422, "VALIDATION_ERROR")
    paused = desk(api, clerk, f"/counters/{_quote(full_width('3'))}/pause")
    assert paused.status == 200 and paused.json() == {"office_id": HALL, "counter": "3", "paused": True}
    board(api, lambda b: {"counter": "3", "number": None, "paused": True} in b["counters"], "counter 3 paused")
    assert_problem(desk(api, clerk, "/queue/next", {"counter": "3"}), 409, "INVALID_STATE")
    assert desk(api, clerk, "/counters/3/resume").json()["paused"] is False
    assert desk(api, clerk, "/queue/next", {"counter": "5"}).json()["number"] == second["number"]
    assert_problem(desk(api, clerk, "/tickets/20300101-B999/recall"), 404, "NOT_FOUND")
    while (r := desk(api, clerk, "/queue/next", {"counter": "3"})).status == 200:  # leave the hall's queue empty
        desk(api, clerk, f"/tickets/{r.json()['ticket_id']}/complete")
    desk(api, clerk, f"/tickets/{second['ticket_id']}/complete")


@pytest.mark.R15a
@pytest.mark.parametrize(
    "path, body",
    [
        ("/tickets/20300101-B001/recall", None),
        ("/tickets/20300101-B001/skip", None),
        ("/tickets/20300101-B001/transfer", {"counter": "2"}),
        ("/counters/1/pause", None),
        ("/counters/1/resume", None),
    ],
)
def test_staff_of_another_hall_citizens_and_operators_may_not(api: Api, path: str, body) -> None:
    citizen = register(api)
    for token in (api.login(f"staff@{OTHER}", PASSWORD), citizen.token, api.login("operator", "local-operator-pass")):
        assert_problem(api.post(f"/v1/offices/{HALL}{path}", body, token=token), 403, "FORBIDDEN")
    assert_problem(api.post(f"/v1/offices/{HALL}{path}", body), 401, "UNAUTHENTICATED")


# ---------------------------------------------------------------- the phone line


@pytest.fixture(scope="module")
def call(server: Api) -> dict:
    days = availability(server, OTHER, "ID_RENEW")
    day = sorted(days)[0]
    starts = sorted(s for s, slot in days[day].items() if slot["remaining"] > 0)
    citizen = register(server)
    booking = booked(server, citizen, OTHER, "ID_RENEW", day, starts[0])
    return {"citizen": citizen, "booking": booking, "day": day, "later": starts[-1]}


@pytest.mark.R13
def test_a_reference_read_out_finds_the_booking_masked(api: Api, call: dict) -> None:
    operator = api.login("operator", "local-operator-pass")
    reference, citizen = call["booking"]["reference"], call["citizen"]
    for spoken in (reference.lower(), reference.replace("-", " ").replace("0", "O"), full_width(reference)):
        reply = api.get(f"/v1/operator/bookings?reference={_quote(spoken)}", token=operator)
        assert reply.status == 200, reply
        found = reply.json()
        assert found["booking"]["reference"] == reference and found["phone"].endswith(citizen.phone[-4:])
        assert citizen.phone not in reply.text and citizen.id_number not in reply.text
    assert_problem(api.get(f"/v1/operator/bookings?reference={reference}", token=citizen.token), 403, "FORBIDDEN")
    assert_problem(api.get(f"/v1/operator/bookings?reference={reference}"), 401, "UNAUTHENTICATED")


def test_guessed_references_find_nothing_and_show_in_the_audit(api: Api, call: dict) -> None:
    operator = api.login("operator", "local-operator-pass")
    guesses = ["".join(secrets.choice(CROCKFORD) for _ in range(8)) for _ in range(12)]
    for guess in guesses:
        assert_problem(api.get(f"/v1/operator/bookings?reference={guess}", token=operator), 404, "NOT_FOUND")
    admin = api.login("admin", "local-admin-pass")
    entries = api.get("/v1/audit?limit=100", token=admin).json()["entries"]
    misses = [e for e in entries if e["action"] == "operator.find_booking" and e["outcome"] == "NOT_FOUND"]
    assert len(misses) >= len(guesses)


@pytest.mark.R8a
@pytest.mark.R16
def test_the_operator_reschedules_and_re_sends_three_times_a_day(api: Api, call: dict) -> None:
    operator = api.login("operator", "local-operator-pass")
    reference, citizen = call["booking"]["reference"], call["citizen"]
    account = api.get(f"/v1/operator/bookings?reference={reference}", token=operator).json()["account_id"]
    base = f"/v1/operator/citizens/{account}/bookings/{call['booking']['booking_id']}"
    moved = api.post(
        f"{base}/reschedule",
        {"date": call["day"], "start": call["later"]},
        token=operator,
        headers={"Idempotency-Key": "bb-move-1"},
    )
    assert moved.status == 200 and moved.json()["start"] == call["later"], moved
    api.wait_sms(citizen.phone, lambda m: "已改至" in m and reference in m, "saying both times")
    for _ in range(3):
        assert api.post(f"{base}/confirmation-sms", token=operator).status == 202
    assert_problem(api.post(f"{base}/confirmation-sms", token=operator), 429, "RATE_LIMITED")
    assert_problem(api.post(f"{base}/confirmation-sms", token=citizen.token), 403, "FORBIDDEN")


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
