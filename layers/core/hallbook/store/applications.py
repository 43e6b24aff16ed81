"""Online residence-permit applications (R17), in the permits table beside their permits:

- `APP#<application_id>`: the application, its state and its history (who, when);
- `LOCK#<permit number>#<kind>`: present while an application of that kind is open for that permit
  (one open application per permit and kind), written in the same transaction as the application
  and deleted in the transaction that makes it rejected, closed or withdrawn.

Every step is ONE transaction, conditioned on the state read: the application, and with it the
SMS that reports the step (outbox), the lock's release and the permit's change - never one without
the other. Two staff deciding at once, or a citizen withdrawing while staff open it: one wins, the
other is told the state moved."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ..domain.applications import STAFF_VISIBLE, State
from .base import BaseMeta, ByAccount, Cancelled, Items, latest, page, setting, transact
from .outbox import Message, send_with
from .permits import PermitItem, PermitMoved, permit_key


class ByOfficeState(GlobalSecondaryIndex):
    """Staff's queue: one office's applications in one state, in submission order. Sparse: a draft
    has no `office_state` (staff do not see it until it is submitted)."""

    class Meta:
        index_name = "by_office_state"
        projection = AllProjection()

    office_state = UnicodeAttribute(hash_key=True)  # <office_id>#<state>
    queued_at = UnicodeAttribute(range_key=True)  # <submitted_at>#<application_id>


class HistoryEntry(MapAttribute):
    state = UnicodeAttribute()
    at = UnicodeAttribute()
    by = UnicodeAttribute()  # account id
    by_role = UnicodeAttribute()  # citizen | staff | admin
    note = UnicodeAttribute(null=True)


class ApplicationItem(Model):
    class Meta(BaseMeta):
        table_name = setting("permits_table")

    pk = UnicodeAttribute(hash_key=True)  # APP#<application_id>
    application_id = UnicodeAttribute()
    reference = UnicodeAttribute()
    kind = UnicodeAttribute()
    permit_number = UnicodeAttribute()
    office_id = UnicodeAttribute()  # the permit's office when applied
    account_id = UnicodeAttribute()
    applicant_id_number = UnicodeAttribute()
    state = UnicodeAttribute()
    details = UnicodeAttribute()  # JSON: the kind's fields (reason | change_date, address, ...)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    submitted_at = UnicodeAttribute(null=True)
    uploaded = UnicodeAttribute(null=True)  # JSON {material: {content_type, size}} checked at submission
    decision_reason = UnicodeAttribute(null=True)
    collection = UnicodeAttribute(null=True)  # JSON: {method: window, office_id, date, start, booking_id} | mail
    collection_attempts = NumberAttribute(default=0)
    history = ListAttribute(of=HistoryEntry)
    office_state = UnicodeAttribute(null=True)
    queued_at = UnicodeAttribute(null=True)

    by_account = ByAccount()
    by_office_state = ByOfficeState()


class LockItem(Model):
    class Meta(BaseMeta):
        table_name = setting("permits_table")

    pk = UnicodeAttribute(hash_key=True)  # LOCK#<permit number>#<kind>
    application_id = UnicodeAttribute()


@dataclass(frozen=True)
class Step:
    state: str
    at: str
    by: str
    by_role: str
    note: str | None = None


@dataclass(frozen=True)
class Application:
    application_id: str
    reference: str
    kind: str
    permit_number: str
    office_id: str
    account_id: str
    applicant_id_number: str
    state: str
    details: dict
    created_at: str
    updated_at: str
    history: tuple[Step, ...]
    submitted_at: str | None = None
    uploaded: dict = field(default_factory=dict)
    decision_reason: str | None = None
    collection: dict | None = None
    collection_attempts: int = 0


class AlreadyOpen(Exception):
    def __init__(self, application_id: str | None):
        super().__init__(application_id)
        self.application_id = application_id


class StateMoved(Exception):
    """The application is no longer in the state the step was decided on."""


def application_key(application_id: str) -> str:
    return f"APP#{application_id}"


def lock_key(permit_number: str, kind: str) -> str:
    return f"LOCK#{permit_number}#{kind}"


def _application(item: ApplicationItem) -> Application:
    return Application(
        application_id=item.application_id,
        reference=item.reference,
        kind=item.kind,
        permit_number=item.permit_number,
        office_id=item.office_id,
        account_id=item.account_id,
        applicant_id_number=item.applicant_id_number,
        state=item.state,
        details=json.loads(item.details),
        created_at=item.created_at,
        updated_at=item.updated_at,
        history=tuple(Step(h.state, h.at, h.by, h.by_role, h.note) for h in item.history or []),
        submitted_at=item.submitted_at,
        uploaded=json.loads(item.uploaded) if item.uploaded else {},
        decision_reason=item.decision_reason,
        collection=json.loads(item.collection) if item.collection else None,
        collection_attempts=int(item.collection_attempts or 0),
    )


def _step(step: Step) -> HistoryEntry:
    return HistoryEntry(state=step.state, at=step.at, by=step.by, by_role=step.by_role, note=step.note)


def open_application(application: Application) -> None:
    """Create a draft application and take its permit-and-kind lock, atomically. Raises AlreadyOpen
    (with the open application's id) when another one of that kind is open for the permit."""

    def build(tx: Items) -> None:
        tx.put(
            "lock",
            LockItem(lock_key(application.permit_number, application.kind), application_id=application.application_id),
            LockItem.pk.does_not_exist(),
        )
        tx.put(
            "application",
            ApplicationItem(
                application_key(application.application_id),
                application_id=application.application_id,
                reference=application.reference,
                kind=application.kind,
                permit_number=application.permit_number,
                office_id=application.office_id,
                account_id=application.account_id,
                applicant_id_number=application.applicant_id_number,
                state=application.state,
                details=json.dumps(application.details, ensure_ascii=False, sort_keys=True),
                created_at=application.created_at,
                updated_at=application.updated_at,
                history=[_step(s) for s in application.history],
                collection_attempts=0,
            ),
            ApplicationItem.pk.does_not_exist(),
        )

    try:
        transact(build)
    except Cancelled as cancelled:
        if cancelled.failed("lock"):
            try:
                holder = LockItem.get(lock_key(application.permit_number, application.kind), consistent_read=True)
                raise AlreadyOpen(holder.application_id) from None
            except LockItem.DoesNotExist:  # released meanwhile: the caller may try again
                raise AlreadyOpen(None) from None
        raise


def get_application(application_id: str) -> Application | None:
    item = latest(ApplicationItem, application_key(application_id))
    return None if item is None else _application(item)


@dataclass(frozen=True)
class PermitUpdate:
    """Attribute values to set on the permit, guarded by the expiry read (renewals extend it once)."""

    values: dict[str, str]
    expected_valid_until: str


def move(
    application: Application,
    step: Step,
    now: datetime,
    *,
    release_lock: bool = False,
    submitted: dict | None = None,
    decision_reason: str | None = None,
    collection: dict | None = None,
    messages: tuple[Message, ...] = (),
    permit: PermitUpdate | None = None,
) -> None:
    """One step of an application's life in one transaction: its state (only from the state it was
    read in; for a new collection choice, only with the attempt count read), its history entry,
    what the step records, the SMS reporting it, the lock's release and the permit's change.
    Raises StateMoved or PermitMoved."""
    item = ApplicationItem(application_key(application.application_id))
    now_iso = now.isoformat()
    actions = [
        ApplicationItem.state.set(step.state),
        ApplicationItem.updated_at.set(now_iso),
        ApplicationItem.history.set(ApplicationItem.history.append([_step(step)])),
    ]
    condition = ApplicationItem.state == application.state
    if submitted is not None:
        actions += [
            ApplicationItem.submitted_at.set(now_iso),
            ApplicationItem.queued_at.set(f"{now_iso}#{application.application_id}"),
            ApplicationItem.uploaded.set(json.dumps(submitted, sort_keys=True)),
        ]
    if State(step.state) in STAFF_VISIBLE:
        actions.append(ApplicationItem.office_state.set(f"{application.office_id}#{step.state}"))
    if decision_reason is not None:
        actions.append(ApplicationItem.decision_reason.set(decision_reason))
    if collection is not None:
        actions += [
            ApplicationItem.collection.set(json.dumps(collection, ensure_ascii=False, sort_keys=True)),
            ApplicationItem.collection_attempts.set(application.collection_attempts + 1),
        ]
        condition &= ApplicationItem.collection_attempts == application.collection_attempts

    def build(tx: Items) -> None:
        tx.update("application", item, actions, condition)
        if release_lock:
            tx.delete(
                "lock",
                LockItem(lock_key(application.permit_number, application.kind)),
                LockItem.application_id == application.application_id,
            )
        if permit is not None:
            tx.update(
                "permit",
                PermitItem(permit_key(application.permit_number)),
                [getattr(PermitItem, name).set(value) for name, value in permit.values.items()]
                + [PermitItem.updated_at.set(now_iso), PermitItem.version.add(1)],
                PermitItem.valid_until == permit.expected_valid_until,
            )
        send_with(tx, messages)

    transact(build, {"application": StateMoved, "lock": StateMoved, "permit": PermitMoved})


def list_for_account(account_id: str, limit: int, cursor: str | None) -> tuple[list[Application], str | None]:
    """A citizen's applications, newest first, a page at a time."""
    return page(
        lambda last_key: ApplicationItem.by_account.query(
            account_id, scan_index_forward=False, limit=limit, last_evaluated_key=last_key
        ),
        cursor,
        _application,
        f"applications:{account_id}",
    )


def list_for_office(office_id: str, state: str, limit: int, cursor: str | None) -> tuple[list[Application], str | None]:
    """One office's applications in one state, oldest submission first, a page at a time."""
    return page(
        lambda last_key: ApplicationItem.by_office_state.query(
            f"{office_id}#{state}", scan_index_forward=True, limit=limit, last_evaluated_key=last_key
        ),
        cursor,
        _application,
        f"office-applications:{office_id}#{state}",
    )


def awaiting_review(office_id: str, state: str = "submitted") -> tuple[int, str | None]:
    """How many of a office's applications wait in `state`, and when the oldest was submitted
    (ISO instant): one COUNT Query and one Query of a single key (the Halls dashboard)."""
    key = f"{office_id}#{state}"
    waiting = ApplicationItem.by_office_state.count(key)
    if not waiting:
        return 0, None
    oldest = next(iter(ApplicationItem.by_office_state.query(key, scan_index_forward=True, limit=1)), None)
    return waiting, (oldest.queued_at.split("#", 1)[0] if oldest and oldest.queued_at else None)
