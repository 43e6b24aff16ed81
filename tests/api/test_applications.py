"""R17 online residence-permit applications through the gateway and the embedded AWS: permits (admin,
audited), the problems' bodies, one open application per permit and kind (DynamoDB's lock, under a
race), presigned uploads into the bucket (what S3's policy refuses, what moto alone would not),
submission's HeadObject, staff of the permit's office only, decisions with their SMS through the
stream, collection at the window under the booking rules and capacity or by mail, completion (a
renewal extends the permit in the same transaction), the lists by DynamoDB's keys, and local mode's
demo. The services' rules themselves (each kind's eligibility edges, every step legal and illegal in
every state, who may act, the texts) are tests/unit/test_application_services.py's, on the fake."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta

import boto3
import pytest
import requests

from hallbook.clock import now
from hallbook.domain.applications import MAX_UPLOAD_BYTES
from hallbook.services import accounts
from hallbook.services.seed import DEMO_CITIZEN_PASSWORD, DEMO_PERMITS
from hallbook.store import catalog
from hallbook.store import permits as permit_store
from hallbook.store.uploads import object_key
from local.template import REGION
from tests.support import auth, login, problem, registered, release_days, run_at_once

pytestmark = [pytest.mark.R17]

PERMIT_OFFICE = "hk-test-ps"
OTHER_PERMIT_OFFICE = "hk-other-ps"
TODAY = date(2026, 9, 14)  # START, a Monday, 09:00
DAY = "2026-09-15"  # tomorrow, a working Tuesday
RENEWAL_MATERIALS = ["residence_permit", "id_card", "eligibility_proof"]
_numbers = iter(range(1, 10_000))


def put_permit_office(office_id: str = PERMIT_OFFICE, capacity: int = 1) -> None:
    """A Haikou police station doing residence-permit business; RP_COLLECT at 09:00 (capacity
    `capacity`) and 09:30 (2 places) on weekdays."""
    catalog.put_region("haikou", "海口", 14)
    for code, zh in [
        ("RP_RENEW", "居住证签注（续签）"),
        ("RP_CHANGE", "居住证登记信息变更"),
        ("RP_REPLACE", "居住证丢失补领、损坏换领"),
        ("RP_COLLECT", "居住证窗口领证"),
    ]:
        catalog.put_service(
            {
                "code": code,
                "name_zh": zh,
                "name_en": code,
                "appointment_required": True,
                "materials": ["居民身份证"],
                "materials_en": ["ID card"],
                "notice": "请准时到达",
            }
        )
    catalog.put_office(
        {
            "office_id": office_id,
            "name": "测试派出所",
            "name_en": "Test police station",
            "region": "haikou",
            "district": "龙华区",
            "address": "海口市龙华区测试路1号",
            "mode": "priority",
            "services": ["RP_RENEW", "RP_CHANGE", "RP_REPLACE", "RP_COLLECT"],
            "timetable": {
                "RP_COLLECT": [
                    {"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "09:30", "capacity": capacity},
                    {"days": [1, 2, 3, 4, 5], "start": "09:30", "end": "10:00", "capacity": 2},
                ]
            },
        }
    )
    catalog.invalidate_cache()


@pytest.fixture
def permit_offices(system):
    put_permit_office()
    put_permit_office(OTHER_PERMIT_OFFICE, capacity=5)
    release_days(office_id=PERMIT_OFFICE)
    return system


class Tokens:
    """Tokens from logins at the clock's current instant."""

    def __init__(self, api):
        self.api = api
        accounts.create_staff_account("admin", "admin-pass-1", "admin", "管理员", None, now())
        for office in (PERMIT_OFFICE, OTHER_PERMIT_OFFICE):
            accounts.create_staff_account(f"staff@{office}", "staff-pass-1", "staff", "民警", office, now())

    @property
    def admin(self) -> str:
        return login(self.api, "admin", "admin-pass-1")

    def staff(self, office: str = PERMIT_OFFICE) -> str:
        return login(self.api, f"staff@{office}", "staff-pass-1")


@pytest.fixture
def tokens(permit_offices, api):
    return Tokens(api)


def put_permit(api, tokens, holder, valid_until: date | str = "2026-10-01", office=PERMIT_OFFICE, number=None, **extra):
    number = number or f"HK{next(_numbers):010d}"
    body = {
        "holder_id_number": holder.id_number,
        "office_id": office,
        "address": "海口市龙华区金贸西路20号501",
        "valid_until": str(valid_until),
        "last_endorsed": "2025-10-01",
        **extra,
    }
    r = api.invoke("PUT", f"/v1/permits/{number}", headers=auth(tokens.admin), body=body)
    assert r.status in (200, 201), r.text
    return number


def apply(api, citizen, number, kind="renewal", **fields):
    return api.invoke(
        "POST", "/v1/applications", headers=auth(citizen.token), body={"kind": kind, "permit_number": number, **fields}
    )


def upload(form: dict, data: bytes = b"\xff\xd8jpeg-bytes", **fields):
    """POST the presigned form the way a browser or curl would: its fields, then the file."""
    sent = {**form["fields"], **fields}
    return requests.post(form["url"], data=sent, files={"file": ("photo", data, sent.get("Content-Type"))}, timeout=10)


def call(api, token, step: str, application_id: str, body=None):
    return api.invoke("POST", f"/v1/applications/{application_id}/{step}", headers=auth(token), body=body or {})


@pytest.fixture
def renewal(permit_offices, tokens, api):
    """A citizen whose permit expires on 2026-10-01 (the renewal month is open) and their draft renewal."""
    citizen = registered(permit_offices)
    number = put_permit(api, tokens, citizen)
    r = apply(api, citizen, number)
    assert r.status == 201, r.text
    return citizen, number, r.json()


def submitted(api, citizen, application: dict) -> dict:
    for form in application["uploads"]:
        assert upload(form).status_code == 204
    r = call(api, citizen.token, "submit", application["application_id"])
    assert r.status == 200, r.text
    return r.json()


def approved(api, tokens, citizen, application: dict) -> dict:
    submitted(api, citizen, application)
    staff = tokens.staff()
    assert call(api, staff, "review", application["application_id"]).status == 200
    r = call(api, staff, "decision", application["application_id"], {"approve": True})
    assert r.status == 200, r.text
    return r.json()


def approved_change(api, tokens, citizen) -> str:
    """The citizen's change of address (a permit valid to 2027-06-30) applied for and approved: its id."""
    number = put_permit(api, tokens, citizen, "2027-06-30")
    application = apply(
        api, citizen, number, "change", change_date="2026-09-01", address="海口市美兰区海甸五西路8号2单元302"
    ).json()
    approved(api, tokens, citizen, application)
    return application["application_id"]


def counter_collection(api, tokens, renewal) -> tuple[str, dict]:
    """The renewal approved and its collection chosen at PERMIT_OFFICE's counter, DAY 09:30: its id and collection."""
    citizen, _, application = renewal
    approved(api, tokens, citizen, application)
    app_id = application["application_id"]
    return app_id, call(
        api,
        citizen.token,
        "collection",
        app_id,
        {"method": "window", "office_id": PERMIT_OFFICE, "date": DAY, "start": "09:30"},
    ).json()["collection"]


# ---------------------------------------------------------------- permits (admin, audited)


def test_admin_registers_a_permit_audited_and_the_holder_sees_it(tokens, permit_offices, api):
    citizen = registered(permit_offices)
    body = {
        "holder_id_number": citizen.id_number,
        "office_id": PERMIT_OFFICE,
        "address": "海口市龙华区金贸西路20号501",
        "valid_until": "2026-10-01",
        "last_endorsed": "2025-10-01",
    }
    r = api.invoke("PUT", "/v1/permits/hk2025000009", headers=auth(tokens.admin), body=body)
    assert r.status == 201, r.text
    permit = r.json()
    assert (
        permit["number"] == "HK2025000009"
        and permit["holder_id_number"] == citizen.id_number[:3] + "*" * 11 + citizen.id_number[-4:]
    )
    assert permit["renewal_window"] == {"opens": "2026-09-02", "closes": "2026-10-01"}
    r = api.invoke(
        "PUT", "/v1/permits/HK2025000009", headers=auth(tokens.admin), body={**body, "address": "海口市新地址8号"}
    )
    assert r.status == 200 and r.json()["address"] == "海口市新地址8号"

    mine = citizen.get("/v1/permits").json()["permits"]
    assert [p["number"] for p in mine] == ["HK2025000009"] and mine[0]["address"] == "海口市新地址8号"
    assert registered(permit_offices).get("/v1/permits").json()["permits"] == []

    entries = api.invoke("GET", "/v1/audit", headers=auth(tokens.admin)).json()["entries"]
    changed, created = entries[:2]
    assert (created["action"], created["target"], created["before"]) == ("permit.put", "PERMIT#HK2025000009", None)
    assert (
        changed["before"]["address"] == "海口市龙华区金贸西路20号501"
        and changed["after"]["address"] == "海口市新地址8号"
    )
    assert citizen.id_number not in str(entries) and created["after"]["holder_id_number"].startswith("440***")


@pytest.mark.parametrize("role", ["citizen", "staff"])
def test_only_admins_register_permits(tokens, permit_offices, api, role):
    citizen = registered(permit_offices)
    token = citizen.token if role == "citizen" else tokens.staff()
    r = api.invoke(
        "PUT",
        "/v1/permits/HK2025000009",
        headers=auth(token),
        body={
            "holder_id_number": citizen.id_number,
            "office_id": PERMIT_OFFICE,
            "address": "海口市龙华区1号楼",
            "valid_until": "2026-10-01",
        },
    )
    problem(r, 403, "FORBIDDEN")


@pytest.mark.parametrize(
    "change, field",
    [
        ({"holder_id_number": "460106199003152311"}, "holder_id_number"),  # wrong check digit: the field named
        ({"office_id": "nowhere"}, None),
    ],
)  # the problem bodies; every rule's variation: tests/unit/test_permit_services.py
def test_permit_registration_is_validated(tokens, permit_offices, api, change, field):
    citizen = registered(permit_offices)
    body = {
        "holder_id_number": citizen.id_number,
        "office_id": PERMIT_OFFICE,
        "address": "海口市龙华区1号楼",
        "valid_until": "2026-10-01",
        **change,
    }
    r = api.invoke("PUT", "/v1/permits/HK2025000009", headers=auth(tokens.admin), body=body)
    if field is None:
        problem(r, 404, "NOT_FOUND")
    else:
        assert problem(r, 422, "VALIDATION_ERROR")["field"] == field


# ---------------------------------------------------------------- eligibility at the edges (today is 2026-09-14)


def test_a_renewal_outside_its_month_is_not_eligible_with_the_window_in_the_problem(tokens, permit_offices, api):
    """NOT_ELIGIBLE's body (each edge of the month, and the other kinds' rules: tests/unit/test_application_services.py)."""
    citizen = registered(permit_offices)
    body = problem(apply(api, citizen, put_permit(api, tokens, citizen, "2026-09-13")), 409, "NOT_ELIGIBLE")
    assert (body["window_opens"], body["window_closes"]) == ("2026-08-14", "2026-09-13")
    assert "2026-08-14至2026-09-13" in body["detail"]


def test_a_change_and_a_replacement_answer_their_details_and_materials(tokens, permit_offices, api):
    citizen = registered(permit_offices)
    number = put_permit(api, tokens, citizen, "2027-06-30")
    fields = {"change_date": "2026-08-15", "address": "海口市美兰区海甸五西路8号", "employer": "海口某公司"}
    r = apply(api, citizen, number, "change", **fields)
    assert r.status == 201, r.text
    assert r.json()["details"] == fields and [m["code"] for m in r.json()["materials"]] == ["change_proof"]
    damaged = apply(api, citizen, number, "replacement", reason="damaged").json()
    assert [(m["code"], m["required"]) for m in damaged["materials"]] == [("damaged_permit", False)]
    assert [u["material"] for u in damaged["uploads"]] == ["damaged_permit"]


def test_only_a_citizen_with_a_confirmed_phone_applies(tokens, permit_offices, api):
    owner = registered(permit_offices)
    number = put_permit(api, tokens, owner)
    problem(apply(api, registered(permit_offices), number), 404, "NOT_FOUND")
    unverified = registered(permit_offices, verify=False)
    problem(apply(api, unverified, put_permit(api, tokens, unverified)), 403, "PHONE_NOT_VERIFIED")
    problem(
        api.invoke(
            "POST", "/v1/applications", headers=auth(tokens.staff()), body={"kind": "renewal", "permit_number": number}
        ),
        403,
        "FORBIDDEN",
    )
    problem(apply(api, owner, number, "upgrade"), 422, "VALIDATION_ERROR")


# ---------------------------------------------------------------- one open application per permit and kind


def test_one_open_application_per_permit_and_kind(renewal, tokens, api, permit_offices):
    citizen, number, first = renewal
    body = problem(apply(api, citizen, number), 409, "NOT_ELIGIBLE")
    assert body["open_application_id"] == first["application_id"]
    assert apply(api, citizen, number, "replacement", reason="lost").status == 201  # another kind
    assert call(api, citizen.token, "withdraw", first["application_id"]).json()["state"] == "withdrawn"
    assert apply(api, citizen, number).status == 201  # free again


def test_concurrent_applications_open_exactly_one(tokens, permit_offices, api):
    citizen = registered(permit_offices)
    number = put_permit(api, tokens, citizen)
    results = run_at_once([lambda: apply(api, citizen, number) for _ in range(4)])
    assert sorted(r.status for r in results) == [201, 409, 409, 409]
    assert len(citizen.get("/v1/applications").json()["applications"]) == 1


# ---------------------------------------------------------------- uploads (presigned POST) and submission


def test_each_material_gets_a_presigned_post_for_its_key_type_and_size(renewal):
    _, _, application = renewal
    forms = application["uploads"]
    assert [f["material"] for f in forms] == RENEWAL_MATERIALS
    form = forms[0]
    assert form["url"].endswith("/UploadsBucket") and form["max_bytes"] == MAX_UPLOAD_BYTES == 5 * 1024 * 1024
    assert form["fields"]["key"] == object_key(application["application_id"], "residence_permit")
    assert form["fields"]["Content-Type"] == "image/jpeg" and form["expires_in"] == 900
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    assert {"Content-Type": "image/jpeg"} in policy["conditions"]
    assert ["content-length-range", 1, MAX_UPLOAD_BYTES] in policy["conditions"]


def test_an_upload_outside_the_policy_is_refused(renewal):
    """What S3 refuses, local mode refuses too (local/s3post.py, since moto checks nothing)."""
    _, _, application = renewal
    form = application["uploads"][0]
    wrong_type = upload(form, b"<html>", **{"Content-Type": "text/html"})
    assert wrong_type.status_code == 403 and "Policy Condition failed" in wrong_type.text
    assert "$Content-Type" in wrong_type.text
    too_big = upload(form, b"\0" * (MAX_UPLOAD_BYTES + 1))
    assert too_big.status_code == 400 and "EntityTooLarge" in too_big.text
    assert upload(form, b"").status_code == 400  # EntityTooSmall
    other_key = upload(form, key=object_key(application["application_id"], "id_card"))
    assert other_key.status_code == 403 and "Policy Condition failed" in other_key.text
    forged = upload(form, **{"x-amz-signature": "0" * 64})
    assert forged.status_code == 403 and "SignatureDoesNotMatch" in forged.text
    extra = upload(form, **{"x-amz-meta-note": "hi"})
    assert extra.status_code == 403 and "Extra input fields" in extra.text
    assert upload(form, b"\0" * MAX_UPLOAD_BYTES).status_code == 204  # exactly the limit


def test_moto_alone_enforces_none_of_the_policy_so_submission_checks_type_and_size(renewal, api, monkeypatch):
    """moto 5.2.5 stores a POST upload whatever its policy says: a wrong Content-Type, a file above
    content-length-range, another key, a forged signature. Submission's HeadObject catches the type
    and the size (S3 itself would have refused the upload)."""
    from moto.s3.responses import S3Response

    citizen, _, application = renewal
    monkeypatch.setattr(S3Response, "_bucket_response_post", S3Response._bucket_response_post.__wrapped_moto__)
    permit_form, id_form, proof_form = application["uploads"]
    assert upload(permit_form, b"<html>", **{"Content-Type": "text/html"}).status_code == 204
    assert upload(id_form, b"\0" * (MAX_UPLOAD_BYTES + 1)).status_code == 204
    assert upload(proof_form, **{"x-amz-signature": "0" * 64}).status_code == 204
    r = call(api, citizen.token, "submit", application["application_id"])
    assert problem(r, 422, "VALIDATION_ERROR")["invalid"] == ["residence_permit", "id_card"]

    monkeypatch.undo()  # with S3's checks: upload correct ones again
    for form in (permit_form, id_form):
        assert upload(form).status_code == 204
    assert call(api, citizen.token, "submit", application["application_id"]).json()["state"] == "submitted"


def test_submission_needs_every_required_material(renewal, api):
    citizen, _, application = renewal
    assert upload(application["uploads"][0]).status_code == 204
    r = call(api, citizen.token, "submit", application["application_id"])
    assert problem(r, 422, "VALIDATION_ERROR")["missing"] == ["id_card", "eligibility_proof"]
    pdf = call(
        api,
        citizen.token,
        "uploads",
        application["application_id"],
        {"material": "eligibility_proof", "content_type": "application/pdf"},
    )
    assert pdf.status == 201 and pdf.json()["fields"]["Content-Type"] == "application/pdf"
    assert upload(pdf.json(), b"%PDF-1.7").status_code == 204
    assert upload(application["uploads"][1]).status_code == 204
    done = call(api, citizen.token, "submit", application["application_id"]).json()
    assert done["state"] == "submitted" and done["submitted_at"]
    uploaded = {m["code"]: m["uploaded"] for m in done["materials"]}
    assert uploaded["eligibility_proof"] == {"content_type": "application/pdf", "size": 8}
    assert all("download_url" not in m or m["download_url"] is None for m in done["materials"])
    problem(
        call(api, citizen.token, "uploads", application["application_id"], {"material": "id_card"}),
        409,
        "INVALID_STATE",
    )  # no uploads once submitted
    problem(
        call(api, citizen.token, "uploads", application["application_id"], {"material": "damaged_permit"}),
        422,
        "VALIDATION_ERROR",
    )


# ---------------------------------------------------------------- steps (every legal and illegal one in every state: tests/unit)

STEPS = {  # step -> (role, body)
    "submit": ("citizen", None),
    "withdraw": ("citizen", None),
    "review": ("staff", None),
    "decision/approve": ("staff", {"approve": True}),
    "decision/reject": ("staff", {"approve": False, "reason": "材料不清晰"}),
    "collection": (
        "citizen",
        {"method": "mail", "name": "张三", "address": "海口市美兰区海甸五西路8号", "phone": "13812345678"},
    ),
    "complete": ("staff", None),
}


def test_two_staff_deciding_at_once_one_wins(renewal, tokens, api):
    citizen, _, application = renewal
    submitted(api, citizen, application)
    staff = tokens.staff()
    assert call(api, staff, "review", application["application_id"]).status == 200
    results = run_at_once(
        [
            lambda: call(api, staff, "decision", application["application_id"], {"approve": True}),
            lambda: call(
                api, staff, "decision", application["application_id"], {"approve": False, "reason": "材料不全"}
            ),
        ]
    )
    assert sorted(r.status for r in results) == [200, 409]


# ---------------------------------------------------------------- who sees what


def test_a_citizen_never_sees_anothers_application_or_materials(renewal, permit_offices, api):
    owner, _, application = renewal
    submitted(api, owner, application)
    stranger = registered(permit_offices)
    app_id = application["application_id"]
    problem(stranger.get(f"/v1/applications/{app_id}"), 404, "NOT_FOUND")
    assert stranger.get("/v1/applications").json()["applications"] == []
    problem(call(api, stranger.token, "withdraw", app_id), 404, "NOT_FOUND")  # every step: tests/unit
    mine = owner.get(f"/v1/applications/{app_id}").json()
    assert all(m.get("download_url") is None for m in mine["materials"])  # nor URLs to the citizen's own
    assert mine["applicant_id_number"] == owner.id_number[:3] + "*" * 11 + owner.id_number[-4:]


def test_staff_of_the_permit_office_only(renewal, tokens, permit_offices, api):
    citizen, _, application = renewal
    submitted(api, citizen, application)
    app_id = application["application_id"]
    other = tokens.staff(OTHER_PERMIT_OFFICE)
    problem(call(api, other, "review", app_id), 403, "FORBIDDEN")
    problem(call(api, other, "decision", app_id, {"approve": True}), 403, "FORBIDDEN")
    problem(api.invoke("GET", f"/v1/offices/{PERMIT_OFFICE}/applications", headers=auth(other)), 403, "FORBIDDEN")
    problem(
        api.invoke("GET", f"/v1/offices/{OTHER_PERMIT_OFFICE}/applications/{app_id}", headers=auth(other)),
        404,
        "NOT_FOUND",
    )
    problem(call(api, citizen.token, "review", app_id), 403, "FORBIDDEN")
    problem(
        api.invoke("GET", f"/v1/offices/{PERMIT_OFFICE}/applications", headers=auth(citizen.token)), 403, "FORBIDDEN"
    )

    r = call(api, tokens.staff(), "review", app_id)
    assert r.status == 200 and r.json()["state"] == "under_review"
    urls = {m["code"]: m["download_url"] for m in r.json()["materials"]}
    assert set(urls) == set(RENEWAL_MATERIALS) and all("X-Amz-Signature" in u for u in urls.values())
    got = requests.get(urls["id_card"], timeout=10)
    assert got.status_code == 200 and got.content == b"\xff\xd8jpeg-bytes"
    assert call(api, tokens.admin, "decision", app_id, {"approve": True}).status == 200  # admins act for any office


# ---------------------------------------------------------------- decisions and their SMS


def test_a_rejection_needs_a_reason_and_is_told_by_sms(renewal, tokens, permit_offices, api):
    citizen, number, application = renewal
    submitted(api, citizen, application)
    staff = tokens.staff()
    call(api, staff, "review", application["application_id"])
    problem(call(api, staff, "decision", application["application_id"], {"approve": False}), 422, "VALIDATION_ERROR")
    r = call(api, staff, "decision", application["application_id"], {"approve": False, "reason": "居住证明材料已过期"})
    assert r.status == 200 and r.json()["state"] == "rejected"
    assert r.json()["decision"]["approved"] is False and r.json()["decision"]["reason"] == "居住证明材料已过期"
    permit_offices.pump.drain()
    sms = permit_offices.sms_messages(citizen.phone)[0]["message"]
    assert "未通过审核" in sms and "居住证明材料已过期" in sms and application["reference"] in sms
    assert apply(api, citizen, number).status == 201  # a rejection frees the permit


def test_approval_is_told_by_sms(renewal, tokens, permit_offices, api):
    citizen, _, application = renewal
    body = approved(api, tokens, citizen, application)
    assert body["state"] == "approved" and body["decision"]["approved"] is True
    permit_offices.pump.drain()
    assert "已审核通过" in permit_offices.sms_messages(citizen.phone)[0]["message"]


# ---------------------------------------------------------------- collection


def availability(api, day=DAY):
    r = api.invoke(
        "GET", f"/v1/offices/{PERMIT_OFFICE}/availability", query={"service": "RP_COLLECT", "from": day, "to": day}
    )
    return {s["start"]: s["remaining"] for s in r.json()["days"][0]["slots"]}


def test_counter_collection_books_under_the_same_rules_and_capacity(renewal, tokens, permit_offices, api):
    citizen, number, application = renewal
    approved(api, tokens, citizen, application)
    app_id = application["application_id"]
    someone = registered(permit_offices)  # takes the only 09:00 place with an ordinary booking
    assert someone.book(DAY, "09:00", service="RP_COLLECT", office=PERMIT_OFFICE).status == 201

    at_counter = {"method": "window", "office_id": PERMIT_OFFICE, "date": DAY, "start": "09:00"}
    problem(
        call(api, citizen.token, "collection", app_id, at_counter), 409, "SLOT_FULL"
    )  # the other refusals: tests/unit
    assert citizen.get(f"/v1/applications/{app_id}").json()["state"] == "approved"

    r = call(api, citizen.token, "collection", app_id, {**at_counter, "start": "09:30"})
    assert r.status == 200, r.text
    collection = r.json()["collection"]
    assert r.json()["state"] == "collecting" and collection["method"] == "window" and collection["start"] == "09:30"
    assert availability(api) == {"09:00": 0, "09:30": 1}
    booking = citizen.get(f"/v1/bookings/{collection['booking_id']}").json()
    assert booking["service_code"] == "RP_COLLECT" and booking["status"] == "booked"
    problem(call(api, citizen.token, "collection", app_id, {**at_counter, "start": "09:30"}), 409, "INVALID_STATE")
    problem(call(api, citizen.token, "collection", app_id, STEPS["collection"][1]), 409, "INVALID_STATE")
    assert availability(api) == {"09:00": 0, "09:30": 1}  # chosen once, one place taken

    staff = tokens.staff()
    problem(call(api, staff, "complete", app_id), 409, "INVALID_STATE")  # not checked in yet
    permit_offices.clock.set(permit_offices.clock.now().replace(day=15, hour=9, minute=35))
    staff = tokens.staff()
    r = api.invoke(
        "POST",
        f"/v1/offices/{PERMIT_OFFICE}/check-ins",
        headers=auth(staff),
        body={"reference": collection["reference"]},
    )
    assert r.status == 201, r.text
    closed = call(api, staff, "complete", app_id)
    assert closed.status == 200 and closed.json()["state"] == "closed"
    permit = citizen.login().get("/v1/permits").json()["permits"][0]
    assert (permit["number"], permit["valid_until"], permit["last_endorsed"]) == (number, "2027-10-01", DAY)
    # the completion's write is a new version: an administrator's write of the version read before it is refused
    assert permit_store.get_permit(number).version == 2
    permit_offices.pump.drain()
    assert "已办结，证件已领取" in permit_offices.sms_messages(citizen.phone)[0]["message"]
    assert apply(api, citizen, number).status == 409  # next renewal: not before 2027-09-02


def test_mail_collection_closes_a_change_with_the_new_address(tokens, permit_offices, api):
    citizen = registered(permit_offices)
    app_id = approved_change(api, tokens, citizen)
    mail = STEPS["collection"][1]
    r = call(api, citizen.token, "collection", app_id, mail)
    assert r.status == 200 and r.json()["collection"]["phone"] == "138****5678"
    staff = tokens.staff()
    full = api.invoke("GET", f"/v1/offices/{PERMIT_OFFICE}/applications/{app_id}", headers=auth(staff)).json()
    assert full["collection"] == {
        "method": "mail",
        "name": "张三",
        "address": "海口市美兰区海甸五西路8号",
        "phone": "13812345678",
    }  # the office posts the permit
    listed = api.invoke(
        "GET", f"/v1/offices/{PERMIT_OFFICE}/applications", headers=auth(staff), query={"state": "collecting"}
    ).json()["applications"]
    assert listed[0]["collection"]["phone"] == "138****5678"
    assert call(api, staff, "complete", app_id).json()["state"] == "closed"
    permit = citizen.get("/v1/permits").json()["permits"][0]
    assert permit["address"] == "海口市美兰区海甸五西路8号2单元302" and permit["valid_until"] == "2027-06-30"
    permit_offices.pump.drain()
    assert "证件已寄出" in permit_offices.sms_messages(citizen.phone)[0]["message"]


# ---------------------------------------------------------------- lists


def test_staff_list_their_offices_applications_by_state_oldest_first_paginated(tokens, permit_offices, api):
    ids = []
    for minute in range(3):
        permit_offices.clock.set(permit_offices.clock.now().replace(minute=minute + 1))
        citizen = registered(permit_offices)
        application = apply(api, citizen, put_permit(api, tokens, citizen)).json()
        ids.append(submitted(api, citizen, application)["application_id"])
    draft_owner = registered(permit_offices)
    apply(api, draft_owner, put_permit(api, tokens, draft_owner))  # a draft: not in the staff's lists
    staff = tokens.staff()
    page = api.invoke(
        "GET", f"/v1/offices/{PERMIT_OFFICE}/applications", headers=auth(staff), query={"limit": "2"}
    ).json()
    assert [a["application_id"] for a in page["applications"]] == ids[:2] and page["next_cursor"]
    rest = api.invoke(
        "GET",
        f"/v1/offices/{PERMIT_OFFICE}/applications",
        headers=auth(staff),
        query={"limit": "2", "cursor": page["next_cursor"]},
    ).json()
    assert [a["application_id"] for a in rest["applications"]] == ids[2:] and rest["next_cursor"] is None
    call(api, staff, "review", ids[1])
    under_review = api.invoke(
        "GET", f"/v1/offices/{PERMIT_OFFICE}/applications", headers=auth(staff), query={"state": "under_review"}
    ).json()["applications"]
    assert [a["application_id"] for a in under_review] == [ids[1]]
    assert all("download_url" not in m or m["download_url"] is None for m in under_review[0]["materials"])
    assert (
        api.invoke(
            "GET", f"/v1/offices/{PERMIT_OFFICE}/applications", headers=auth(staff), query={"state": "draft"}
        ).status
        == 422
    )
    assert (
        api.invoke(
            "GET", f"/v1/offices/{PERMIT_OFFICE}/applications", headers=auth(staff), query={"cursor": "x"}
        ).status
        == 400
    )
    problem(api.invoke("GET", f"/v1/offices/{OTHER_PERMIT_OFFICE}/applications", headers=auth(staff)), 403, "FORBIDDEN")


def test_a_citizen_lists_their_own_newest_first(tokens, permit_offices, api):
    citizen = registered(permit_offices)
    number = put_permit(api, tokens, citizen, "2027-06-30")
    first = apply(api, citizen, number, "replacement", reason="lost").json()
    permit_offices.clock.set(permit_offices.clock.now().replace(minute=5))
    second = apply(api, citizen, number, "change", change_date="2026-09-10", school="海南大学").json()
    listed = citizen.get("/v1/applications").json()
    assert [a["application_id"] for a in listed["applications"]] == [second["application_id"], first["application_id"]]
    assert "uploads" not in listed["applications"][0] or listed["applications"][0]["uploads"] is None


# ---------------------------------------------------------------- local mode


def test_local_mode_creates_the_private_encrypted_bucket_with_its_lifecycle(system):
    s3 = boto3.client("s3", endpoint_url=system.aws.url, region_name=REGION)
    block = s3.get_public_access_block(Bucket="UploadsBucket")["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    rule = s3.get_bucket_encryption(Bucket="UploadsBucket")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket="UploadsBucket")["Rules"][0]
    assert lifecycle["Expiration"]["Days"] == 180 and lifecycle["Filter"]["Prefix"] == "applications/"
    assert system.environment["UPLOADS_BUCKET"] == "UploadsBucket"


def test_local_demo_citizens_hold_permits_and_can_renew(system, api):
    system.seed()
    name, id_number, phone, number, office, _, days = DEMO_PERMITS[0]
    token = login(api, phone, DEMO_CITIZEN_PASSWORD)
    permits = api.invoke("GET", "/v1/permits", headers=auth(token)).json()["permits"]
    assert [p["number"] for p in permits] == [number] and permits[0]["office_id"] == office
    assert permits[0]["valid_until"] == (TODAY + timedelta(days=days)).isoformat()
    r = api.invoke("POST", "/v1/applications", headers=auth(token), body={"kind": "renewal", "permit_number": number})
    assert r.status == 201, r.text
    _, _, _, other_number, _, _, _ = DEMO_PERMITS[1]
    other = login(api, DEMO_PERMITS[1][2], DEMO_CITIZEN_PASSWORD)
    problem(
        api.invoke(
            "POST", "/v1/applications", headers=auth(other), body={"kind": "renewal", "permit_number": other_number}
        ),
        409,
        "NOT_ELIGIBLE",
    )
