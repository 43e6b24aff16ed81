"""Issue 13, the read path at noon: availability answers carry Cache-Control and an ETag and answer
If-None-Match with 304; one Lambda environment reads a hall-service from DynamoDB at most once a
second however often it is asked; a booking shows in the next read of the environment that made it
and in every other environment within a second; the stage cache (simulated at the gateway from
template.yaml) answers repeated polls for a second and never caches an authenticated route.
DynamoDB requests are counted where they arrive: at the embedded AWS."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hallbook.clock import now
from hallbook.services import catalog
from hallbook.store import readcache
from local.template import TEMPLATE_PATH, read_sam_template
from tests.support import OFFICE, SERVICE, count_dynamodb_calls, open_office, registered

pytestmark = pytest.mark.R7
PATH = f"/v1/offices/{OFFICE}/availability"
DAY = "2026-09-15"


@pytest.fixture
def dynamodb_calls(monkeypatch) -> list[str]:
    """The DynamoDB operations the embedded AWS serves from now on, by name."""
    return count_dynamodb_calls(monkeypatch)


@pytest.fixture
def office(system):
    return open_office(system, capacity=2, days=3)


def remaining(body: dict, day: str = DAY, start: str = "09:00") -> int:
    return next(s["remaining"] for d in body["days"] if d["date"] == day for s in d["slots"] if s["start"] == start)


def test_answers_carry_cache_control_and_an_etag_and_304_for_an_unchanged_one(office, api):
    r = api.invoke("GET", PATH, query={"service": SERVICE})
    assert r.status == 200 and r.headers["cache-control"] == "public, max-age=1", r.headers
    etag = r.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and remaining(r.json()) == 2
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = api.invoke("GET", PATH, query={"service": SERVICE}, headers={"If-None-Match": sent})
        assert again.status == 304 and again.body == b"", sent
        assert again.headers["etag"] == etag and again.headers["cache-control"] == "public, max-age=1"
    other = api.invoke("GET", PATH, query={"service": SERVICE}, headers={"If-None-Match": '"not-it"'})
    assert other.status == 200 and other.json() == r.json()


def test_the_etag_changes_when_a_place_is_taken(office, api):
    first = api.invoke("GET", PATH, query={"service": SERVICE})
    assert registered(office).book(DAY).status == 201
    office.clock.advance(timedelta(seconds=1))
    after = api.invoke("GET", PATH, query={"service": SERVICE}, headers={"If-None-Match": first.headers["etag"]})
    assert after.status == 200 and after.headers["etag"] != first.headers["etag"] and remaining(after.json()) == 1


def test_one_environment_reads_an_office_service_at_most_once_a_second(office, api, dynamodb_calls):
    for _ in range(20):
        assert api.invoke("GET", PATH, query={"service": SERVICE}).status == 200
    assert dynamodb_calls.count("Query") == 1
    office.clock.advance(timedelta(milliseconds=999))
    api.invoke("GET", PATH, query={"service": SERVICE})
    assert dynamodb_calls.count("Query") == 1
    office.clock.advance(timedelta(milliseconds=1))
    api.invoke("GET", PATH, query={"service": SERVICE})
    assert dynamodb_calls.count("Query") == 2
    # another range is another answer
    api.invoke("GET", PATH, query={"service": SERVICE, "from": DAY, "to": DAY})
    assert dynamodb_calls.count("Query") == 3


def test_a_booking_shows_in_the_next_read_of_its_environment_and_everywhere_within_a_second(office, api):
    elsewhere = readcache.ReadCaches()
    with readcache.environment(elsewhere):
        assert remaining(catalog.availability(OFFICE, SERVICE, None, None, now())) == 2
    assert remaining(api.invoke("GET", PATH, query={"service": SERVICE}).json()) == 2
    assert registered(office).book(DAY).status == 201
    # the environment that booked: at once
    assert remaining(api.invoke("GET", PATH, query={"service": SERVICE}).json()) == 1
    with readcache.environment(elsewhere):
        stale = remaining(catalog.availability(OFFICE, SERVICE, None, None, now()))
        assert stale in (1, 2)  # another environment may answer what it read < 1 s ago
        office.clock.advance(timedelta(seconds=1))
        assert remaining(catalog.availability(OFFICE, SERVICE, None, None, now())) == 1


def test_the_stage_cache_answers_repeated_polls_for_a_second(office, api, dynamodb_calls):
    edge = api.edge_cache
    edge.enabled = True
    first = api.invoke("GET", PATH, query={"service": SERVICE})
    calls = len(dynamodb_calls)
    again = api.invoke("GET", PATH, query={"service": SERVICE}, headers={"If-None-Match": first.headers["etag"]})
    # the stage cache does not look at If-None-Match: it answers the cached 200 (304s come from behind it)
    assert again.status == 200 and again.body == first.body and again.headers["etag"] == first.headers["etag"]
    assert len(dynamodb_calls) == calls and edge.hits == 1
    api.invoke("GET", PATH, query={"service": SERVICE, "from": DAY})  # another key
    assert edge.hits == 1
    office.clock.advance(timedelta(seconds=1))
    api.invoke("GET", PATH, query={"service": SERVICE})
    assert edge.hits == 1  # a second later it asks the API again
    # an authenticated route is never cached, whoever asks
    citizen = registered(office)
    hits = edge.hits
    for _ in range(2):
        assert citizen.get("/v1/bookings").status == 200
    assert edge.hits == hits


def test_the_template_caches_only_the_polled_public_routes_for_a_second():
    api = read_sam_template(TEMPLATE_PATH)["Resources"]["Api"]["Properties"]
    assert api["CacheClusterEnabled"] is True
    settings = {(s["HttpMethod"], s["ResourcePath"]): s for s in api["MethodSettings"]}
    assert settings[("*", "/*")]["CachingEnabled"] is False
    cached = {key: s["CacheTtlInSeconds"] for key, s in settings.items() if s.get("CachingEnabled")}
    assert cached == {
        ("GET", "/~1v1~1offices~1{office_id}~1availability"): 1,
        ("GET", "/~1v1~1offices~1{office_id}~1queue"): 1,
    }
    from local.edge_cache import rules_from_template

    rules = rules_from_template(read_sam_template(TEMPLATE_PATH))
    rule = rules[("GET", "/v1/offices/{office_id}/availability")]
    assert rule.path_keys == ("office_id",) and set(rule.query_keys) == {"service", "from", "to"}
