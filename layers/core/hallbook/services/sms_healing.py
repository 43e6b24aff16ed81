"""R16: the SMS healing run. Nobody has to move a failed message back: `heal` runs every 5 minutes (the
notifier's SmsHealing schedule) and

1. finds every message still undelivered 3 minutes (OVERDUE_SECONDS) after it was written, from the
   sparse `pending` index of the outbox (it holds only undelivered messages: one Scan of that index,
   never of the table) - whatever happened to it: a failed provider, a dead-lettered message, a
   stream record that was lost;
2. marks the time-critical ones past their `deliver_by` (verification codes) `expired`, text removed;
3. probes the provider with one message (the most urgent one), sent from the run itself: if it
   fails, the provider is still down, nothing else is moved and the next probe waits 5, then 10, then
   20 minutes (PROBE_WAITS_MINUTES; the state is one small item, `HealingState`);
4. once the probe goes out: every other waiting message is re-enqueued and SmsDLQ is moved back.

Each message is still delivered once per id by services/notify.py's claim."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from ..notify.sms import SmsFailed
from ..store import outbox
from ..store.outbox import HealingState
from . import notify
from .notify import PermanentFailure, deliver, expire, redrive

log = logging.getLogger(__name__)

OVERDUE_SECONDS = 180  # N: undelivered 3 minutes after it was written -> the healing run takes it on
PROBE_WAITS_MINUTES = (5, 10, 20)  # after 1, 2, 3+ failed probes in a row
PROBE_SLACK_SECONDS = 30  # a schedule that fires a little early still probes
PROBE_TRIES = 3  # messages a probe may try before one reaches the provider (others may be done already)
HEAL_LIMIT = 2000  # messages taken on per run (oldest first); the rest next run


@dataclass(frozen=True)
class Healing:
    probe: str  # none (nothing waits) | ok | failed | backing_off
    oldest_pending_seconds: int  # the oldest message undelivered for over OVERDUE_SECONDS; 0 if none
    waiting: int
    expired: int = 0
    requeued: int = 0
    redriven: int = 0
    failures: int = 0  # failed probes in a row
    next_probe_at: str | None = None

    def summary(self) -> dict[str, Any]:
        return {"job": "heal_sms", **asdict(self)}


def probe_wait_seconds(failures: int) -> int:
    return 60 * PROBE_WAITS_MINUTES[min(failures, len(PROBE_WAITS_MINUTES)) - 1]


def heal(now: datetime, sqs: Any, queue_url: str, dead_letter_url: str) -> Healing:
    """One healing run (see the module's docstring)."""
    at = int(now.timestamp())
    waiting = outbox.waiting_since(at - OVERDUE_SECONDS, HEAL_LIMIT)
    oldest = at - waiting[0].pending_since if waiting else 0
    expired = sum(expire(w.message_id, now) for w in waiting if w.deliver_by is not None and w.deliver_by <= at)
    live = [w for w in waiting if w.deliver_by is None or w.deliver_by > at]
    live.sort(key=lambda w: (w.deliver_by is None, w.deliver_by or 0, w.pending_since))  # codes first
    dead_lettered = _depth(sqs, dead_letter_url)
    state = outbox.healing_state()
    base: dict[str, Any] = {"oldest_pending_seconds": oldest, "waiting": len(waiting), "expired": expired}

    if not live and not dead_lettered:
        if state.failures:
            state.delete()
        return Healing("none", **base)
    if state.failures and at < state.next_probe_at:
        return Healing(
            "backing_off", **base, failures=int(state.failures), next_probe_at=_iso(state.next_probe_at, now)
        )

    rest = live
    for i, candidate in enumerate(live[:PROBE_TRIES]):
        try:
            delivery = deliver(candidate.message_id, now)
        except SmsFailed:
            return _probe_failed(state, at, now, base)
        except PermanentFailure:
            delivery = None
        rest = live[i + 1 :]
        if delivery is not None and delivery.status == "sent":
            break
    # the provider answered (or nothing reached it to say otherwise): everything else goes back
    requeued = len(rest) - len(notify.enqueue_ids(sqs, queue_url, [w.message_id for w in rest]))
    redriven = redrive(sqs, dead_letter_url, queue_url) if dead_lettered else 0
    if state.failures:
        state.delete()
    log.info("sms healed", extra={"requeued": requeued, "redriven": redriven, "after_failed_probes": state.failures})
    return Healing("ok", **base, requeued=requeued, redriven=redriven)


def _probe_failed(state: HealingState, at: int, now: datetime, base: dict[str, Any]) -> Healing:
    failures = int(state.failures) + 1
    next_probe_at = at + probe_wait_seconds(failures) - PROBE_SLACK_SECONDS
    HealingState(state.pk, failures=failures, next_probe_at=next_probe_at, last_probe_at=at).save()
    log.warning(
        "sms provider still failing", extra={"failed_probes": failures, "next_probe_at": _iso(next_probe_at, now)}
    )
    return Healing("failed", **base, failures=failures, next_probe_at=_iso(next_probe_at, now))


def _depth(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def _iso(epoch: float, like: datetime) -> str:
    return datetime.fromtimestamp(int(epoch), like.tzinfo).isoformat()
