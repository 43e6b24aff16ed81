"""R15a at the counter through the gateway: each action's status, problem code and body, its audit
entry, the second skip's no-show written with R12's count and its SMS in one DynamoDB transaction,
the office's `skip_returns_after` read from the catalog, identity at check-in, and who may act. The
rules themselves (the order after a skip or a transfer, a paused counter, the board) are checked on the
in-memory hall day: tests/unit/test_counter_services.py."""

from __future__ import annotations

from datetime import datetime

import pytest

from hallbook.clock import now
from hallbook.domain.queue import Kind, Waiting, ahead_of, call_order, candidates
from hallbook.services import accounts
from hallbook.store import catalog
from tests.support import OFFICE, WALK_IN, auth, login, put_test_office, registered, release_days, sms_texts

DAY = "2026-09-15"  # tomorrow at START
OTHER = "other-hall"

pytestmark = pytest.mark.R15a


def at(hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{DAY}T{hhmm}:00+08:00")


@pytest.fixture
def hall(system, api):
    put_test_office(capacity=3)
    put_test_office(capacity=3, office_id=OTHER)
    release_days(3)
    release_days(3, office_id=OTHER)
    for office in (OFFICE, OTHER):
        accounts.create_staff_account(f"staff@{office}", "staff-pass-1", "staff", "窗口", office, now())
    return system


def staff(api, office=OFFICE) -> str:
    return login(api, f"staff@{office}", "staff-pass-1")


class Counter:
    """One clerk's console: the calls it makes, on the hall's API."""

    def __init__(self, api, token, office=OFFICE):
        self.api, self.token, self.office = api, token, office

    def post(self, path, body=None):
        return self.api.invoke("POST", f"/v1/offices/{self.office}{path}", headers=auth(self.token), body=body)

    def walk_in(self):
        return self.post("/tickets", {"service_code": WALK_IN}).json()

    def next(self, counter="1"):
        return self.post("/queue/next", {"counter": counter})

    def act(self, ticket_id, action, body=None):
        return self.post(f"/tickets/{ticket_id}/{action}", body)

    def board(self):
        return self.api.invoke("GET", f"/v1/offices/{self.office}/queue").json()


def waiting_numbers(desk: Counter) -> list[str]:
    return [w["number"] for w in desk.board()["waiting"]]


def audit_actions(api) -> list[dict]:
    accounts.create_staff_account("boss", "admin-pass-1", "admin", "管理员", None, now())
    admin = login(api, "boss", "admin-pass-1")
    return api.invoke("GET", "/v1/audit", headers=auth(admin), query={"date": DAY}).json()["entries"]


# ---------------------------------------------------------------- the rules (no AWS)


def test_a_held_ticket_comes_after_n_calls_or_when_nothing_else_waits():
    t = at("09:00")
    a = Waiting("a", "B001", Kind.WALK_IN, t, "1", held_until=3)
    b, c, d = (Waiting(x, f"B00{i}", Kind.WALK_IN, t, str(i)) for i, x in ((2, "b"), (3, "c"), (4, "d")))
    assert [w.number for w in call_order([a, b, c, d], calls=0)] == ["B002", "B003", "B004", "B001"]
    assert [w.number for w in call_order([a, b, c, d], calls=2)] == ["B002", "B001", "B003", "B004"]
    assert [w.number for w in call_order([a, b], calls=0)] == ["B002", "B001"]  # nothing else: it comes
    assert ahead_of("a", [a, b, c, d], 0) == 3 and ahead_of("zz", [a], 0) is None


def test_a_counters_own_transfers_come_first_within_their_kind_and_others_pass_them_by():
    t = at("09:00")
    booking = Waiting("a", "A001", Kind.BOOKING, t, "1")
    walk = Waiting("b", "B001", Kind.WALK_IN, t, "2")
    sent = Waiting("c", "B002", Kind.WALK_IN, t, "3", for_counter="5")
    assert [w.number for w in candidates([booking, walk, sent], 0, "5", set())] == ["A001", "B002", "B001"]
    assert [w.number for w in candidates([booking, walk, sent], 0, "2", set())] == ["A001", "B001"]
    assert [w.number for w in candidates([booking, walk, sent], 0, "2", {"5"})] == ["A001", "B001", "B002"]


# ---------------------------------------------------------------- recall


def test_recall_announces_the_called_ticket_again_and_is_audited(hall, api):
    system = hall
    system.clock.set(at("09:00"))
    desk = Counter(api, staff(api))
    ticket = desk.walk_in()
    assert desk.act(ticket["ticket_id"], "recall").json()["code"] == "INVALID_STATE"  # not called yet
    desk.next("3")
    seq = desk.board()["last_called"]["seq"]
    r = desk.act(ticket["ticket_id"], "recall")
    assert desk.board()["last_called"]["seq"] == seq + 1  # said again, even within the same second
    system.clock.set(at("09:02"))
    r = desk.act(ticket["ticket_id"], "recall")
    assert r.status == 200, r.text
    assert r.json()["recalls"] == 2 and r.json()["status"] == "called" and r.json()["counter"] == "3"
    board = desk.board()
    assert board["last_called"]["number"] == "B001" and board["last_called"]["called_at"].startswith(f"{DAY}T09:02")
    entries = [e for e in audit_actions(api) if e["action"] == "ticket.recall"]
    assert len(entries) == 3 and {e["outcome"] for e in entries} == {"ok", "INVALID_STATE"}
    assert all(e["actor_role"] == "staff" for e in entries)


# ---------------------------------------------------------------- skip


def test_the_office_sets_how_many_calls_a_skipped_ticket_waits(hall, api):
    office = catalog.load_catalog(max_age=0).offices[OFFICE]
    body = catalog.body_of(office)
    catalog.put_office({**body, "skip_returns_after": 1})
    catalog.invalidate_cache()
    hall.clock.set(at("09:00"))
    desk = Counter(api, staff(api))
    first = [desk.walk_in() for _ in range(3)][0]
    desk.next()
    desk.act(first["ticket_id"], "skip")
    assert waiting_numbers(desk) == ["B002", "B001", "B003"]


@pytest.mark.R12
def test_a_booking_ticket_skipped_twice_is_a_no_show_counted_only_then(hall, api):
    system = hall
    citizen = registered(system)
    booking = citizen.book(DAY, "09:00").json()
    system.clock.set(at("09:00"))
    desk = Counter(api, staff(api))
    checked = desk.post("/check-ins", {"reference": booking["reference"]}).json()
    tid = checked["ticket"]["ticket_id"]
    desk.next()
    r = desk.act(tid, "skip")
    assert r.status == 200 and r.json()["status"] == "waiting" and r.json()["skips"] == 1, r.text
    me = citizen.login().get("/v1/me").json()
    assert me["restrictions"]["no_shows_in_six_months"] == 0  # the first skip counts for nothing
    assert desk.next().json()["ticket_id"] == tid  # nothing else waits: it comes at once
    r = desk.act(tid, "skip")
    assert r.status == 200 and r.json()["status"] == "no_show", r.text
    mine = citizen.get(f"/v1/bookings/{booking['booking_id']}").json()
    assert mine["status"] == "no_show"
    assert citizen.get("/v1/me").json()["restrictions"]["no_shows_in_six_months"] == 1
    assert sms_texts(system, citizen.phone, booking["reference"])  # the no-show SMS, as the sweep sends


# ---------------------------------------------------------------- transfer


def test_transfer_to_a_service_and_its_refusals(hall, api):
    hall.clock.set(at("09:00"))
    desk = Counter(api, staff(api))
    ticket = desk.walk_in()
    desk.next("1")
    tid = ticket["ticket_id"]
    assert desk.act(tid, "transfer", {"service_code": "NOPE"}).json()["code"] == "NOT_FOUND"
    assert desk.act(tid, "transfer", {}).json()["code"] == "VALIDATION_ERROR"
    assert desk.act(tid, "transfer", {"counter": "2", "service_code": "ID_RENEW"}).json()["code"] == "VALIDATION_ERROR"
    r = desk.act(tid, "transfer", {"service_code": "ID_RENEW"})
    assert r.status == 200 and r.json()["service_code"] == "ID_RENEW" and r.json()["kind"] == "walk_in", r.text
    again = desk.next("2").json()
    assert again["ticket_id"] == tid and again["service_code"] == "ID_RENEW"
    r = desk.act(tid, "transfer", {"counter": "5"})
    assert r.status == 200 and r.json()["for_counter"] == "5" and r.json()["status"] == "waiting", r.text
    assert desk.act("20260915-B999", "transfer", {"counter": "2"}).json()["code"] == "NOT_FOUND"
    assert {"ticket.transfer"} <= {e["action"] for e in audit_actions(api)}


# ---------------------------------------------------------------- pause and resume


def test_pause_and_resume_through_the_gateway(hall, api):
    """The contract: the refusal's code, the counter's state, the board's row, the audit trail (the
    rules of a paused counter: tests/unit/test_counter_services.py)."""
    hall.clock.set(at("09:00"))
    desk = Counter(api, staff(api))
    ticket = desk.walk_in()
    desk.next("3")
    assert desk.post("/counters/3/pause").json()["code"] == "INVALID_STATE"  # serving B001
    desk.act(ticket["ticket_id"], "complete")
    r = desk.post("/counters/3/pause")
    assert r.status == 200 and r.json() == {"office_id": OFFICE, "counter": "3", "paused": True}, r.text
    assert desk.next("3").json()["code"] == "INVALID_STATE"
    assert desk.board()["counters"] == [{"counter": "3", "number": None, "paused": True}]
    assert desk.post("/counters/3/resume").json() == {"office_id": OFFICE, "counter": "3", "paused": False}
    actions = [e["action"] for e in audit_actions(api)]
    assert "counter.pause" in actions and "counter.resume" in actions


# ---------------------------------------------------------------- the board and identity


@pytest.mark.R14
@pytest.mark.R13
def test_check_in_shows_the_masked_identity_and_the_slot(hall, api):
    system = hall
    citizen = registered(system)  # 李四
    booking = citizen.book(DAY, "09:30").json()
    system.clock.set(at("09:10"))
    desk = Counter(api, staff(api))
    desk.walk_in()
    r = desk.post("/check-ins", {"reference": booking["reference"]})
    assert r.status == 201, r.text
    identity = r.json()["identity"]
    assert identity == {
        "name": "李*",
        "id_number": citizen.id_number[:3] + "*" * 11 + citizen.id_number[-4:],
        "booked_by": None,
        "date": DAY,
        "start": "09:30",
        "end": "10:00",
    }
    assert citizen.id_number not in r.text


# ---------------------------------------------------------------- who may


NEW_ROUTES = [
    ("/tickets/20260915-B001/recall", None),
    ("/tickets/20260915-B001/skip", None),
    ("/tickets/20260915-B001/transfer", {"counter": "2"}),
    ("/counters/1/pause", None),
    ("/counters/1/resume", None),
]


@pytest.mark.parametrize("path, body", NEW_ROUTES)
def test_staff_of_another_office_a_citizen_and_an_operator_are_refused(hall, api, path, body):
    citizen = registered(hall)
    accounts.create_staff_account("op1", "operator-pass-1", "operator", "话务员", None, now())
    for token in (staff(api, OTHER), citizen.token, login(api, "op1", "operator-pass-1")):
        r = api.invoke("POST", f"/v1/offices/{OFFICE}{path}", headers=auth(token), body=body)
        assert r.status == 403 and r.json()["code"] == "FORBIDDEN", r.text
    assert api.invoke("POST", f"/v1/offices/{OFFICE}{path}", body=body).status == 401
    hall.clock.set(at("09:00"))
    desk = Counter(api, staff(api))
    desk.walk_in()
    desk.next("9")
    assert desk.post(path, body).status == 200
