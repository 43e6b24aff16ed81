"""The family's rules on the in-memory stores (store/memory/family.py): no AWS. R2, guardian links - who
may act for a minor, made by the real-name source, by a hall, or by the first guardian's SMS code, and
ended by the guardian or a hall; R20, family proxies - an adult acting for another adult who confirmed
with a code on their own phone, revocable by either side, the booking the citizen's own. Expected values
are the SPEC's. What only DynamoDB shows (its conditions and races) and the routes' contract with its
attacker tests stay in tests/api/test_proxies.py and tests/api/test_identity_attacks.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import count

import pytest

from hallbook.clock import SHANGHAI
from hallbook.domain import errors
from hallbook.services import audit, bookings, guardians, identity, proxies, waitlist
from hallbook.services.bookings import BookingRequest
from hallbook.services.identity import MATCH, IdentityCheck
from hallbook.services.reschedule import RescheduleRequest
from hallbook.services.tokens import Caller
from hallbook.store import readcache
from hallbook.store.accounts import Account
from hallbook.store.catalog import Catalog
from hallbook.store.guardians import LinksMoved
from hallbook.store.memory import MemoryStores
from hallbook.store.memory.bookings import MemoryGuard
from hallbook.store.proxies import ProxiesMoved
from hallbook.store.stores import installed
from tests.idnumbers import id_number
from tests.unit.builders import catalog, hall, person, service, slots

pytestmark = [pytest.mark.R2, pytest.mark.R20]

OFFICE, SERVICE = "test-hall", "ID_RENEW"
NOW = datetime(2026, 9, 14, 9, 0, tzinfo=SHANGHAI)  # a Monday before the noon release
TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (date(2026, 9, 15 + i) for i in range(4))
_numbers = count(300)


def _catalog() -> Catalog:
    timetable = {SERVICE: slots(("09:00", "09:30", 2), ("09:30", "10:00", 2))}
    return catalog([service(SERVICE)], [hall(OFFICE, [SERVICE], timetable)])


class RealNameSource:
    """Every name matches; `guardians` answers is_guardian (None: the source cannot say)."""

    def __init__(self) -> None:
        self.guardians: dict[tuple[str, str], bool] = {}

    def check(self, name: str, id_number: str, phone: str | None) -> IdentityCheck:
        return IdentityCheck(MATCH, "test", True)

    def is_guardian(self, guardian_id_number: str, minor_id_number: str) -> bool | None:
        return self.guardians.get((guardian_id_number, minor_id_number))


@dataclass
class World:
    fake: MemoryStores
    source: RealNameSource
    audited: list[tuple[str, str, str]]  # (actor, action, outcome) of the acts audited on their own

    def citizen(self, born: str = "19800101", phone_verified: bool = True, role: str = "citizen") -> Caller:
        n = next(_numbers)
        account = person(n, NOW, born=born, phone_prefix="137", name="李四", phone_verified=phone_verified, role=role)
        self.fake.add_account(account)
        return Caller(account.account_id, role, phone_verified=phone_verified)

    def account(self, caller: Caller) -> Account:
        found = self.fake.accounts.get_account(caller.account_id)
        assert found is not None
        return found

    def sms(self, caller: Caller, template: str | None = None) -> list[str]:
        phone = self.account(caller).phone
        return [m.text for m in self.fake.bookings.outbox if m.phone == phone and template in (None, m.template)]

    def code(self, caller: Caller, template: str) -> str:
        found = re.search(r"(?<!\d)(\d{6})(?!\d)", self.sms(caller, template)[-1])
        assert found
        return found.group(1)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """ID_RENEW's slots (two places each) released for the next 14 days; the waitlist's hand-offs (its own
    aggregate) not dispatched; the acts audited on their own recorded, not written."""
    fake = MemoryStores(_catalog())
    fake.release(*(NOW.date() + timedelta(days=i) for i in range(1, 15)))
    audited: list[tuple[str, str, str]] = []
    monkeypatch.setattr(waitlist, "after_cancellation", lambda place, now: None)
    monkeypatch.setattr(
        audit,
        "record",
        lambda caller, action, target, now, **f: audited.append((caller.account_id, action, f.get("outcome", "ok"))),
    )
    source = RealNameSource()
    identity.set_verifier(source)
    try:
        with installed(fake.stores()), readcache.environment(readcache.ReadCaches()):
            yield World(fake, source, audited)
    finally:
        identity.set_verifier(None)


def refused(code: str, call, *args, **kwargs) -> errors.DomainError:  # type: ignore[no-untyped-def]
    with pytest.raises(errors.DomainError) as raised:
        call(*args, **kwargs)
    assert raised.value.code == code, raised.value.detail
    return raised.value


def request(day: date = TUESDAY, **extra: object) -> BookingRequest:
    body = {"office_id": OFFICE, "service_code": SERVICE, "date": day.isoformat(), "start": "09:00"}
    return BookingRequest(**body, notice_acknowledged=True, **extra)  # type: ignore[arg-type]


def minor(born: str = "20150601") -> str:
    return id_number("440305", born, f"{next(_numbers) % 1000:03d}")


# ---------------------------------------------------------------- R20: asking and confirming


def authorised(world: World, son: Caller, father: Caller) -> str:
    dad = world.account(father)
    auth, created = proxies.request(son, dad.id_number or "", dad.phone or "", NOW)
    assert created and auth.link.status == "pending"
    confirmed = proxies.confirm(son, auth.link.proxy_id, world.code(father, "proxy_request"), NOW)
    assert confirmed.link.status == "active"
    return auth.link.proxy_id


def test_the_code_goes_to_the_citizens_own_phone_and_confirms_once(world):
    father, son = world.citizen(born="19480305"), world.citizen()
    dad = world.account(father)
    auth, created = proxies.request(son, dad.id_number or "", dad.phone or "", NOW)
    assert created and (auth.link.status, auth.citizen, auth.viewer) == ("pending", dad, son.account_id)
    assert len(world.sms(father, "proxy_request")) == 1 and world.sms(son) == []  # never to the asker
    assert world.account(son).phone[-4:] in world.sms(father)[0]  # the citizen is told who asks
    proxy_id = auth.link.proxy_id
    code = world.code(father, "proxy_request")
    assert proxies.confirm(son, proxy_id, code, NOW).link.status == "active"
    assert world.sms(father, "proxy_active_citizen") and world.sms(son, "proxy_active_proxy")
    assert proxies.confirm(son, proxy_id, code, NOW).link.status == "active"  # again: as it is, nothing sent
    assert len(world.sms(son, "proxy_active_proxy")) == 1
    held, given = proxies.my_proxies(son, NOW), proxies.my_proxies(father, NOW)
    assert [(a.link.proxy_id, a.viewer) for a in held] == [(proxy_id, son.account_id)]
    assert [(a.link.proxy_id, a.citizen) for a in given] == [(proxy_id, dad)]
    again, created = proxies.request(son, dad.id_number or "", dad.phone or "", NOW)
    assert not created and again.link.proxy_id == proxy_id  # the active one already held
    assert [(a, o) for _, a, o in world.audited] == [
        ("proxy.request", "ok"),
        ("proxy.confirm", "ok"),
        ("proxy.confirm", "ok"),
        ("proxy.request", "ok"),
    ]


def test_a_request_that_is_not_one_registered_citizens_number_and_phone_sends_nothing(world):
    victim, attacker = world.citizen(born="19500101"), world.citizen()
    unverified = world.citizen(phone_verified=False)
    mine = world.account(attacker)
    for id_number_, phone in (
        (world.account(victim).id_number, mine.phone),  # the victim's number with the attacker's phone
        (id_number("440305", "19520101", "999"), "13900000999"),  # nobody registered
        (world.account(unverified).id_number, world.account(unverified).phone),  # a phone not confirmed
    ):
        refused("NOT_FOUND", proxies.request, attacker, id_number_, phone, NOW)
    refused("VALIDATION_ERROR", proxies.request, attacker, mine.id_number, mine.phone, NOW)  # not one's own
    refused("PHONE_NOT_VERIFIED", proxies.request, unverified, world.account(victim).id_number, "13900000001", NOW)
    assert world.fake.bookings.outbox == [] and proxies.my_proxies(attacker, NOW) == []
    assert world.fake.family.proxies == {}


def test_five_wrong_codes_spend_the_code_and_nobody_else_can_confirm_it(world):
    victim, attacker, bystander = world.citizen(born="19500101"), world.citizen(), world.citizen()
    account = world.account(victim)
    proxy_id = proxies.request(attacker, account.id_number or "", account.phone or "", NOW)[0].link.proxy_id
    real = world.code(victim, "proxy_request")
    refused("NOT_FOUND", proxies.confirm, bystander, proxy_id, real, NOW)
    refused("NOT_FOUND", proxies.confirm, victim, proxy_id, real, NOW)  # the citizen does not confirm: the proxy does
    for i in range(proxies.CODE_ATTEMPTS):
        refused("VALIDATION_ERROR", proxies.confirm, attacker, proxy_id, f"{(int(real) + 1 + i) % 10**6:06d}", NOW)
    refused("RATE_LIMITED", proxies.confirm, attacker, proxy_id, real, NOW)  # even the right code
    [link] = world.fake.family.get_proxies(account.account_id).links.values()
    assert (link.status, link.code_attempts) == ("pending", proxies.CODE_ATTEMPTS)
    refused("NOT_FOUND", proxies.book, attacker, proxy_id, request(), "k", NOW)  # pending acts for nobody


def test_a_code_expires_after_thirty_minutes(world):
    father, son = world.citizen(born="19480305"), world.citizen()
    dad = world.account(father)
    proxy_id = proxies.request(son, dad.id_number or "", dad.phone or "", NOW)[0].link.proxy_id
    code = world.code(father, "proxy_request")
    refused("VALIDATION_ERROR", proxies.confirm, son, proxy_id, code, NOW + timedelta(minutes=proxies.CODE_MINUTES))
    assert proxies.confirm(son, proxy_id, code, NOW + timedelta(minutes=29)).link.status == "active"


# ---------------------------------------------------------------- R20: acting for the citizen


def test_the_proxys_booking_is_the_citizens_own_with_a_copy_of_each_sms(world):
    father, son = world.citizen(born="19480305"), world.citizen()
    proxy_id = authorised(world, son, father)
    booking, created = proxies.book(son, proxy_id, request(), "k1", NOW)
    assert created and booking.account_id == father.account_id
    assert booking.subject_id_number == world.account(father).id_number
    assert any(booking.reference in t for t in world.sms(father))
    [copy] = [t for t in world.sms(son) if booking.reference in t]
    assert copy.startswith("（代李*办理·抄送）")
    replayed, created = proxies.book(son, proxy_id, request(), "k1", NOW)
    assert (replayed.booking_id, created) == (booking.booking_id, False)  # the key replays it
    refused("ALREADY_BOOKED", bookings.book, father, request(WEDNESDAY), None, NOW)  # R9: the father's lock
    assert bookings.list_bookings(son, 10, None).bookings == []  # not the son's
    assert [b.booking_id for b in proxies.list_bookings(son, proxy_id, 10, None, NOW).bookings] == [booking.booking_id]
    assert proxies.own_booking_for(son, proxy_id, booking.booking_id).booking_id == booking.booking_id
    other = world.account(world.citizen()).id_number
    refused("FORBIDDEN", proxies.book, son, proxy_id, request(WEDNESDAY, subject_id_number=other), "k2", NOW)

    cancelled = proxies.cancel(son, proxy_id, booking.booking_id, NOW)
    assert (cancelled.status, cancelled.cancelled_by) == ("cancelled", "proxy")
    assert world.fake.bookings.get_subject(booking.subject_id_number).cancel_count == 1  # R11: the father's
    assert world.fake.bookings.get_subject(world.account(son).id_number or "").cancel_count == 0
    actions = [a for actor, a, _ in world.audited if actor == son.account_id]
    assert {"proxy.book", "proxy.list_bookings", "proxy.cancel"} <= set(actions)


def test_a_proxy_sees_and_cancels_only_the_citizens_own_bookings(world):
    father, son, stranger = world.citizen(born="19480305"), world.citizen(), world.citizen()
    proxy_id = authorised(world, son, father)
    theirs, _ = bookings.book(stranger, request(), None, NOW)
    refused("NOT_FOUND", proxies.cancel, son, proxy_id, theirs.booking_id, NOW)
    refused("NOT_FOUND", proxies.own_booking_for, son, proxy_id, theirs.booking_id)
    refused("NOT_FOUND", proxies.list_bookings, stranger, proxy_id, 10, None, NOW)  # someone else's proxy id
    refused("NOT_FOUND", proxies.book, son, "x" * 65, request(), None, NOW)
    assert [a for _, a, o in world.audited if o == "NOT_FOUND"] == ["proxy.cancel", "proxy.list_bookings", "proxy.book"]


@pytest.mark.R11
@pytest.mark.R21
def test_the_proxys_cancellations_count_against_the_citizen_who_is_warned_and_suspended_not_the_proxy(world):
    father, son = world.citizen(born="19480305"), world.citizen()
    proxy_id = authorised(world, son, father)
    for i, day in enumerate((TUESDAY, WEDNESDAY, THURSDAY)):
        booking, _ = proxies.book(son, proxy_id, request(day), f"k{i}", NOW)
        proxies.cancel(son, proxy_id, booking.booking_id, NOW)
    assert len([t for t in world.sms(father) if "本月已取消预约2次" in t]) == 1  # R21: the warning to both
    assert len([t for t in world.sms(son) if "本月已取消预约2次" in t]) == 1
    refused("SUSPENDED", bookings.book, father, request(FRIDAY), None, NOW)  # the father is suspended
    refused("SUSPENDED", proxies.book, son, proxy_id, request(FRIDAY), "k9", NOW)
    assert bookings.book(son, request(FRIDAY), None, NOW)[1]  # the son is not


@pytest.mark.R8a
def test_a_proxy_reschedules_the_citizens_booking_in_one_step_and_a_stranger_cannot(world):
    father, son, stranger = world.citizen(born="19480305"), world.citizen(), world.citizen()
    proxy_id = authorised(world, son, father)
    booking, _ = proxies.book(son, proxy_id, request(), "k1", NOW)
    where = RescheduleRequest(date=WEDNESDAY.isoformat(), start="09:30")
    refused("NOT_FOUND", proxies.reschedule, stranger, proxy_id, booking.booking_id, where, "m1", NOW)
    moved = proxies.reschedule(son, proxy_id, booking.booking_id, where, "m1", NOW)
    assert (moved.date, moved.start, moved.booking_id) == (WEDNESDAY, "09:30", booking.booking_id)
    assert world.fake.bookings.get_subject(booking.subject_id_number).cancel_count == 0  # not a cancellation (R11)
    assert any(booking.reference in t and "已改至" in t for t in world.sms(father))
    [copy] = [t for t in world.sms(son) if booking.reference in t and "已改至" in t]
    assert copy.startswith("（代李*办理·抄送）")
    assert ("proxy.reschedule", "NOT_FOUND") in [(a, o) for _, a, o in world.audited]


# ---------------------------------------------------------------- R20: revocation


@pytest.mark.parametrize("by", ["citizen", "proxy"])
def test_either_side_revokes_both_are_told_and_the_proxy_acts_no_more(world, by):
    father, son, stranger = world.citizen(born="19450101"), world.citizen(), world.citizen()
    proxy_id = authorised(world, son, father)
    booking, _ = proxies.book(son, proxy_id, request(), "k1", NOW)
    refused("NOT_FOUND", proxies.revoke, stranger, proxy_id, NOW)
    revoked = proxies.revoke(father if by == "citizen" else son, proxy_id, NOW)
    assert revoked.link.status == "revoked" and revoked.link.by == (father if by == "citizen" else son).account_id
    assert world.sms(father, "proxy_revoked") and world.sms(son, "proxy_revoked")
    for attempt in (
        lambda: proxies.list_bookings(son, proxy_id, 10, None, NOW),
        lambda: proxies.book(son, proxy_id, request(WEDNESDAY), "k2", NOW),
        lambda: proxies.cancel(son, proxy_id, booking.booking_id, NOW),
        lambda: proxies.own_booking_for(son, proxy_id, booking.booking_id),
        lambda: proxies.revoke(son, proxy_id, NOW),
    ):
        refused("NOT_FOUND", attempt)
    assert world.fake.bookings.get_booking(booking.booking_id).status == "booked"  # bookings made stay
    assert world.fake.family.citizens_of(son.account_id) == []
    dad = world.account(father)
    again, created = proxies.request(son, dad.id_number or "", dad.phone or "", NOW)
    assert created and again.link.proxy_id != proxy_id  # asking again starts over
    assert [a.link.status for a in proxies.my_proxies(son, NOW)] == ["pending"]


def test_a_revocation_landing_mid_booking_refuses_the_booking(world, monkeypatch):
    """The authorisation as read is the booking's condition (the fake's guard, as DynamoDB's transaction)."""
    father, son = world.citizen(born="19450101"), world.citizen()
    proxy_id = authorised(world, son, father)
    book = bookings.book

    def revoked_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        proxies.revoke(father, proxy_id, NOW)
        return book(*args, **kwargs)

    monkeypatch.setattr(bookings, "book", revoked_first)
    refused("NOT_FOUND", proxies.book, son, proxy_id, request(), "k1", NOW)
    assert world.fake.bookings.bookings == {}
    assert world.fake.bookings.get_slot(OFFICE, SERVICE, TUESDAY, "09:00").booked == 0


def test_the_fakes_proxy_guard_holds_only_while_the_authorisations_are_as_read(world):
    father, son = world.citizen(born="19450101"), world.citizen()
    proxy_id = authorised(world, son, father)
    family = world.fake.family
    read = family.get_proxies(father.account_id)
    guard = family.proxies_unchanged(read)
    assert isinstance(guard, MemoryGuard) and guard.holds()
    proxies.revoke(son, proxy_id, NOW)
    assert not guard.holds()
    assert not family.proxies_unchanged(family.get_proxies(son.account_id)).holds()  # no item: as DynamoDB's
    with pytest.raises(ProxiesMoved):  # a save, as DynamoDB's, only on the version read
        family.save_proxies(read, read)


# ---------------------------------------------------------------- R2: guardian links


def test_the_real_name_source_links_a_guardian_at_once_or_refuses(world):
    parent, stranger, child = world.citizen(), world.citizen(), minor()
    world.source.guardians[(world.account(parent).id_number or "", child)] = True
    world.source.guardians[(world.account(stranger).id_number or "", child)] = False
    link = guardians.request_link(parent, child, NOW)
    assert link.guardians.links[parent.account_id].status == "active"
    assert world.sms(parent, "guardian_linked") and child in world.account(parent).wards
    assert guardians.is_guardian(parent.account_id, child)
    assert [m.guardians.minor_id_number for m in guardians.my_links(parent, NOW)] == [child]
    refused("FORBIDDEN", guardians.request_link, stranger, child, NOW)
    assert not guardians.is_guardian(stranger.account_id, child)
    refused("VALIDATION_ERROR", guardians.request_link, parent, world.account(stranger).id_number, NOW)  # an adult
    refused("FORBIDDEN", guardians.request_link, world.citizen(role="staff"), child, NOW)
    refused("PHONE_NOT_VERIFIED", guardians.request_link, world.citizen(phone_verified=False), child, NOW)


def test_with_no_guardian_linked_only_a_hall_links_the_first(world):
    parent, staff, child = world.citizen(), world.citizen(role="staff"), minor()
    refused("FORBIDDEN", guardians.request_link, parent, child, NOW)  # the source cannot say, nobody to confirm
    number = world.account(parent).id_number or ""
    link, created = guardians.link_by_staff(staff, OFFICE, number, child, NOW)
    assert created and link.guardians.links[parent.account_id].by == staff.account_id
    assert guardians.link_by_staff(staff, OFFICE, number, child, NOW)[1] is False  # already active
    assert [e.action for e in world.fake.accounts.audit] == ["guardian_link.create"]
    assert world.sms(parent, "guardian_linked")
    unknown = id_number("440305", "19700101", "998")
    refused("NOT_FOUND", guardians.link_by_staff, staff, OFFICE, unknown, child, NOW)


def test_the_other_parent_is_confirmed_by_the_first_guardians_code(world):
    mother, father, child = world.citizen(), world.citizen(), minor()
    world.fake.link_guardian(mother.account_id, child)
    pending = guardians.request_link(father, child, NOW)
    assert pending.guardians.links[father.account_id].status == "pending"
    assert not guardians.is_guardian(father.account_id, child)
    code = world.code(mother, "guardian_link_request")  # to the first guardian's own phone
    assert world.sms(father) == []
    refused("VALIDATION_ERROR", guardians.confirm_link, father, child, f"{(int(code) + 1) % 10**6:06d}", NOW)
    link = guardians.confirm_link(father, child, code, NOW).guardians.links[father.account_id]
    assert (link.status, link.by) == ("active", mother.account_id)
    assert guardians.is_guardian(father.account_id, child)
    refused("INVALID_STATE", guardians.confirm_link, world.citizen(), child, code, NOW)  # nothing asked


def test_five_wrong_guardian_codes_spend_the_request(world):
    mother, stranger, child = world.citizen(), world.citizen(), minor()
    world.fake.link_guardian(mother.account_id, child)
    guardians.request_link(stranger, child, NOW)
    code = world.code(mother, "guardian_link_request")
    for i in range(guardians.CODE_ATTEMPTS):
        refused("VALIDATION_ERROR", guardians.confirm_link, stranger, child, f"{(int(code) + 1 + i) % 10**6:06d}", NOW)
    refused("RATE_LIMITED", guardians.confirm_link, stranger, child, code, NOW)
    later = NOW + timedelta(minutes=guardians.CODE_MINUTES)
    refused("RATE_LIMITED", guardians.confirm_link, stranger, child, code, later)
    assert not guardians.is_guardian(stranger.account_id, child)


def test_a_revoked_link_acts_no_more_and_its_cancellations_do_not_count(world):
    guardian, staff, child = world.citizen(), world.citizen(role="staff"), minor()
    other, other_child = world.citizen(), minor("20160101")
    world.fake.link_guardian(guardian.account_id, child)
    world.fake.link_guardian(other.account_id, other_child)
    assert guardians.counts_against_subject(world.account(guardian), child)
    revoked = guardians.revoke_own(guardian, child, NOW).guardians.links[guardian.account_id]
    assert (revoked.status, revoked.by) == ("revoked", guardian.account_id)
    assert child not in world.account(guardian).wards and guardians.my_links(guardian, NOW) == []
    assert not guardians.counts_against_subject(world.account(guardian), child)
    assert guardians.counts_against_subject(world.account(guardian), world.account(guardian).id_number or "")
    refused("NOT_FOUND", guardians.revoke_own, guardian, child, NOW)
    assert guardians.revoke_by_staff(staff, other.account_id, other_child, NOW).guardians.active() == []
    assert [e.action for e in world.fake.accounts.audit] == ["guardian_link.revoke"]  # the hall's is audited


def test_the_fakes_links_are_written_on_the_version_read(world):
    parent, child = world.citizen(), minor()
    read = world.fake.family.get(child)
    world.fake.link_guardian(parent.account_id, child)
    with pytest.raises(LinksMoved):
        world.fake.family.save_guardians(read, read)
