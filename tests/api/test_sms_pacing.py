"""R16 at noon (issue 13): thousands of booking SMS within a minute, a provider that takes a fixed rate.
The notifier paces to the configured rate (at most that many sends in any one second, per sending
environment), the queue absorbs the burst, and every message goes out exactly once. The pacer runs on
a fake clock here: nothing sleeps, and the send instants it hands out are checked, not measured."""

from __future__ import annotations

from collections import Counter

import pytest

from hallbook.clock import now
from hallbook.notify import pacing
from hallbook.notify.sms import get_sender, set_sender
from hallbook.store.outbox import Message, OutboxItem, enqueue
from local.template import TEMPLATE_PATH, read_sam_template
from tests.support import count_dynamodb_calls

pytestmark = pytest.mark.R16


class FakeTime:
    def __init__(self):
        self.t = 1000.0

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.t += seconds


class Recording:
    """The installed sender, noting each send's instant on the pacer's clock."""

    def __init__(self, sender, time: FakeTime):
        self.sender, self.time, self.sent = sender, time, []

    def send(self, phone_e164: str, text: str) -> str:
        self.sent.append((self.time.t, phone_e164, text))
        return self.sender.send(phone_e164, text)


def busiest_second(instants: list[float]) -> int:
    instants = sorted(instants)
    return max(sum(1 for t in instants if start <= t < start + 1.0) for start in instants)


def test_the_pacer_never_lets_more_than_the_rate_into_any_second():
    time = FakeTime()
    pacer = pacing.Pacer(7, time.clock, time.sleep)
    instants = []
    for _ in range(50):
        pacer.wait_turn()
        instants.append(time.t)
        time.t += 0.01  # the send itself
    assert busiest_second(instants) == 7
    assert instants[-1] - instants[0] >= (50 // 7) - 1  # the burst is spread, not dropped


def test_the_rate_is_shared_by_the_sending_environments(environ):
    environ(SMS_RATE_PER_SECOND="20", SMS_SENDERS="2")
    assert pacing.rate_per_environment() == 10
    environ(SMS_RATE_PER_SECOND="3")
    assert pacing.rate_per_environment() == 1


@pytest.fixture
def paced(system, monkeypatch):
    time = FakeTime()
    pacing.set_pacer(pacing.Pacer(pacing.rate_per_environment(), time.clock, time.sleep))
    recording = Recording(get_sender(), time)
    set_sender(recording)
    calls = count_dynamodb_calls(monkeypatch)
    yield recording, calls
    set_sender(recording.sender)
    pacing.set_pacer(None)


def test_a_noon_burst_goes_out_once_each_at_the_providers_pace(system, paced):
    recording, calls = paced
    at = now()
    burst = 45
    for i in range(burst):
        enqueue(Message(f"noon-{i}", "booked", f"139{i:08d}", f"【政务大厅预约】预约成功 {i}", at))
    calls.clear()
    while system.pump.drain():
        pass
    during = list(calls)  # what the notifier asked of DynamoDB (the stream and queue polls are not DynamoDB)
    texts = Counter(text for _, _, text in recording.sent)
    assert len(texts) == burst and set(texts.values()) == {1}  # nothing lost, nothing doubled
    assert busiest_second([t for t, _, _ in recording.sent]) <= pacing.rate_per_environment()
    statuses = Counter(OutboxItem.get(f"noon-{i}").status for i in range(burst))
    assert statuses == {"sent": burst}
    assert not list(OutboxItem.pending.scan())  # none left in the pending index
    # DynamoDB per delivered SMS: the claim, and the batch's `sent` records in one request
    assert during.count("UpdateItem") == burst
    assert during.count("BatchWriteItem") <= -(-burst // 10) + 1
    assert [c for c in during if c not in ("UpdateItem", "BatchWriteItem")] == []


def test_the_template_paces_sms_and_alarms_on_the_oldest_waiting_one():
    template = read_sam_template(TEMPLATE_PATH)
    assert template["Parameters"]["SmsRatePerSecond"]["Type"] == "Number"
    notifier = template["Resources"]["NotifierFunction"]["Properties"]
    assert notifier["Environment"]["Variables"]["SMS_RATE_PER_SECOND"] == {"Ref": "SmsRatePerSecond"}
    senders = notifier["Environment"]["Variables"]["SMS_SENDERS"]
    assert senders == {"Ref": "SmsSenders"} and int(template["Parameters"]["SmsSenders"]["Default"]) >= 2
    assert notifier["Events"]["SmsQueueEvent"]["Properties"]["ScalingConfig"]["MaximumConcurrency"] == senders
    alarm = template["Resources"]["SmsQueueAgeAlarm"]["Properties"]
    assert alarm["MetricName"] == "ApproximateAgeOfOldestMessage" and alarm["Namespace"] == "AWS/SQS"
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["SmsQueue", "QueueName"]}}]
