"""A citizen's flow through the client openapi-python-client generated from GET /v1/openapi.json
(the package `hallbook_client` on PYTHONPATH): register, verify, log in, availability, book, cancel,
and a residence-permit renewal. Nothing here is hand-written but the calls. Run by
tests/blackbox/test_20_generated_clients.py with BASE, NAME, ID_NUMBER, PHONE, PERMIT and TODAY."""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.request
from datetime import date, timedelta

from hallbook_client import AuthenticatedClient, Client
from hallbook_client.api.accounts import create_session, register_account, verify_phone
from hallbook_client.api.admin import put_permit
from hallbook_client.api.applications import create_application
from hallbook_client.api.bookings import cancel_booking, create_booking
from hallbook_client.api.catalog import get_availability, list_services
from hallbook_client.models import (
    ApplicationOut,
    AvailabilityOut,
    BookingIn,
    BookingOut,
    PermitIn,
    Problem,
    RegisterIn,
    RenewalApplicationIn,
    ServicesOut,
    SessionIn,
    SessionOut,
    VerifyIn,
)

BASE = os.environ["BASE"]
TODAY = date.fromisoformat(os.environ["TODAY"])


def fail(step: str, what: object) -> None:
    print(json.dumps({"step": step, "what": repr(what)}), file=sys.stderr)
    sys.exit(1)


def sms_code(phone: str) -> str:
    """Local mode only (not in the document): the SMS that would have gone out."""
    for _ in range(300):
        with urllib.request.urlopen(f"{BASE}/local/sms?phone={phone}") as reply:
            for message in json.load(reply):
                found = re.search(r"(\d{6})", message["message"])
                if found:
                    return found.group(1)
        time.sleep(0.1)
    fail("sms", phone)
    raise AssertionError


def main() -> None:
    public = Client(base_url=BASE)
    phone, id_number, password = os.environ["PHONE"], os.environ["ID_NUMBER"], "abc12345"
    registered = register_account.sync_detailed(
        client=public, body=RegisterIn(name=os.environ["NAME"], id_number=id_number, phone=phone, password=password)
    )
    if registered.status_code != 201:
        fail("register", registered)
    verified = verify_phone.sync_detailed(client=public, body=VerifyIn(id_number=id_number, code=sms_code(phone)))
    if verified.status_code != 200:
        fail("verify", verified)
    session = create_session.sync(client=public, body=SessionIn(login=phone, password=password))
    if not isinstance(session, SessionOut):
        fail("login", session)
        return
    citizen = AuthenticatedClient(base_url=BASE, token=session.token)

    services = list_services.sync(client=public)
    if not isinstance(services, ServicesOut) or "ID_RENEW" not in {s.code for s in services.services}:
        fail("services", services)

    office = "gz-tianhe-centre"
    availability = get_availability.sync(office, client=public, service="ID_RENEW", from_=TODAY + timedelta(days=2))
    if not isinstance(availability, AvailabilityOut):
        fail("availability", availability)
        return
    choice = next(((d.date, s.start) for d in availability.days for s in d.slots if s.remaining > 0), None)
    if choice is None:
        fail("availability", "no free slot")
        return

    booking = create_booking.sync(
        client=citizen,
        body=BookingIn(
            office_id=office, service_code="ID_RENEW", date=choice[0], start=choice[1], notice_acknowledged=True
        ),
        idempotency_key=f"py-{id_number}",
    )
    if not isinstance(booking, BookingOut) or booking.status != "booked":
        fail("book", booking)
        return
    cancelled = cancel_booking.sync(booking.booking_id, client=citizen)
    if not isinstance(cancelled, BookingOut) or cancelled.status != "cancelled":
        fail("cancel", cancelled)
    again = cancel_booking.sync(booking.booking_id, client=citizen)
    if not isinstance(again, Problem) or again.code != "NOT_CANCELLABLE":
        fail("cancel twice", again)

    # R17: an administrator registers the citizen's permit; the citizen applies for its renewal
    admin_session = create_session.sync(client=public, body=SessionIn(login="admin", password="local-admin-pass"))
    if not isinstance(admin_session, SessionOut):
        fail("admin login", admin_session)
        return
    admin = AuthenticatedClient(base_url=BASE, token=admin_session.token)
    permit = put_permit.sync_detailed(
        os.environ["PERMIT"],
        client=admin,
        body=PermitIn(
            holder_id_number=id_number,
            office_id="hk-longhua-jinmao-ps",
            address="海口市龙华区金贸西路20号",
            valid_until=TODAY + timedelta(days=20),
        ),
    )
    if permit.status_code not in (200, 201):
        fail("permit", permit)
    application = create_application.sync(
        client=citizen, body=RenewalApplicationIn(kind="renewal", permit_number=os.environ["PERMIT"])
    )
    if not isinstance(application, ApplicationOut) or application.state != "draft":
        fail("apply", application)
        return
    print(json.dumps({"booking": booking.reference, "application": application.reference}))


if __name__ == "__main__":
    main()
