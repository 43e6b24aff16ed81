"""An administrator's permit write against one that lands between its read and its write (another
administrator, or an application's approval): the If-Match check and the write are one decision,
because the write is conditional on the version read (store.permits.put_permit_audited). Without
that condition the late write would silently undo the other one."""

from __future__ import annotations

import json

import pytest

from hallbook.clock import now
from hallbook.domain import errors
from hallbook.services import permits
from hallbook.services.tokens import Caller
from hallbook.store import permits as store
from hallbook.store.audit import AuditItem
from tests.api.test_applications import PERMIT_OFFICE, put_permit_office
from tests.idnumbers import id_number

pytestmark = pytest.mark.R17
NUMBER = "HK0000000042"
ADMIN = Caller("admin-1", "admin", None, True)
OTHER_ADMIN = Caller("admin-2", "admin", None, True)


def body(address: str) -> dict:
    return {
        "holder_id_number": id_number("460106", "19900101", "123"),
        "office_id": PERMIT_OFFICE,
        "address": address,
        "valid_until": "2027-10-01",
        "last_endorsed": "2025-10-01",
    }


@pytest.fixture
def permit(system) -> str:
    """A stored permit and the ETag an administrator read it at."""
    put_permit_office()
    permits.put_permit(ADMIN, NUMBER, body("海口市龙华区金贸西路20号501"), now())
    tag = permits.permit_etag(store.get_permit(NUMBER))
    assert tag
    return tag


def land_after_first_read(monkeypatch, write) -> None:
    original = store.get_permit
    landed: list[bool] = []

    def read(number: str):
        found = original(number)
        if not landed:
            landed.append(True)
            write()
        return found

    monkeypatch.setattr(store, "get_permit", read)


def test_a_change_landing_after_the_if_match_check_read_is_412_not_overwritten(permit, monkeypatch):
    land_after_first_read(
        monkeypatch, lambda: permits.put_permit(OTHER_ADMIN, NUMBER, body("海口市美兰区其他管理员的地址"), now())
    )
    with pytest.raises(errors.PreconditionFailed) as refused:
        permits.put_permit(ADMIN, NUMBER, body("海口市秀英区我的地址"), now(), if_match=permit)
    stored = store.get_permit(NUMBER)
    assert stored is not None and stored.address == "海口市美兰区其他管理员的地址"
    assert refused.value.extra["etag"] == permits.permit_etag(stored)


def test_without_if_match_the_late_write_wins_and_its_audit_entry_shows_what_it_replaced(permit, monkeypatch):
    land_after_first_read(
        monkeypatch, lambda: permits.put_permit(OTHER_ADMIN, NUMBER, body("海口市美兰区其他管理员的地址"), now())
    )
    permits.put_permit(ADMIN, NUMBER, body("海口市秀英区我的地址"), now())
    stored = store.get_permit(NUMBER)
    assert stored is not None and stored.address == "海口市秀英区我的地址" and stored.version == 3
    mine = [i for i in AuditItem.scan() if i.action == "permit.put" and i.actor_id == ADMIN.account_id]
    latest_entry = max(mine, key=lambda i: i.sk)
    assert (
        json.loads(latest_entry.before or "{}")["address"] == "海口市美兰区其他管理员的地址"
    )  # not the version it first read
