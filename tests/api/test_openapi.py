"""GET /v1/openapi.json matches the server (clients are generated from it), checked from the document itself: every
route of the template is in it, each with its real success status, its bearer security or none,
every refusal as application/problem+json with the codes the route can answer; the formats it
states are ones the server accepts; and /docs shows it with Swagger UI served locally."""

from __future__ import annotations

import inspect
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallbook.domain import errors
from hallbook.web import models
from hallbook.web.openapi import TITLES
from hallbook.web.routes import every_route
from hallbook.web.routing import ADMIN, ANY_ROLE, CITIZEN, OPERATOR, STAFF
from local.template import api_routes, read_sam_template

ROUTES = every_route()

PROBLEM = "application/problem+json"
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture
def doc(api) -> dict:
    response = api.invoke("GET", "/v1/openapi.json")
    assert response.status == 200 and response.headers["content-type"].startswith("application/json")
    return response.json()


def operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def test_every_template_route_is_documented(doc):
    assert doc["openapi"].startswith("3.1")
    documented = {(method, path) for method, path, _ in operations(doc)}
    for route in api_routes(read_sam_template()):
        assert (route.method.upper(), route.path) in documented, route


def test_the_table_names_exactly_the_documented_operations(doc):
    documented = {(method, path) for method, path, _ in operations(doc)}
    assert documented - set(ROUTES) == set(), "declare these routes (hallbook.web.routing.declare)"
    assert len(set(ROUTES) - documented) <= 12, "ROUTES names routes that no longer exist"  # some not wired yet


def _roles_called(source: str, declared: tuple[str, ...]) -> tuple[str, ...]:
    """The roles a route handler asks web/auth for, read from its source: `verified_caller(router)`
    asks for the roles the route is declared with (web/routing.py)."""
    if re.search(r"\b(staff_of|_staff_application)\(", source):
        return STAFF
    if re.search(r"\badmin\(", source):
        return ADMIN
    if re.search(r"\boperator\(", source):
        return OPERATOR
    call = re.search(r"\bverified_caller\((?:router=)?\w+((?:,\s*\"\w+\")*)\)", source)
    if call:
        return tuple(re.findall(r'"(\w+)"', call.group(1))) or declared or ANY_ROLE
    return ()


def test_a_route_asks_for_its_caller_exactly_when_it_is_declared_with_roles():
    from hallbook.web.routes import ALL_ROUTERS

    checked = 0
    for router in ALL_ROUTERS():
        for key, handler in router._routes.items():
            rule, methods = key[0], key[1]
            path = re.sub(r"<(\w+)>", r"{\1}", rule)
            for method in methods:
                declared = ROUTES[(method, path)].roles
                assert _roles_called(inspect.getsource(handler), declared) == declared, (method, path)
                checked += 1
    assert checked >= 40


def test_authenticated_operations_carry_the_bearer_scheme_and_public_ones_none(doc):
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    for method, path, operation in operations(doc):
        if ROUTES[(method, path)].roles:
            assert operation["security"] == [{"bearerAuth": []}], (method, path)
            assert "401" in operation["responses"], (method, path)
        else:
            assert operation["security"] == [], (method, path)
            assert "401" not in operation["responses"] or path == "/v1/sessions", (method, path)
    assert ROUTES[("POST", "/v1/bookings")].roles == CITIZEN
    assert ROUTES[("GET", "/v1/services")].roles == ()


def test_creates_answer_201(doc):
    booking = doc["paths"]["/v1/bookings"]["post"]["responses"]
    assert "200" not in booking
    assert booking["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/BookingOut"}
    assert set(booking["201"]["headers"]) == {"Location", "Idempotent-Replayed"}
    for method, path in [
        ("POST", "/v1/accounts"),
        ("POST", "/v1/offices/{office_id}/check-ins"),
        ("POST", "/v1/offices/{office_id}/tickets"),
        ("POST", "/v1/applications"),
        ("POST", "/v1/operator/citizens/{account_id}/bookings"),
    ]:
        responses = doc["paths"][path][method.lower()]["responses"]
        assert "201" in responses and "200" not in responses, (method, path)
    for path in ("/v1/services/{code}", "/v1/offices/{office_id}", "/v1/permits/{number}"):  # create or change
        assert {"200", "201"} <= set(doc["paths"][path]["put"]["responses"]), path
    assert "202" in doc["paths"]["/v1/accounts/verify/resend"]["post"]["responses"]


def test_every_refusal_is_a_problem_with_its_codes(doc):
    assert {"type", "title", "status", "detail", "code"} <= set(doc["components"]["schemas"]["Problem"]["required"])
    assert "errors" in doc["components"]["schemas"]["Problem"]["properties"]
    known = set(TITLES)
    for method, path, operation in operations(doc):
        for status, response in operation["responses"].items():
            if status == "default":
                assert response["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
                continue
            if not 400 <= int(status) < 600:
                continue
            assert set(response["content"]) == {PROBLEM}, (method, path, status)
            schema = response["content"][PROBLEM]["schema"]
            assert schema["allOf"] == [{"$ref": "#/components/schemas/Problem"}]
            assert schema["properties"]["status"] == {"const": int(status)}
            codes = schema["properties"]["code"]["enum"]
            assert codes and set(codes) <= known, (method, path, status, codes)
    refusals = doc["paths"]["/v1/bookings"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "415", "422", "503"} <= set(refusals)
    codes = refusals["409"]["content"][PROBLEM]["schema"]["properties"]["code"]["enum"]
    assert {"SLOT_FULL", "OUTSIDE_WINDOW", "ALREADY_BOOKED", "NO_SUCH_SLOT"} <= set(codes)
    assert "429" in doc["paths"]["/v1/sessions"]["post"]["responses"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]


def test_the_codes_of_the_table_are_the_contracts():
    pairs = {
        (cls.code, cls.status)
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.DomainError) and cls is not errors.DomainError
    }
    assert ("VALIDATION_ERROR", 400) in pairs and ("VALIDATION_ERROR", 422) in pairs  # Malformed, ValidationFailed
    for key, answers in ROUTES.items():
        for status, codes in answers.refusals.items():
            for code in codes:
                assert (code, status) in pairs, (key, code, status)


def test_the_confirmation_is_html(doc):
    ok = doc["paths"]["/v1/bookings/{booking_id}/confirmation"]["get"]["responses"]["200"]
    assert list(ok["content"]) == ["text/html"]


def test_formats_are_stated(doc):
    schemas = doc["components"]["schemas"]
    register = schemas["RegisterIn"]["properties"]
    assert register["id_number"]["pattern"] == r"^[0-9]{17}[0-9Xx]$"  # ASCII digits (R1): `\\d` reads any script
    assert register["phone"]["pattern"] == models.MOBILE
    assert schemas["VerifyIn"]["properties"]["code"]["pattern"] == r"^[0-9]{6}$"
    booking = schemas["BookingIn"]["properties"]
    assert booking["date"]["format"] == "date"
    assert booking["start"]["pattern"] == r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
    availability = {p["name"]: p for p in doc["paths"]["/v1/offices/{office_id}/availability"]["get"]["parameters"]}
    assert availability["from"]["schema"]["format"] == "date" and "anyOf" not in availability["from"]["schema"]
    assert schemas["CalendarIn"]["properties"]["holidays"]["items"]["format"] == "date"
    for name in (
        "RegisterIn",
        "BookingIn",
        "RenewalApplicationIn",
        "ChangeApplicationIn",
        "ReplacementApplicationIn",
        "WindowCollectionIn",
        "MailCollectionIn",
    ):
        assert schemas[name]["examples"], name
    # each kind of application (method of collection) is its own schema, told apart by `kind` (`method`)
    apply = doc["paths"]["/v1/applications"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert apply["discriminator"]["propertyName"] == "kind" and len(apply["oneOf"]) == 3
    for variant in ("RenewalApplicationIn", "ChangeApplicationIn", "ReplacementApplicationIn"):
        assert "permit_number" in schemas[variant]["required"], variant
    # what every answer carries is required, and its dates, times and instants have their formats
    booking_out = schemas["BookingOut"]
    assert {"booking_id", "reference", "date", "start", "end", "status", "created_at"} <= set(booking_out["required"])
    assert booking_out["properties"]["date"]["format"] == "date"
    assert booking_out["properties"]["created_at"]["format"] == "date-time"
    assert booking_out["properties"]["start"]["pattern"]


# ---------------------------------------------------------------- what the document allows is accepted

_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))


@_SETTINGS
@given(st.from_regex(models.MOBILE, fullmatch=True))
def test_every_phone_the_pattern_allows_is_a_mainland_mobile(phone):
    from hallbook.domain.identity import parse_phone

    assert len(parse_phone(phone)) == 11


def test_the_phone_pattern_covers_every_mobile_range():
    import phonenumbers

    from hallbook.domain.identity import parse_phone

    missed = []
    for prefix in range(130, 200):
        number = f"{prefix}12345678"
        parsed = phonenumbers.parse(number, "CN")
        mobile = (
            phonenumbers.is_valid_number(parsed)
            and phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE
        )
        if mobile and not re.fullmatch(models.MOBILE.strip("^$"), number):
            missed.append(prefix)
        if re.fullmatch(models.MOBILE.strip("^$"), number):
            parse_phone(number)
    assert missed == []


@_SETTINGS
@given(st.from_regex(models.HHMM, fullmatch=True))
def test_every_time_the_pattern_allows_is_read(value):
    from hallbook.domain.timetable import parse_hhmm

    parse_hhmm(value)


@_SETTINGS
@given(st.dates().map(lambda d: d.isoformat()).filter(lambda s: len(s) == 10))
def test_every_date_the_format_allows_is_read(value):
    from hallbook.services.catalog import parse_day

    parse_day(value, "date")


@_SETTINGS
@given(st.from_regex(models.PERSON_NAME, fullmatch=True).filter(lambda s: len(s) <= 50))
def test_every_name_the_pattern_allows_is_accepted(name):
    from hallbook.domain.identity import parse_name

    parse_name(name)


@_SETTINGS
@given(st.from_regex(models.PASSWORD, fullmatch=True).filter(lambda s: 8 <= len(s) <= 128))
def test_every_password_the_pattern_allows_is_accepted(password):
    from hallbook.services.accounts import check_password

    check_password(password)


@_SETTINGS
@given(st.from_regex(models.REFERENCE, fullmatch=True))
def test_every_reference_the_pattern_allows_is_read(reference):
    from hallbook.domain.reference import normalise_reference

    assert normalise_reference(reference) is not None


@_SETTINGS
@given(st.from_regex(models.PERMIT_NUMBER, fullmatch=True))
def test_every_permit_number_the_pattern_allows_is_read(number):
    from hallbook.domain.applications import parse_permit_number

    parse_permit_number(number)


@_SETTINGS
# drawn from ASCII (what the filter keeps): from the whole of Unicode's \w, nearly every draw was filtered out
@given(
    st.from_regex(r"^[\w -]*[\w-][\w -]*$", fullmatch=True, alphabet=st.characters(codec="ascii")).filter(
        lambda s: len(s) <= 16 and s.isascii()
    )
)
def test_every_counter_the_pattern_allows_is_accepted(counter):
    from hallbook.services.tickets import counter_name

    counter_name(counter)


def test_the_id_number_examples_are_real_numbers(doc):
    from datetime import date

    from hallbook.domain.identity import parse_id_number

    for example in doc["components"]["schemas"]["RegisterIn"]["properties"]["id_number"]["examples"]:
        parse_id_number(example, date(2030, 9, 30))


# ---------------------------------------------------------------- /docs


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


def test_docs_load_swagger_ui_from_the_local_gateway_only(api):
    page = api.invoke("GET", "/docs")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert not re.search(r"https?://", page.text), "the page must load nothing from outside"
    assets = _Assets()
    assets.feed(page.text)
    assert {"/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js"} <= set(assets.urls)
    for url in assets.urls:
        asset = api.invoke("GET", url)
        assert asset.status == 200 and len(asset.body) > 0, url
    script = api.invoke("GET", "/docs/swagger-ui-bundle.js")
    assert script.headers["content-type"].startswith("text/javascript") and b"SwaggerUIBundle" in script.body
    assert api.invoke("GET", "/docs/swagger-ui.css").headers["content-type"].startswith("text/css")
    assert "/v1/openapi.json" in page.text
