"""Through the gateway: catalog, halls, availability, release, errors as problem+json."""

from datetime import date, datetime, timedelta

import pytest

from hallbook.clock import SHANGHAI
from hallbook.services.release import release_office
from hallbook.services.seed import load_demo_data
from local.system import DEMO_DATA
from tests.support import OFFICE, SERVICE, problem, put_test_office, release_days

pytestmark = [pytest.mark.R3, pytest.mark.R4, pytest.mark.R6]


@pytest.fixture
def demo(system):
    load_demo_data(DEMO_DATA)
    return system


def test_services_list_has_household_id_and_permit_business_and_walk_in_only(demo, api):
    services = {s["code"]: s for s in api.invoke("GET", "/v1/services").json()["services"]}
    assert len(services) >= 20
    assert services["HR_BIRTH"]["appointment_required"] and services["HR_BIRTH"]["materials"]
    assert services["WALK_DEATH_CANCEL"]["appointment_required"] is False
    assert {"RP_RENEW", "ID_REISSUE", "HR_MOVE_IN"} <= set(services)
    r = api.invoke("GET", "/v1/services/HR_BIRTH")
    assert "出生登记" in r.text  # UTF-8, not \u escapes
    one = r.json()
    assert one["name_zh"] == "出生登记" and one["notice"]


def test_offices_filter_by_service_and_district(demo, api):
    everything = api.invoke("GET", "/v1/offices").json()["offices"]
    assert len(everything) >= 6 and {o["mode"] for o in everything} == {"book_first", "priority"}
    rp = api.invoke("GET", "/v1/offices", query={"service": "RP_COLLECT"}).json()["offices"]
    assert rp and all("RP_COLLECT" in o["services"] for o in rp)
    tianhe = api.invoke("GET", "/v1/offices", query={"district": "天河区"}).json()["offices"]
    assert tianhe and all(o["district"] == "天河区" for o in tianhe)
    assert api.invoke("GET", "/v1/offices/gz-tianhe-centre").json()["mode"] == "book_first"


@pytest.mark.parametrize(
    "path", ["/v1/services/NOPE", "/v1/offices/nope", "/v1/offices/nope/availability?service=X", "/v1/no-such-route"]
)
def test_unknown_ids_are_404_problems(demo, api, path):
    path, _, q = path.partition("?")
    query = dict([q.split("=")]) if q else None
    problem(api.invoke("GET", path, query=query), 404, "NOT_FOUND")


def test_availability_shows_released_slots_with_remaining_places(system, api):
    put_test_office()
    release_days()
    body = api.invoke("GET", f"/v1/offices/{OFFICE}/availability", query={"service": SERVICE}).json()
    days = [d["date"] for d in body["days"]]
    # START is Monday 2026-09-14 09:00: bookable from tomorrow to 13 days ahead (before noon)
    assert days[0] == "2026-09-15" and days[-1] == "2026-09-24"  # 25th: Mid-Autumn; 26-27: weekend
    assert "2026-09-19" not in days  # Saturday
    assert body["days"][0]["slots"] == [
        {"start": "09:00", "end": "09:30", "capacity": 2, "remaining": 2},
        {"start": "09:30", "end": "10:00", "capacity": 2, "remaining": 2},
    ]


def test_the_noon_release_opens_the_day_14_days_ahead(system, api):
    put_test_office()
    release_days()
    system.move_clock(datetime(2026, 9, 14, 11, 59, tzinfo=SHANGHAI))
    before = api.invoke("GET", f"/v1/offices/{OFFICE}/availability", query={"service": SERVICE}).json()
    system.move_clock(datetime(2026, 9, 14, 12, 0, tzinfo=SHANGHAI))
    after = api.invoke("GET", f"/v1/offices/{OFFICE}/availability", query={"service": SERVICE}).json()
    assert before["days"][-1]["date"] == "2026-09-24"  # 25th Mid-Autumn, 26-27 weekend
    assert after["days"][-1]["date"] == "2026-09-28"  # 14 days ahead, a Monday


def test_make_up_sunday_is_bookable_and_national_day_is_not(system, api):
    put_test_office()
    system.clock.set(datetime(2026, 9, 20, 12, 0, tzinfo=SHANGHAI))
    release_days()
    days = {
        d["date"]
        for d in api.invoke(
            "GET",
            f"/v1/offices/{OFFICE}/availability",
            query={"service": SERVICE, "from": "2026-09-21", "to": "2026-10-04"},
        ).json()["days"]
    }
    assert "2026-09-25" not in days  # Mid-Autumn
    assert not {f"2026-10-0{d}" for d in range(1, 5)} & days


@pytest.mark.parametrize(
    "query",
    [{"from": "2026-9-15"}, {"from": "2026-09-20", "to": "2026-09-15"}, {"from": "2026-09-15", "to": "2026-12-31"}, {}],
)
def test_bad_ranges_are_validation_errors(system, api, query):
    put_test_office()
    if query:
        problem(
            api.invoke("GET", f"/v1/offices/{OFFICE}/availability", query={"service": SERVICE, **query}),
            422,
            "VALIDATION_ERROR",
        )
    else:  # the service is required
        problem(api.invoke("GET", f"/v1/offices/{OFFICE}/availability"), 422, "VALIDATION_ERROR")


def one_place_booked(system, api) -> tuple[date, dict]:
    """The test hall released and one place of its next working day booked: that day, and the
    availability the API answers then."""
    from tests.support import next_working_day, registered

    put_test_office()
    release_days()
    citizen = registered(system)
    day = next_working_day()
    assert citizen.book(day).status == 201
    return day, api.invoke("GET", f"/v1/offices/{OFFICE}/availability", query={"service": SERVICE}).json()


def test_release_without_its_records_of_released_days_still_keeps_booked_places(system, api):
    """Slots released before days were recorded (or a record lost): a day that may be open is read
    and only its missing slots are written, so a place booked there stays booked."""
    from hallbook.store.slots import ReleasedDayItem, released_pk

    day, before = one_place_booked(system, api)
    records = list(ReleasedDayItem.query(released_pk(OFFICE)))
    assert {r.sk for r in records} >= {day.isoformat()}
    for record in records:
        record.delete()
    again = release_office(OFFICE, [day + timedelta(days=i) for i in range(0, 10)])
    assert again.conditional == 0 and again.unchanged > 0
    after = api.invoke("GET", f"/v1/offices/{OFFICE}/availability", query={"service": SERVICE}).json()
    assert after == before and after["days"][0]["slots"][0]["remaining"] == 1
    assert {r.sk for r in ReleasedDayItem.query(released_pk(OFFICE))} >= {day.isoformat()}


def test_noon_schedule_fans_out_through_the_queue(system, api):
    """The template's ScheduleV2 fires the jobs function, which sends one message per hall; the
    queue's SQS event source then releases each hall."""
    put_test_office()
    runs = system.move_clock(datetime(2026, 9, 14, 12, 0, tzinfo=SHANGHAI))
    assert any("release" in str(r).lower() for r in runs)
    days = api.invoke("GET", f"/v1/offices/{OFFICE}/availability", query={"service": SERVICE}).json()["days"]
    assert days and days[-1]["date"] == "2026-09-28"


def test_openapi_documents_every_template_route(system, api):
    from local.template import api_routes, read_sam_template

    doc = api.invoke("GET", "/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    for route in api_routes(read_sam_template()):
        if route.path != "/v1/openapi.json":
            assert (route.method.upper(), route.path) in documented, route
