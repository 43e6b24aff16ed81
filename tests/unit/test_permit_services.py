"""R17: residence permits registered by administrators (audited, If-Match for a replacement) and listed
by their holder, on the in-memory stores (services/permits.py): no AWS. Who may call the route (only
administrators) and the problem bodies stay in tests/api/test_applications.py; the write racing
another administrator's on DynamoDB in tests/races/test_permit_writes.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest

from hallbook.clock import SHANGHAI
from hallbook.domain import errors
from hallbook.services import permits
from hallbook.services.tokens import Caller
from hallbook.store.accounts import Account
from hallbook.store.memory import MemoryStores
from hallbook.store.permits import PermitMoved
from hallbook.store.stores import installed
from tests.idnumbers import id_number
from tests.unit.builders import catalog, hall, service

pytestmark = [pytest.mark.R17]

NOW = datetime(2026, 9, 14, 9, 0, tzinfo=SHANGHAI)
STATION, HALL = "test-station", "test-hall"
ADMIN = Caller("admin-1", "admin", None, True)
HOLDER = id_number("460106", "19900315", "231")
NUMBER = "HK2025000009"


def body(**change: Any) -> dict[str, Any]:
    return {
        "holder_id_number": HOLDER,
        "office_id": STATION,
        "address": "海口市龙华区金贸西路20号501",
        "valid_until": "2026-10-01",
        "last_endorsed": "2025-10-01",
        **change,
    }


@pytest.fixture
def fake() -> Iterator[MemoryStores]:
    halls = [
        hall(STATION, ["RP_RENEW"], {}, region="haikou"),
        hall(HALL, ["ID_RENEW"], {}, region="haikou"),
    ]
    fake = MemoryStores(catalog([service("RP_RENEW"), service("ID_RENEW")], halls))
    with installed(fake.stores()):
        yield fake


def refused(code: str, call: Any, *args: Any, **kwargs: Any) -> errors.DomainError:
    with pytest.raises(errors.DomainError) as raised:
        call(*args, **kwargs)
    assert raised.value.code == code, raised.value.detail
    return raised.value


def test_a_permit_is_created_then_replaced_each_write_audited_with_the_number_masked(fake):
    permit, created = permits.put_permit(ADMIN, NUMBER.lower(), body(), NOW)
    assert created and permit.number == NUMBER and permit.holder_id_number == HOLDER
    replaced, created = permits.put_permit(ADMIN, NUMBER, body(address="海口市新地址8号"), NOW)
    assert not created and fake.applications.get_permit(NUMBER) == permits.Permit(**{**replaced.__dict__, "version": 2})
    first, second = fake.applications.audit
    assert (first.action, first.target, first.before) == ("permit.put", f"PERMIT#{NUMBER}", None)
    assert second.before["address"] == "海口市龙华区金贸西路20号501" and second.after["address"] == "海口市新地址8号"
    assert HOLDER not in str(fake.applications.audit)


def test_if_match_must_name_the_version_read(fake):
    permit, _ = permits.put_permit(ADMIN, NUMBER, body(), NOW)
    tag = permits.permit_etag(fake.applications.get_permit(NUMBER))
    permits.put_permit(ADMIN, NUMBER, body(address="海口市新地址8号"), NOW, if_match=f"W/{tag}")
    stale = refused("PRECONDITION_FAILED", permits.put_permit, ADMIN, NUMBER, body(), NOW, if_match=tag)
    assert stale.extra["etag"] == permits.permit_etag(fake.applications.get_permit(NUMBER)) != tag
    refused("PRECONDITION_FAILED", permits.put_permit, ADMIN, "HK2025000010", body(), NOW, if_match="*")  # none yet
    _, _, etag = permits.put_permit_versioned(ADMIN, NUMBER, body(), NOW, if_match="*")
    assert etag == permits.permit_etag(fake.applications.get_permit(NUMBER))


def test_a_write_another_made_meanwhile_is_checked_again_then_busy(fake, monkeypatch):
    store = fake.applications
    real = store.put_permit_audited
    lost: list[int] = []

    def racing(permit, entry, read_version):  # another administrator's write lands first, every time
        lost.append(read_version)
        store.permits[permit.number] = permits.Permit(**{**permit.__dict__, "version": read_version + 1})
        raise PermitMoved()

    monkeypatch.setattr(store, "put_permit_audited", racing)
    refused("BUSY", permits.put_permit, ADMIN, NUMBER, body(), NOW)
    assert lost == [0, 1, 2]  # read again before each attempt
    monkeypatch.setattr(store, "put_permit_audited", real)
    tag = permits.permit_etag(store.get_permit(NUMBER))
    monkeypatch.setattr(store, "put_permit_audited", racing)
    refused(
        "PRECONDITION_FAILED", permits.put_permit, ADMIN, NUMBER, body(address="海口市新地址8号"), NOW, if_match=tag
    )


@pytest.mark.parametrize(
    "change, code, field",
    [
        ({"holder_id_number": "460106199003152311"}, "VALIDATION_ERROR", "holder_id_number"),
        ({"office_id": "nowhere"}, "NOT_FOUND", None),
        ({"office_id": HALL}, "VALIDATION_ERROR", "office_id"),  # no residence-permit business there
        ({"valid_until": "01/10/2026"}, "VALIDATION_ERROR", "valid_until"),
        ({"last_endorsed": "2026-09-20"}, "VALIDATION_ERROR", "last_endorsed"),  # in the future
        ({"address": "海口"}, "VALIDATION_ERROR", "address"),
    ],
)
def test_a_permit_is_validated_before_anything_is_written(fake, change, code, field):
    error = refused(code, permits.put_permit, ADMIN, NUMBER, body(**change), NOW)
    assert error.extra.get("field") == field
    assert fake.applications.permits == {} and fake.applications.audit == []


def test_a_citizen_lists_only_their_own_permits(fake):
    permits.put_permit(ADMIN, "HK2025000011", body(), NOW)
    permits.put_permit(ADMIN, NUMBER, body(), NOW)
    permits.put_permit(ADMIN, "HK2025000012", body(holder_id_number=id_number("460106", "19910101", "111")), NOW)

    def account(account_id: str, number: str | None, role: str = "citizen") -> Caller:
        fake.add_account(
            Account(account_id, "李四", number, None, "", True, role, None, "zh", NOW.isoformat()),
            logins=(),
        )
        return Caller(account_id, role, None, True)

    holder = account("holder", HOLDER)
    assert [p.number for p in permits.own_permits(holder)] == ["HK2025000009", "HK2025000011"]
    assert permits.own_permits(account("other", id_number("460106", "19920202", "222"))) == []
    refused("FORBIDDEN", permits.own_permits, account("staff", None, "staff"))
    assert date.fromisoformat("2026-10-01") == permits.own_permits(holder)[0].valid_until
