"""R16: SMS that heal themselves. A provider outage, a dead-lettered message or a lost stream record
is healed by the notifier's scheduled healing run (every 5 minutes: expire stale verification codes,
probe the provider with one message, back off while it still fails, then re-send everything still
pending); nobody redrives anything by hand. Delivery stays once per message id, an expired code is
never sent and its text does not stay in the outbox.

Local mode runs SQS delays in real time, not on the moved clock: with the notifier's retry base at 0
a failed message goes through all its tries at once and lands in SmsDLQ, as it would after ~10
minutes of a real outage; with the real base its retries are still waiting (seconds, in real time)
when the clock has moved on. Both must heal."""

from __future__ import annotations

from datetime import datetime, timedelta

import boto3
import pytest

from hallbook.clock import now
from hallbook.notify.sms import get_sender, set_sender
from hallbook.store import accounts as account_store
from hallbook.store.outbox import OutboxItem
from tests.conftest import START
from tests.support import new_identity, next_working_day, open_office, registered, sms_texts

pytestmark = [pytest.mark.R16]


@pytest.fixture
def office(system):
    return open_office(system)


class CountingSender:
    """The installed SMS sender, counting every try (the provider's load)."""

    def __init__(self, sender):
        self.sender, self.tries = sender, 0

    def send(self, phone_e164: str, text: str) -> str:
        self.tries += 1
        return self.sender.send(phone_e164, text)


@pytest.fixture
def provider(monkeypatch):
    counting = CountingSender(get_sender())
    set_sender(counting)
    yield counting
    set_sender(counting.sender)


def walk_clock(system, start: datetime, minutes: int) -> None:
    """Move the clock forward minute by minute: every schedule fires when it is due."""
    for minute in range(1, minutes + 1):
        runs = system.move_clock(start + timedelta(minutes=minute))
        assert not [r for r in runs if r.error], runs


def queue_depth(system, logical_id: str) -> int:
    sqs = boto3.client("sqs", endpoint_url=system.aws.url)
    attributes = sqs.get_queue_attributes(
        QueueUrl=system.resources.ref(logical_id), AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


@pytest.mark.parametrize("retry_base", [0, None], ids=["dead-lettered", "still-retrying"])
def test_a_15_minute_outage_heals_by_itself_once_per_message_and_the_stale_code_expires(
    office, api, notifier, monkeypatch, retry_base
):
    if retry_base is not None:
        monkeypatch.setattr(notifier, "RETRY_BASE_SECONDS", retry_base)
    day = next_working_day()
    first, second = registered(office), registered(office)  # their codes went out before the outage

    assert api.invoke("POST", "/local/sms-provider", body={"failing": True}).json() == {"failing": True}
    idn, phone = new_identity()  # a registration during the outage: its code is valid for 10 minutes
    r = api.invoke(
        "POST", "/v1/accounts", body={"name": "王五", "id_number": idn, "phone": phone, "password": "secret-pass-1"}
    )
    assert r.status == 201, r.text
    account_id = account_store.find_account_id(f"ID#{idn}")
    b1 = first.book(day).json()
    b2 = second.book(day, start="09:30").json()
    assert second.cancel(b2["booking_id"]).status == 200
    office.pump.drain()
    assert not sms_texts(office, first.phone, b1["reference"]) and not sms_texts(office, phone, "")
    if retry_base == 0:
        assert queue_depth(office, "SmsDLQ") == 4  # code, booked, booked, cancelled: every try failed

    walk_clock(office, START, 15)  # 09:01 ... 09:15, the provider failing all along
    assert not sms_texts(office, first.phone, b1["reference"])
    api.invoke("POST", "/local/sms-provider", body={"failing": False})
    walk_clock(office, START + timedelta(minutes=15), 5)  # 09:16 ... 09:20: nobody does anything

    assert len(sms_texts(office, first.phone, b1["reference"])) == 1
    second_sms = sms_texts(office, second.phone, b2["reference"])
    assert len(second_sms) == 2 and len(set(second_sms)) == 2  # booked, then cancelled: once each
    assert not office.sms_messages(phone)  # the code expired at 09:10: never sent stale
    code = OutboxItem.get(f"{account_id}#code#1", consistent_read=True)
    assert code.status == "expired" and code.text is None and code.pending_since is None
    assert code.expires_at <= int((START + timedelta(minutes=10, hours=1)).timestamp())  # gone within the hour
    for booking_id, templates in ((b1["booking_id"], ["booked"]), (b2["booking_id"], ["booked", "cancelled"])):
        for template in templates:
            item = OutboxItem.get(f"{booking_id}#{template}", consistent_read=True)
            assert item.status == "sent" and item.pending_since is None
    assert queue_depth(office, "SmsDLQ") == 0 and queue_depth(office, "SmsQueue") == 0
    for citizen in (first, second):  # codes that went out keep no text either
        account_id = account_store.find_account_id(f"ID#{citizen.id_number}")
        sent_code = OutboxItem.get(f"{account_id}#code#1", consistent_read=True)
        assert sent_code.status == "sent" and sent_code.text is None

    walk_clock(office, START + timedelta(minutes=20), 15)  # later runs send nothing twice
    assert len(sms_texts(office, first.phone, b1["reference"])) == 1
    assert len(sms_texts(office, second.phone, b2["reference"])) == 2


def test_a_message_whose_stream_record_was_lost_is_sent_by_the_pending_sweep(office, monkeypatch):
    citizen = registered(office)
    real_invoke = office.functions.invoke

    def invoke(logical_id, event):  # the outbox stream's records vanish, as after MaximumRetryAttempts
        records = event.get("Records") or [{}] if isinstance(event, dict) else [{}]
        if logical_id == "NotifierFunction" and records[0].get("eventSource") == "aws:dynamodb":
            return {"batchItemFailures": []}
        return real_invoke(logical_id, event)

    monkeypatch.setattr(office.functions, "invoke", invoke)
    booking = citizen.book(next_working_day()).json()
    office.pump.drain()
    monkeypatch.setattr(office.functions, "invoke", real_invoke)
    office.pump.drain()
    assert not sms_texts(office, citizen.phone, booking["reference"])
    assert OutboxItem.get(f"{booking['booking_id']}#booked").status == "pending"

    walk_clock(office, START, 10)
    assert len(sms_texts(office, citizen.phone, booking["reference"])) == 1
    assert OutboxItem.get(f"{booking['booking_id']}#booked", consistent_read=True).status == "sent"
    walk_clock(office, START + timedelta(minutes=10), 10)
    assert len(sms_texts(office, citizen.phone, booking["reference"])) == 1


def test_a_long_outage_is_probed_with_one_message_at_growing_intervals(office, api, notifier, monkeypatch, provider):
    monkeypatch.setattr(notifier, "RETRY_BASE_SECONDS", 0)
    citizens = [registered(office) for _ in range(3)]
    api.invoke("POST", "/local/sms-provider", body={"failing": True})
    bookings = [c.book(next_working_day()).json() for c in citizens]
    office.pump.drain()
    assert queue_depth(office, "SmsDLQ") == 3
    tries_before = provider.tries

    walk_clock(office, START, 60)  # an hour down
    # one message per probe, at 09:05, 09:10, 09:20, 09:40, 10:00 (waits of 5, 10, 20, 20 minutes)
    assert provider.tries - tries_before == 5
    assert queue_depth(office, "SmsDLQ") == 3  # nothing was moved back while the provider failed
    assert all(not sms_texts(office, c.phone, b["reference"]) for c, b in zip(citizens, bookings))

    api.invoke("POST", "/local/sms-provider", body={"failing": False})
    walk_clock(office, START + timedelta(minutes=60), 20)  # the next probe (10:20) succeeds: all go out
    assert all(len(sms_texts(office, c.phone, b["reference"])) == 1 for c, b in zip(citizens, bookings))
    assert queue_depth(office, "SmsDLQ") == 0


def test_a_verification_code_past_its_expiry_is_not_sent_by_the_notifier(office, api, notifier, monkeypatch):
    """The queue's own retry reaching a code after its expiry marks it expired instead of sending it."""
    monkeypatch.setattr(notifier, "RETRY_BASE_SECONDS", 0)
    api.invoke("POST", "/local/sms-provider", body={"failing": True})
    idn, phone = new_identity()
    assert (
        api.invoke(
            "POST", "/v1/accounts", body={"name": "赵六", "id_number": idn, "phone": phone, "password": "secret-pass-1"}
        ).status
        == 201
    )
    office.pump.drain()
    api.invoke("POST", "/local/sms-provider", body={"failing": False})
    office.clock.set(now() + timedelta(minutes=11))  # no schedule fires: only the queue retries
    assert office.functions.invoke("JobsFunction", {"job": "redrive_sms"})["moved"] == 1
    office.pump.drain()
    assert not office.sms_messages(phone)
    item = OutboxItem.get(f"{account_store.find_account_id(f'ID#{idn}')}#code#1", consistent_read=True)
    assert item.status == "expired" and item.text is None


def test_the_stream_relay_reports_the_records_it_could_not_enqueue(office, notifier, monkeypatch):
    def record(seq: str, pk: str, name: str = "INSERT") -> dict:
        return {
            "eventName": name,
            "eventSource": "aws:dynamodb",
            "dynamodb": {"SequenceNumber": seq, "Keys": {"pk": {"S": pk}}},
        }

    sent: list[list[str]] = []

    def enqueue_ids(sqs, url, ids):
        sent.append(list(ids))
        return [i for i in ids if i == "b#booked"]

    monkeypatch.setattr(notifier.notify, "enqueue_ids", enqueue_ids)
    event = {
        "Records": [
            record("1", "a#booked"),
            record("2", "a#booked", "MODIFY"),
            record("3", "#sms-healing"),
            record("4", "b#booked"),
            record("5", "c#booked"),
        ]
    }
    assert notifier.relay(event) == {"batchItemFailures": [{"itemIdentifier": "4"}]}
    assert sent == [["a#booked", "b#booked", "c#booked"]]  # one request for the batch, INSERTs only


def test_template_heals_sms_on_a_schedule_with_a_sparse_index_a_stream_destination_and_an_age_alarm():
    from local.template import read_sam_template, schedules

    raw = read_sam_template()
    resources = raw["Resources"]
    table = resources["OutboxTable"]["Properties"]
    index = next(i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == "pending")
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["pending_shard", "pending_since"]
    assert table["StreamSpecification"] == {"StreamViewType": "KEYS_ONLY"}
    stream = resources["NotifierFunction"]["Properties"]["Events"]["OutboxStream"]["Properties"]
    assert stream["MaximumRetryAttempts"] == 10 and stream["BisectBatchOnFunctionError"] is True
    assert stream["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["OutboxStreamFailures", "Arn"]},
    }
    healing = next(s for s in schedules(raw) if s.name == "hallbook-dev-sms-healing")
    assert (healing.expression, healing.input_json, healing.function) == (
        "rate(5 minutes)",
        '{"job": "heal_sms"}',
        "NotifierFunction",
    )
    alarm = resources["OldestPendingSmsAlarm"]["Properties"]
    assert (alarm["MetricName"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "OldestPendingSmsAgeSeconds",
        900,
        "GreaterThanThreshold",
    )
    assert "900 s" in alarm["AlarmDescription"] and alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
