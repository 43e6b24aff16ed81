"""R17's services (apply, upload, submit, withdraw, review, decide, collect, close, the lists) on the
in-memory stores (store/memory/): no AWS. Expected values are the SPEC's and seed 004's, written here;
the pure rules are tests/unit/test_applications_rules.py's. What only AWS can show - the presigned POST
and S3's policy, DynamoDB's conditions under races, pagination by its keys, the SMS stream, the HTTP
contract and the guard - stays in tests/api/test_applications.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

import pytest

from hallbook.clock import SHANGHAI
from hallbook.domain import errors
from hallbook.domain.applications import MAX_UPLOAD_BYTES
from hallbook.services import (
    application_collection,
    application_materials,
    application_reads,
    application_review,
    applications,
    bookings,
    waitlist,
)
from hallbook.services.tokens import Caller
from hallbook.store import readcache
from hallbook.store.applications import Application
from hallbook.store.catalog import Catalog
from hallbook.store.memory import MemoryStores
from hallbook.store.permits import Permit
from hallbook.store.stores import installed
from tests.unit.builders import catalog, hall, person, service, slots

pytestmark = [pytest.mark.R17]

OFFICE, OTHER_OFFICE = "hk-test-ps", "hk-other-ps"
NOW = datetime(2026, 9, 14, 9, 0, tzinfo=SHANGHAI)  # a Monday, before the noon release
TODAY = NOW.date()
TOMORROW = "2026-09-15"
RENEWAL_MATERIALS = ["residence_permit", "id_card", "eligibility_proof"]
MAIL = {"name": "张三", "address": "海口市美兰区海甸五西路8号", "phone": "13812345678"}
_numbers = count(100)

STATUS = {"VALIDATION_ERROR": 422, "NOTICE_NOT_ACKNOWLEDGED": 422, "FORBIDDEN": 403, "PHONE_NOT_VERIFIED": 403}
STATUS |= {"NOT_FOUND": 404}  # the contract's status of each code; any other refusal here is 409


def refused(code: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> errors.DomainError:
    with pytest.raises(errors.DomainError) as raised:
        call(*args, **kwargs)
    assert raised.value.code == code, raised.value.detail
    assert raised.value.status == STATUS.get(code, 409)
    return raised.value


def _catalog() -> Catalog:
    codes = ["RP_RENEW", "RP_CHANGE", "RP_REPLACE", "RP_COLLECT"]
    timetable = {"RP_COLLECT": slots(("09:00", "09:30", 1), ("09:30", "10:00", 2))}
    return catalog(
        [service(c) for c in codes],
        [
            hall(OFFICE, codes, timetable, name="测试派出所", name_en="Test police station", region="haikou"),
            hall(OTHER_OFFICE, codes, timetable, name="另一派出所", name_en="Other station", region="haikou"),
        ],
    )


@dataclass
class World:
    fake: MemoryStores
    finished_tickets: list[str]  # bookings whose ticket services.tickets was asked to finish (another aggregate)

    def account(self, role: str = "citizen", phone_verified: bool = True, lang: str = "zh") -> Caller:
        n = next(_numbers)
        account = person(
            n,
            NOW,
            area="460106",
            with_id_number=role == "citizen",
            phone_verified=phone_verified,
            role=role,
            office_id=OFFICE if role == "staff" else None,
            lang=lang,
        )
        self.fake.add_account(account)
        return Caller(account.account_id, role, phone_verified=phone_verified)

    def citizen(self, **kwargs: Any) -> Caller:
        return self.account("citizen", **kwargs)

    def staff(self) -> Caller:
        return self.account("staff")

    def permit(self, holder: Caller, valid_until: str = "2026-10-01", office: str = OFFICE) -> str:
        account = self.fake.accounts.get_account(holder.account_id)
        assert account is not None and account.id_number
        number = f"HK{next(_numbers):010d}"
        self.fake.applications.put_permit(
            Permit(
                number=number,
                holder_id_number=account.id_number,
                office_id=office,
                address="海口市龙华区金贸西路20号501",
                valid_until=date.fromisoformat(valid_until),
                last_endorsed=date(2025, 10, 1),
                updated_at=NOW.isoformat(),
                version=1,
            )
        )
        return number

    def upload(self, application: Application, *codes: str, content_type: str = "image/jpeg", size: int = 1000) -> None:
        for code in codes:
            self.fake.applications.put_material(application.application_id, code, content_type, size)

    def sms(self, to: Caller) -> list[str]:
        account = self.fake.accounts.get_account(to.account_id)
        assert account is not None
        return [m.text for m in self.fake.bookings.outbox if m.phone == account.phone]

    def stored(self, application: Application) -> Application:
        found = self.fake.applications.get_application(application.application_id)
        assert found is not None
        return found


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """Two Haikou police stations whose RP_COLLECT slots (09:00 for 1, 09:30 for 2) are released for the
    next 14 days. The waitlist and the hall's tickets (their own aggregates, tested on the embedded AWS)
    are recorded, not run."""
    fake = MemoryStores(_catalog())
    fake.release(*(TODAY + timedelta(days=i) for i in range(1, 15)))
    finished: list[str] = []
    monkeypatch.setattr(waitlist, "after_cancellation", lambda place, now: None)
    monkeypatch.setattr(waitlist, "offer_free_places", lambda *args: None)
    from hallbook.services import tickets

    monkeypatch.setattr(tickets, "finish_booking_ticket", lambda booking, now: finished.append(booking.booking_id))
    with installed(fake.stores()), readcache.environment(readcache.ReadCaches()):
        yield World(fake, finished)


def apply(citizen: Caller, number: str, kind: str = "renewal", now: datetime = NOW, **fields: Any) -> Application:
    return applications.create(citizen, kind, number, now, **fields).application


def lost(world: World, citizen: Caller | None = None) -> tuple[Caller, Application]:
    """A replacement of a lost permit (nothing to upload): the steps alone."""
    citizen = citizen or world.citizen()
    return citizen, apply(citizen, world.permit(citizen, "2027-06-30"), "replacement", reason="lost")


# ---------------------------------------------------------------- the steps, by who takes them

STEPS: dict[str, tuple[str, Callable[[World, Caller, Application], object]]] = {
    "submit": ("citizen", lambda w, c, a: applications.submit(c, a.application_id, NOW)),
    "withdraw": ("citizen", lambda w, c, a: applications.withdraw(c, a.application_id, NOW)),
    "review": ("staff", lambda w, s, a: application_review.review(s, w.stored(a), NOW)),
    "decision/approve": ("staff", lambda w, s, a: application_review.decide(s, w.stored(a), True, None, NOW)),
    "decision/reject": ("staff", lambda w, s, a: application_review.decide(s, w.stored(a), False, "材料不清晰", NOW)),
    "collection": (
        "citizen",
        lambda w, c, a: application_collection.choose_collection(c, a.application_id, "mail", NOW, **MAIL),
    ),
    "complete": ("staff", lambda w, s, a: application_review.complete(s, w.stored(a), NOW)),
}
LEGAL_FROM = {
    "draft": {"submit", "withdraw"},
    "submitted": {"review", "withdraw"},
    "under_review": {"decision/approve", "decision/reject"},
    "approved": {"collection"},
    "rejected": set(),
    "collecting": {"complete"},
    "closed": set(),
    "withdrawn": set(),
}
PATH_TO = {
    "draft": [],
    "submitted": ["submit"],
    "under_review": ["submit", "review"],
    "approved": ["submit", "review", "decision/approve"],
    "rejected": ["submit", "review", "decision/reject"],
    "collecting": ["submit", "review", "decision/approve", "collection"],
    "closed": ["submit", "review", "decision/approve", "collection", "complete"],
    "withdrawn": ["withdraw"],
}
STATE_AFTER = {
    "submit": "submitted",
    "withdraw": "withdrawn",
    "review": "under_review",
    "decision/approve": "approved",
    "decision/reject": "rejected",
    "collection": "collecting",
    "complete": "closed",
}


def take(world: World, citizen: Caller, staff: Caller, application: Application, name: str) -> object:
    role, run = STEPS[name]
    if role == "staff":  # staff reach an application through for_staff (a draft is not found)
        application = application_reads.for_staff(application.application_id)
    return run(world, citizen if role == "citizen" else staff, application)


def walked_to(world: World, state: str) -> tuple[Caller, Caller, Application]:
    citizen, application = lost(world)
    staff = world.staff()
    for name in PATH_TO[state]:
        take(world, citizen, staff, application, name)
    assert world.stored(application).state == state
    return citizen, staff, application


# ---------------------------------------------------------------- applying


def test_a_renewal_is_a_draft_of_the_permits_office_with_a_form_per_material(world):
    citizen = world.citizen()
    number = world.permit(citizen, "2026-10-01", office=OTHER_OFFICE)
    opened = applications.create(citizen, "renewal", number.lower(), NOW)
    application = opened.application
    assert (application.state, application.kind, application.permit_number) == ("draft", "renewal", number)
    assert application.office_id == OTHER_OFFICE  # the permit's station, wherever the citizen is
    assert application.applicant_id_number == world.fake.accounts.accounts[citizen.account_id].id_number
    assert len(application.reference) == 9 and [(h.state, h.by_role) for h in application.history] == [
        ("draft", "citizen")
    ]
    forms = opened.upload_forms
    assert [f.material for f in forms] == RENEWAL_MATERIALS
    assert MAX_UPLOAD_BYTES == 5 * 1024 * 1024
    assert all((f.content_type, f.max_bytes) == ("image/jpeg", MAX_UPLOAD_BYTES) for f in forms)
    assert forms[0].fields["key"] == f"applications/{application.application_id}/residence_permit"
    assert world.stored(application) == application


@pytest.mark.parametrize(
    "valid_until, opens, eligible",
    [
        ("2026-10-13", "2026-09-14", True),  # today is the month's first day
        ("2026-09-14", "2026-08-15", True),  # expires today: today is its last day
        ("2026-10-14", "2026-09-15", False),  # opens tomorrow
        ("2026-09-13", "2026-08-14", False),  # expired yesterday
    ],
)
def test_renewal_within_the_month_before_expiry(world, valid_until, opens, eligible):
    citizen = world.citizen()
    number = world.permit(citizen, valid_until)
    if eligible:
        assert apply(citizen, number).state == "draft"
    else:
        error = refused("NOT_ELIGIBLE", apply, citizen, number)
        assert (error.extra["window_opens"], error.extra["window_closes"]) == (opens, valid_until)
        assert world.fake.applications.applications == {}


@pytest.mark.parametrize(
    "change_date, code",
    [("2026-08-15", None), ("2026-09-14", None), ("2026-08-14", "NOT_ELIGIBLE"), (TOMORROW, "VALIDATION_ERROR")],
)
def test_a_change_is_reported_within_30_days(world, change_date, code):
    citizen = world.citizen()
    number = world.permit(citizen, "2027-06-30")
    fields = {"change_date": change_date, "address": " 海口市美兰区  海甸五西路8号 ", "employer": "海口某公司"}
    if code is None:
        opened = applications.create(citizen, "change", number, NOW, **fields)
        assert opened.application.details == {
            "change_date": change_date,
            "address": "海口市美兰区 海甸五西路8号",
            "employer": "海口某公司",
        }
        assert [f.material for f in opened.upload_forms] == ["change_proof"]
    else:
        error = refused(code, apply, citizen, number, "change", **fields)
        assert code != "NOT_ELIGIBLE" or error.extra["deadline"] == "2026-09-13"


@pytest.mark.parametrize(
    "reason, forms", [("lost", []), ("damaged", ["damaged_permit"]), ("stolen", None), (None, None)]
)
def test_a_replacement_is_for_a_lost_or_damaged_permit(world, reason, forms):
    citizen = world.citizen()
    number = world.permit(citizen, "2027-06-30")
    if forms is None:
        refused("VALIDATION_ERROR", apply, citizen, number, "replacement", reason=reason)
    else:
        opened = applications.create(citizen, "replacement", number, NOW, reason=reason)
        assert [f.material for f in opened.upload_forms] == forms


def test_who_may_apply_for_what(world):
    owner = world.citizen()
    number = world.permit(owner)
    refused("NOT_FOUND", apply, world.citizen(), number)  # another's permit
    refused("NOT_FOUND", apply, owner, "HK0000000000")
    refused("PHONE_NOT_VERIFIED", apply, (unverified := world.citizen(phone_verified=False)), world.permit(unverified))
    refused("FORBIDDEN", apply, world.staff(), number)
    refused("VALIDATION_ERROR", apply, owner, number, "upgrade")
    refused("VALIDATION_ERROR", apply, owner, number, "renewal", reason="lost")  # not a renewal's field
    refused("VALIDATION_ERROR", apply, owner, "HK-1")
    assert world.fake.applications.applications == {}


def test_one_open_application_per_permit_and_kind_until_it_ends(world):
    citizen = world.citizen()
    number = world.permit(citizen, "2027-06-30")
    first = apply(citizen, number, "replacement", reason="lost")
    assert refused("NOT_ELIGIBLE", apply, citizen, number, "replacement", reason="damaged").extra == {
        "open_application_id": first.application_id
    }
    assert (
        apply(citizen, number, "change", change_date="2026-09-10", school="海南大学").state == "draft"
    )  # another kind
    applications.withdraw(citizen, first.application_id, NOW)
    second = apply(citizen, number, "replacement", reason="lost")  # withdrawn: free again
    staff = world.staff()
    for name in ("submit", "review", "decision/reject"):
        take(world, citizen, staff, second, name)
    third = apply(citizen, number, "replacement", reason="lost")  # rejected: free again
    for name in PATH_TO["closed"]:
        take(world, citizen, staff, third, name)
    assert apply(citizen, number, "replacement", reason="lost").state == "draft"  # closed: free again


# ---------------------------------------------------------------- materials and submission


def test_submission_needs_every_required_material_of_an_allowed_type_and_size(world):
    citizen = world.citizen()
    application = apply(citizen, world.permit(citizen))
    world.upload(application, "residence_permit")
    error = refused("VALIDATION_ERROR", applications.submit, citizen, application.application_id, NOW)
    assert error.extra["missing"] == ["id_card", "eligibility_proof"]
    world.upload(application, "id_card", content_type="text/html")
    world.upload(application, "eligibility_proof", size=MAX_UPLOAD_BYTES + 1)
    error = refused("VALIDATION_ERROR", applications.submit, citizen, application.application_id, NOW)
    assert error.extra["invalid"] == ["id_card", "eligibility_proof"]
    world.upload(application, "id_card")
    world.upload(application, "eligibility_proof", content_type="application/pdf", size=MAX_UPLOAD_BYTES)
    assert world.stored(application).state == "draft"

    done = applications.submit(citizen, application.application_id, NOW)
    assert done == world.stored(application)
    assert (done.state, done.submitted_at) == ("submitted", NOW.isoformat())
    assert done.uploaded["eligibility_proof"] == {"content_type": "application/pdf", "size": MAX_UPLOAD_BYTES}
    assert set(done.uploaded) == set(RENEWAL_MATERIALS)


def test_another_upload_form_is_for_a_material_of_a_draft_and_an_allowed_type(world):
    citizen = world.citizen()
    application = apply(citizen, world.permit(citizen))
    form = application_materials.new_upload(citizen, application.application_id, "eligibility_proof", "application/pdf")
    assert (form.material, form.content_type, form.fields["Content-Type"]) == (
        "eligibility_proof",
        "application/pdf",
        "application/pdf",
    )
    refused(
        "VALIDATION_ERROR",
        application_materials.new_upload,
        citizen,
        application.application_id,
        "id_card",
        "text/html",
    )
    refused(
        "VALIDATION_ERROR",
        application_materials.new_upload,
        citizen,
        application.application_id,
        "damaged_permit",
        "image/png",
    )
    world.upload(application, *RENEWAL_MATERIALS)
    applications.submit(citizen, application.application_id, NOW)
    error = refused(
        "INVALID_STATE", application_materials.new_upload, citizen, application.application_id, "id_card", "image/png"
    )
    assert error.extra["state"] == "submitted"


def test_staff_get_download_urls_of_what_was_uploaded(world):
    citizen = world.citizen()
    application = apply(citizen, world.permit(citizen, "2027-06-30"), "replacement", reason="damaged")
    applications.submit(citizen, application.application_id, NOW)  # the damaged permit's photo is optional
    view = application_review.review(world.staff(), application_reads.for_staff(application.application_id), NOW)
    assert view.download_urls == {} and view.contact is None
    other = apply(citizen, world.permit(citizen))
    world.upload(other, *RENEWAL_MATERIALS)
    applications.submit(citizen, other.application_id, NOW)
    urls = application_review.review(world.staff(), world.stored(other), NOW).download_urls
    assert set(urls) == set(RENEWAL_MATERIALS) and urls["id_card"].endswith(
        f"applications/{other.application_id}/id_card"
    )


# ---------------------------------------------------------------- the life of an application


@pytest.mark.parametrize("state", list(LEGAL_FROM))
def test_every_illegal_step_is_refused_in_every_state(world, state):
    citizen, staff, application = walked_to(world, state)
    for name in sorted(set(STEPS) - LEGAL_FROM[state]):
        if state == "draft" and STEPS[name][0] == "staff":
            refused("NOT_FOUND", take, world, citizen, staff, application, name)  # the citizen's own until submitted
        else:
            assert refused("INVALID_STATE", take, world, citizen, staff, application, name).extra["state"] == state, (
                name
            )
    stored = world.stored(application)
    assert stored.state == state
    assert [h.state for h in stored.history] == ["draft", *(STATE_AFTER[n] for n in PATH_TO[state])]
    assert [h.by_role for h in stored.history] == ["citizen", *(STEPS[n][0] for n in PATH_TO[state])]
    assert all(h.at == NOW.isoformat() and h.by for h in stored.history)


@pytest.mark.parametrize("state, name", sorted((s, n) for s, names in LEGAL_FROM.items() for n in names))
def test_every_legal_step_moves_the_application_and_answers_it(world, state, name):
    citizen, staff, application = walked_to(world, state)
    answer = take(world, citizen, staff, application, name)
    stored = world.stored(application)
    assert stored.state == STATE_AFTER[name]
    assert (answer.application if isinstance(answer, application_review.StaffView) else answer) == stored


def test_a_step_decided_on_a_stale_read_is_refused_with_the_state_now(world):
    """Two staff deciding at once, or a citizen withdrawing while staff open it: one wins."""
    citizen, staff, application = walked_to(world, "submitted")
    seen_by_staff = application_reads.for_staff(application.application_id)
    applications.withdraw(citizen, application.application_id, NOW)
    assert refused("INVALID_STATE", application_review.review, staff, seen_by_staff, NOW).extra["state"] == "withdrawn"
    _, staff, application = walked_to(world, "under_review")
    read_twice = world.stored(application)
    application_review.decide(staff, read_twice, True, None, NOW)
    refused("INVALID_STATE", application_review.decide, staff, read_twice, False, "材料不全", NOW)
    assert world.stored(application).state == "approved"


def test_only_the_applicant_sees_or_moves_their_application(world):
    owner, _, application = walked_to(world, "submitted")
    stranger = world.citizen()
    app_id = application.application_id
    refused("NOT_FOUND", application_reads.own_application, stranger, app_id)
    refused("NOT_FOUND", application_materials.new_upload, stranger, app_id, "damaged_permit", "image/jpeg")
    refused("NOT_FOUND", applications.submit, stranger, app_id, NOW)
    refused("NOT_FOUND", applications.withdraw, stranger, app_id, NOW)
    refused("NOT_FOUND", application_collection.choose_collection, stranger, app_id, "mail", NOW, **MAIL)
    refused("NOT_FOUND", application_reads.own_application, owner, "x" * 65)
    refused("NOT_FOUND", application_reads.for_staff, "x" * 65)
    assert application_reads.list_own(stranger, 10, None).applications == []
    assert application_reads.own_application(owner, app_id) == world.stored(application)


# ---------------------------------------------------------------- decisions and their SMS


def test_a_rejection_needs_a_reason_and_the_citizen_is_told_it(world):
    citizen, staff, application = walked_to(world, "under_review")
    for reason in (None, "  ", "理" * 201):
        refused("VALIDATION_ERROR", application_review.decide, staff, world.stored(application), False, reason, NOW)
    assert world.sms(citizen) == []
    view = application_review.decide(staff, world.stored(application), False, " 居住证明材料 已过期 ", NOW)
    assert (view.application.state, view.application.decision_reason) == ("rejected", "居住证明材料 已过期")
    assert view.application.history[-1].note == "居住证明材料 已过期"
    [sms] = world.sms(citizen)
    assert sms.startswith("【政务大厅预约】居住证补领、换领申请") and "未通过审核：居住证明材料 已过期" in sms
    assert application.reference in sms


def test_an_approval_is_told_in_the_citizens_language(world):
    citizen, staff = world.citizen(lang="en"), world.staff()
    _, application = lost(world, citizen)
    for name in ("submit", "review", "decision/approve"):
        take(world, citizen, staff, application, name)
    assert world.sms(citizen) == [
        f"[Hall booking] Application {application.reference} approved: pick collection in app."
    ]
    zh, _, zh_application = walked_to(world, "approved")
    assert world.sms(zh) == [
        f"【政务大厅预约】居住证补领、换领申请{zh_application.reference}已审核通过，请在“我的申请”中选择领证方式。"
    ]


# ---------------------------------------------------------------- collection and closing


def approved_renewal(world: World) -> tuple[Caller, Caller, Application, str]:
    citizen = world.citizen()
    number = world.permit(citizen, "2026-10-01")
    application = apply(citizen, number)
    world.upload(application, *RENEWAL_MATERIALS)
    staff = world.staff()
    for name in ("submit", "review", "decision/approve"):
        take(world, citizen, staff, application, name)
    return citizen, staff, application, number


def at_window(citizen: Caller, application: Application, start: str = "09:30", **change: Any) -> Application:
    fields = {"office_id": OFFICE, "day": TOMORROW, "start": start, **change}
    return application_collection.choose_collection(citizen, application.application_id, "window", NOW, **fields)


def test_window_collection_is_a_booking_under_the_booking_rules(world):
    citizen, _, application, _ = approved_renewal(world)
    someone = world.citizen()  # takes the only 09:00 place with an ordinary booking
    request = bookings.BookingRequest(
        office_id=OFFICE, service_code="RP_COLLECT", date=TOMORROW, start="09:00", notice_acknowledged=True
    )
    bookings.book(someone, request, None, NOW)
    refused("SLOT_FULL", at_window, citizen, application, "09:00")
    refused("OUTSIDE_WINDOW", at_window, citizen, application, day="2026-10-30")
    refused("VALIDATION_ERROR", at_window, citizen, application, office_id=OTHER_OFFICE)  # the permit's station only
    refused("NOTICE_NOT_ACKNOWLEDGED", at_window, citizen, application, notice_acknowledged=False)
    refused("VALIDATION_ERROR", at_window, citizen, application, start=None)
    refused(
        "VALIDATION_ERROR", application_collection.choose_collection, citizen, application.application_id, "drone", NOW
    )
    assert world.stored(application).state == "approved"

    chosen = at_window(citizen, application)
    collection = chosen.collection
    assert chosen.state == "collecting" and chosen.collection_attempts == 1
    assert {k: collection[k] for k in ("method", "office_id", "date", "start", "end")} == {
        "method": "window",
        "office_id": OFFICE,
        "date": TOMORROW,
        "start": "09:30",
        "end": "10:00",
    }
    booking = world.fake.bookings.get_booking(collection["booking_id"])
    assert booking is not None and (booking.service_code, booking.status, booking.reference) == (
        "RP_COLLECT",
        "booked",
        collection["reference"],
    )
    assert world.fake.bookings.get_slot(OFFICE, "RP_COLLECT", date(2026, 9, 15), "09:30").booked == 1
    refused("INVALID_STATE", at_window, citizen, application)  # chosen once
    refused(
        "INVALID_STATE",
        application_collection.choose_collection,
        citizen,
        application.application_id,
        "mail",
        NOW,
        **MAIL,
    )
    assert world.fake.bookings.get_slot(OFFICE, "RP_COLLECT", date(2026, 9, 15), "09:30").booked == 1


def test_a_lost_window_booking_lets_the_citizen_choose_again(world):
    citizen, _, application, _ = approved_renewal(world)
    first = at_window(citizen, application).collection
    assert first is not None
    bookings.cancel(citizen, first["booking_id"], NOW)
    again = application_collection.choose_collection(citizen, application.application_id, "mail", NOW, **MAIL)
    assert again.collection == {"method": "mail", **MAIL} and again.collection_attempts == 2
    assert [h.state for h in world.stored(application).history][-2:] == ["collecting", "collecting"]


@pytest.mark.parametrize("bad", [{"phone": "12345"}, {"address": "海口"}, {"name": ""}])
def test_mail_collection_needs_a_real_recipient(world, bad):
    citizen, _, application = walked_to(world, "approved")
    fields = {**MAIL, **bad}
    refused(
        "VALIDATION_ERROR",
        application_collection.choose_collection,
        citizen,
        application.application_id,
        "mail",
        NOW,
        **fields,
    )


def test_closing_a_window_collection_waits_for_the_check_in_and_extends_a_renewal_by_a_year(world):
    citizen, staff, application, number = approved_renewal(world)
    collection = at_window(citizen, application).collection
    assert collection is not None
    refused("INVALID_STATE", application_review.complete, staff, world.stored(application), NOW)  # not checked in
    booking = world.fake.bookings.bookings[collection["booking_id"]]
    world.fake.bookings.bookings[booking.booking_id] = replace(booking, status="checked_in")
    refused("VALIDATION_ERROR", application_review.complete, staff, world.stored(application), NOW, "SF123")  # mail's
    collected = datetime(2026, 9, 15, 9, 35, tzinfo=SHANGHAI)

    view = application_review.complete(staff, world.stored(application), collected)
    assert view.application.state == "closed"
    permit = world.fake.applications.get_permit(number)
    assert permit is not None
    assert (permit.valid_until, permit.last_endorsed, permit.version) == (date(2027, 10, 1), date(2026, 9, 15), 2)
    assert world.finished_tickets == [booking.booking_id]  # the booking is completed and leaves the board
    assert (
        world.sms(citizen)[-1]
        == f"【政务大厅预约】您的居住证签注（续签）申请{application.reference}已办结，证件已领取。"
    )
    refused("NOT_ELIGIBLE", apply, citizen, number, now=collected)  # the next renewal opens 2027-09-02


@pytest.mark.parametrize(
    "tracking, how", [(None, "，证件已寄出，邮费到付"), (" SF 1234 ", "，证件已寄出（快递单号SF 1234），邮费到付")]
)
def test_closing_a_mail_collection_writes_a_change_to_the_permit(world, tracking, how):
    citizen = world.citizen()
    number = world.permit(citizen, "2027-06-30")
    application = apply(
        citizen, number, "change", change_date="2026-09-01", address="海口市美兰区海甸五西路8号2单元302"
    )
    world.upload(application, "change_proof")
    staff = world.staff()
    for name in ("submit", "review", "decision/approve", "collection"):
        take(world, citizen, staff, application, name)
    view = application_review.complete(staff, world.stored(application), NOW, tracking)
    assert view.application.history[-1].note == (f"tracking number {tracking.strip()}" if tracking else None)
    permit = world.fake.applications.get_permit(number)
    assert permit is not None and permit.address == "海口市美兰区海甸五西路8号2单元302"
    assert (permit.valid_until, permit.last_endorsed) == (date(2027, 6, 30), date(2025, 10, 1))  # unchanged
    assert world.sms(citizen)[-1] == f"【政务大厅预约】您的居住证登记信息变更申请{application.reference}已办结{how}。"


def test_closing_needs_the_permit_still_registered(world):
    _, staff, application = walked_to(world, "collecting")
    del world.fake.applications.permits[application.permit_number]
    refused("INVALID_STATE", application_review.complete, staff, world.stored(application), NOW)
    assert world.stored(application).state == "collecting"


# ---------------------------------------------------------------- lists and the backlog


def test_lists_a_citizens_newest_first_and_an_offices_by_state_oldest_first(world):
    citizen = world.citizen()
    number = world.permit(citizen, "2027-06-30")
    first = apply(citizen, number, "replacement", reason="lost")
    second = apply(
        citizen, number, "change", now=NOW + timedelta(minutes=5), change_date="2026-09-10", school="海南大学"
    )
    assert application_reads.list_own(citizen, 10, None).applications == [world.stored(second), world.stored(first)]
    page = application_reads.list_own(citizen, 1, None)
    assert page.applications == [world.stored(second)] and page.next_cursor

    submitted, submitters = [], []
    for minute in range(3):
        someone, application = lost(world)
        at = NOW + timedelta(minutes=minute)
        submitted.append(applications.submit(someone, application.application_id, at).application_id)
        submitters.append(someone)
    listed = application_reads.office_applications(OFFICE, "submitted", 10, None)
    assert (listed.office_id, listed.state) == (OFFICE, "submitted")
    assert [a.application_id for a in listed.applications] == submitted  # drafts are not listed
    assert application_reads.office_applications(OTHER_OFFICE, "submitted", 10, None).applications == []
    refused("VALIDATION_ERROR", application_reads.office_applications, OFFICE, "draft", 10, None)
    refused("VALIDATION_ERROR", application_reads.office_applications, OFFICE, "pending", 10, None)

    assert application_reads.review_backlog(NOW + timedelta(minutes=10)) == (3, 600.0)
    application_review.review(world.staff(), application_reads.for_staff(submitted[0]), NOW)
    assert application_reads.review_backlog(NOW + timedelta(minutes=10)) == (2, 540.0)
    assert [
        a.application_id for a in application_reads.office_applications(OFFICE, "under_review", 10, None).applications
    ] == submitted[:1]

    applications.withdraw(citizen, first.application_id, NOW)  # withdrawn before submission: never staff's
    applications.withdraw(submitters[1], submitted[1], NOW)
    withdrawn = application_reads.office_applications(OFFICE, "withdrawn", 10, None).applications
    assert [a.application_id for a in withdrawn] == submitted[1:2]
