"""R1, R2, R22: identity changes at a hall on the in-memory stores (services/identity_changes.py and
reclaims.py): no AWS. A clerk never moves an ID number alone: the real-name source's "no" refuses it;
otherwise a SECOND member of staff approves it, or the account that loses the number consents with
the SMS code it received. Once carried out, the owner's new account holds the number and phone, the
stranger's account loses it, its future bookings for the subject are cancelled by the hall and the
cancellations and no-shows it caused are void; the owner sets a password with the code sent to them.
A token lives while its session, the account's generation, role and office do (services.tokens,
against AccountStore.token_state). The routes' guard (who is staff of which hall), the HTTP contract
and DynamoDB's transactions stay in tests/api/test_insiders.py and test_identity_attacks.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

import pytest

from hallbook.clock import SHANGHAI
from hallbook.domain import errors
from hallbook.services import audit, bookings, credentials, identity, identity_changes, reclaims, tokens, waitlist
from hallbook.services.bookings import BookingRequest
from hallbook.services.identity import MATCH, MISMATCH, IdentityCheck
from hallbook.services.tokens import Caller
from hallbook.store import readcache
from hallbook.store.accounts import Account
from hallbook.store.bookings import Booking
from hallbook.store.memory import MemoryStores
from hallbook.store.stores import installed
from tests.idnumbers import id_number
from tests.unit.builders import catalog, hall, person, service, slots

pytestmark = [pytest.mark.R1, pytest.mark.R2, pytest.mark.R22]

OFFICE, OTHER_OFFICE, SERVICE = "test-hall", "other-hall", "ID_RENEW"
NOW = datetime(2026, 9, 14, 9, 0, tzinfo=SHANGHAI)
DAY = date(2026, 9, 15)
CLERK, SECOND_CLERK = Caller("clerk-1", "staff", OFFICE, True), Caller("clerk-2", "staff", OFFICE, True)
_numbers = count(500)


class RealNameSource:
    """Says MISMATCH for the (name, ID number) pairs in `wrong`, and knows the phones in `phones`."""

    def __init__(self) -> None:
        self.wrong: set[tuple[str, str]] = set()
        self.phones: dict[str, str] = {}

    def check(self, name: str, id_number: str, phone: str | None) -> IdentityCheck:
        outcome = MISMATCH if (name, id_number) in self.wrong else MATCH
        holder = self.phones.get(phone or "")
        return IdentityCheck(outcome, "test", None if holder is None else holder == id_number)

    def is_guardian(self, guardian_id_number: str, minor_id_number: str) -> bool | None:
        return None


@dataclass
class World:
    fake: MemoryStores
    source: RealNameSource
    audited: list[tuple[str, str]] = field(default_factory=list)  # (action, outcome)

    def citizen(self, phone: str | None = None) -> Account:
        n = next(_numbers)
        account = person(n, NOW, phone=phone, name="李四", password_hash="x")
        return self.fake.add_account(account)

    def account(self, account_id: str) -> Account:
        found = self.fake.accounts.get_account(account_id)
        assert found is not None
        return found

    def holder_of(self, number: str) -> str | None:
        return self.fake.accounts.find_account_id(f"ID#{number}")

    def book(self, account: Account, day: date = DAY, start: str = "09:00") -> Booking:
        request = BookingRequest(
            office_id=OFFICE, service_code=SERVICE, date=day.isoformat(), start=start, notice_acknowledged=True
        )
        return bookings.book(Caller(account.account_id, "citizen", None, True), request, None, NOW)[0]

    def insider_steps(self) -> list[str]:
        return [
            e["step"]
            for (pattern, _), events in self.fake.flags.events.items()
            for e in events
            if pattern == "insider_change"
        ]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """Two halls; the slots of the next 14 days released; the audit log a list (its store is tested on
    the embedded AWS); what a cancellation hands to the waitlist dropped; argon2 at its cheapest."""
    from argon2 import PasswordHasher

    timetable = {SERVICE: slots(("09:00", "09:30", 3), ("09:30", "10:00", 3))}
    halls = [hall(OFFICE, [SERVICE], timetable), hall(OTHER_OFFICE, [SERVICE], timetable)]
    fake = MemoryStores(catalog([service(SERVICE)], halls))
    fake.release(*(NOW.date() + timedelta(days=i) for i in range(1, 15)))
    world = World(fake, RealNameSource())

    def record(caller: Caller, action: str, target: str, now: datetime, **fields: Any) -> None:
        world.audited.append((action, fields.get("outcome", "ok")))

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(credentials, "hasher", lambda: cheap)
    monkeypatch.setattr(audit, "record", record)
    monkeypatch.setattr(waitlist, "after_cancellation", lambda place, now: None)
    monkeypatch.setattr(waitlist, "offer_free_places", lambda *args: None)
    monkeypatch.setattr(waitlist, "end_entries_for", lambda *args: None)
    identity.set_verifier(world.source)
    try:
        with installed(fake.stores()), readcache.environment(readcache.ReadCaches()):
            yield world
    finally:
        identity.set_verifier(None)


def refused(code: str, call: Any, *args: Any) -> errors.DomainError:
    with pytest.raises(errors.DomainError) as raised:
        call(*args)
    assert raised.value.code == code, raised.value.detail
    return raised.value


def request(world: World, holder: Account, owner_phone: str = "13900000001", now: datetime = NOW) -> dict[str, Any]:
    assert holder.id_number
    return identity_changes.request_reclaim(CLERK, OFFICE, holder.id_number, "李四", owner_phone, "zh", now)


def consent_code(world: World, holder: Account) -> str:
    texts = [
        m.text
        for m in world.fake.bookings.outbox
        if m.phone == holder.phone and m.template == "identity_change_consent"
    ]
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", texts[-1])
    assert found
    return found.group(1)


# ---------------------------------------------------------------- the request


def test_a_reclaim_the_real_name_source_contradicts_is_refused_and_flagged(world):
    holder = world.citizen()
    assert holder.id_number and holder.phone
    world.source.wrong.add(("王芳", holder.id_number))
    refused(
        "FORBIDDEN", identity_changes.request_reclaim, CLERK, OFFICE, holder.id_number, "王芳", "13900000002", "zh", NOW
    )
    world.source.phones["13900000003"] = "someone else"  # the phone is someone else's
    refused(
        "FORBIDDEN", identity_changes.request_reclaim, CLERK, OFFICE, holder.id_number, "李四", "13900000003", "zh", NOW
    )
    assert world.holder_of(holder.id_number) == holder.account_id
    assert world.insider_steps() == ["refused", "refused"]
    assert not world.fake.identity.changes


def test_a_minors_number_is_never_reclaimed_for_an_account(world):
    minor = id_number("440305", "20200404", "412")
    refused(
        "VALIDATION_ERROR", identity_changes.request_reclaim, CLERK, OFFICE, minor, "小明", "13900000004", "zh", NOW
    )


def test_a_reclaim_waits_pending_with_a_consent_code_to_the_holder(world):
    holder = world.citizen()
    pending = request(world, holder)
    assert pending["status"] == "pending" and pending["consent_sent_to"] == [
        holder.phone[:3] + "****" + holder.phone[-4:]
    ]
    assert world.holder_of(holder.id_number or "") == holder.account_id  # nothing moved yet
    assert world.insider_steps() == ["requested"] and ("reclaim.request", "ok") in world.audited
    assert len(consent_code(world, holder)) == 6


# ---------------------------------------------------------------- two clerks, or the holder's consent


def test_the_clerk_who_asked_cannot_approve_alone_a_second_clerk_can_once(world):
    holder = world.citizen()
    change = request(world, holder)["change_id"]
    refused("FORBIDDEN", identity_changes.approve, CLERK, OFFICE, change, NOW)
    refused("NOT_FOUND", identity_changes.approve, SECOND_CLERK, OTHER_OFFICE, change, NOW)  # another hall's change
    done = identity_changes.approve(SECOND_CLERK, OFFICE, change, NOW)
    assert done["status"] == "done"
    owner_id = done["result"]["account_id"]
    assert world.holder_of(holder.id_number or "") == owner_id != holder.account_id
    assert world.account(holder.account_id).id_number is None
    refused("INVALID_STATE", identity_changes.approve, SECOND_CLERK, OFFICE, change, NOW)
    assert world.insider_steps() == ["requested", "done"]


def test_the_holders_consent_code_carries_it_out_counted_before_compared(world):
    holder = world.citizen()
    change = request(world, holder)["change_id"]
    code = consent_code(world, holder)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(identity_changes.CODE_ATTEMPTS - 1):
        refused("VALIDATION_ERROR", identity_changes.consent, CLERK, OFFICE, change, wrong, NOW)
    assert identity_changes.consent(CLERK, OFFICE, change, code, NOW)["status"] == "done"
    refused("INVALID_STATE", identity_changes.consent, CLERK, OFFICE, change, code, NOW)


def test_after_five_wrong_codes_only_a_second_clerk_can_approve(world):
    holder = world.citizen()
    change = request(world, holder)["change_id"]
    code = consent_code(world, holder)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(identity_changes.CODE_ATTEMPTS):
        refused("VALIDATION_ERROR", identity_changes.consent, CLERK, OFFICE, change, wrong, NOW)
    refused("RATE_LIMITED", identity_changes.consent, CLERK, OFFICE, change, code, NOW)
    assert identity_changes.approve(SECOND_CLERK, OFFICE, change, NOW)["status"] == "done"


def test_a_consent_code_expires_and_a_pending_change_ends(world):
    holder = world.citizen()
    change = request(world, holder)["change_id"]
    code = consent_code(world, holder)
    late = NOW + timedelta(minutes=identity_changes.CODE_MINUTES + 1)
    refused("VALIDATION_ERROR", identity_changes.consent, CLERK, OFFICE, change, code, late)
    ended = NOW + timedelta(hours=identity_changes.PENDING_HOURS)
    refused("NOT_FOUND", identity_changes.approve, SECOND_CLERK, OFFICE, change, ended)


def test_nobody_consents_to_a_free_number_a_second_clerk_approves(world):
    free = id_number("440305", "19850505", "613")
    pending = identity_changes.request_reclaim(CLERK, OFFICE, free, "王芳", "13900000005", "zh", NOW)
    assert pending["consent_sent_to"] == []
    refused("INVALID_STATE", identity_changes.consent, CLERK, OFFICE, pending["change_id"], "123456", NOW)
    done = identity_changes.approve(SECOND_CLERK, OFFICE, pending["change_id"], NOW)
    assert world.holder_of(free) == done["result"]["account_id"]


def test_a_change_that_cannot_be_carried_out_stays_pending(world):
    holder, taken = world.citizen(), world.citizen()
    assert taken.phone
    change = request(world, holder, owner_phone=taken.phone)["change_id"]  # the phone is another account's
    refused("PHONE_TAKEN", identity_changes.approve, SECOND_CLERK, OFFICE, change, NOW)
    assert world.fake.identity.changes[change].status == "pending"
    assert world.holder_of(holder.id_number or "") == holder.account_id


# ---------------------------------------------------------------- what a reclaim does


def test_the_strangers_hold_ends_and_its_sanctions_on_the_owner_are_void(world):
    stranger = world.citizen()
    number = stranger.id_number or ""
    for start in ("09:00", "09:30"):
        booking = world.book(stranger, start=start)
        bookings.cancel_booking(booking, NOW, by="citizen")
    future = world.book(stranger, day=DAY + timedelta(days=1))
    assert world.fake.bookings.get_subject(number).cancel_count == 2
    change = request(world, stranger)["change_id"]
    result = identity_changes.approve(SECOND_CLERK, OFFICE, change, NOW)["result"]
    assert result["previous_account_cancelled_bookings"] == 1 and result["voided"] == {
        "cancellations": 2,
        "no_shows": 0,
    }
    assert number not in str(result)
    cancelled = world.fake.bookings.get_booking(future.booking_id)
    assert cancelled is not None and cancelled.status == "cancelled" and cancelled.cancelled_by == "hall"
    assert world.fake.bookings.get_subject(number).cancel_count == 0
    stranger_now = world.account(stranger.account_id)
    assert stranger_now.id_number is None and not stranger_now.identity_verified
    owner = world.account(result["account_id"])
    assert owner.identity_verified and not owner.phone_verified and owner.password_hash == ""
    assert [a.action for a in world.fake.accounts.audit] == ["identity.reclaim"]


def test_the_owner_sets_a_password_with_the_code_once(world):
    stranger = world.citizen()
    number = stranger.id_number or ""
    change = request(world, stranger, owner_phone="13900000006")["change_id"]
    owner_id = identity_changes.approve(SECOND_CLERK, OFFICE, change, NOW)["result"]["account_id"]
    texts = [m.text for m in world.fake.accounts.outbox if m.phone == "13900000006"]
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", texts[-1])
    assert found
    code = found.group(1)
    wrong = "000000" if code != "000000" else "111111"
    refused("VALIDATION_ERROR", reclaims.confirm, number, wrong, "owner-pass-1", NOW)
    assert reclaims.confirm(number, code, "owner-pass-1", NOW) == {"account_id": owner_id, "phone_verified": True}
    owner = world.account(owner_id)
    assert owner.phone_verified and owner.password_hash and owner.code_hash is None
    refused("VALIDATION_ERROR", reclaims.confirm, number, code, "owner-pass-2", NOW)  # used


def test_the_owners_code_is_guessed_five_times_at_most_and_expires(world):
    stranger = world.citizen()
    number = stranger.id_number or ""
    change = request(world, stranger, owner_phone="13900000007")["change_id"]
    identity_changes.approve(SECOND_CLERK, OFFICE, change, NOW)
    late = NOW + timedelta(minutes=reclaims.CODE_MINUTES + 1)
    texts = [m.text for m in world.fake.accounts.outbox if m.phone == "13900000007"]
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", texts[-1])
    assert found
    refused("VALIDATION_ERROR", reclaims.confirm, number, found.group(1), "owner-pass-1", late)
    for _ in range(reclaims.CODE_ATTEMPTS - 1):
        refused("VALIDATION_ERROR", reclaims.confirm, number, "999999x", "owner-pass-1", NOW)
    refused("RATE_LIMITED", reclaims.confirm, number, found.group(1), "owner-pass-1", NOW)


# ---------------------------------------------------------------- a token's state (services.tokens.ensure_live)


def test_a_token_lives_while_its_session_generation_role_and_office_do(world):
    citizen = world.citizen()
    live = Caller(citizen.account_id, "citizen", None, True, gen=0, sid="s1", expires_at=2_000_000_000)
    assert tokens.ensure_live(live) == live
    for dead in (
        replace(live, sid=None),  # no session: an old token
        replace(live, account_id="no-such-account"),
        replace(live, gen=1),  # not the account's generation
        replace(live, role="staff"),
        replace(live, office_id=OFFICE),
    ):
        refused("UNAUTHENTICATED", tokens.ensure_live, dead)
    world.fake.accounts.revoke_session(citizen.account_id, "s1", 2_000_000_000, 0)  # logged out
    refused("UNAUTHENTICATED", tokens.ensure_live, live)
    other_session = replace(live, sid="s2")
    assert tokens.ensure_live(other_session) == other_session
    assert world.fake.accounts.change_password(citizen.account_id, "x", "y") == 1  # every session ends
    refused("UNAUTHENTICATED", tokens.ensure_live, other_session)
