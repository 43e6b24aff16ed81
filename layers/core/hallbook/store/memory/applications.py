"""R17's applications in memory (store/ports/applications.py's ApplicationStore): the applications, their
permit-and-kind locks, the permits and the uploaded materials under one lock, each step all or nothing
with the same conditions and the same exceptions as store/applications.py's transactions.

What it leaves out (tests/api): pagination by DynamoDB's keys (the cursor here is an offset), the
presigned POST and S3's checks of its policy (a form here is its key and fields; a test puts the
objects with `put_material`), and the stream that carries the outbox to the notifier."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from ...domain.applications import STAFF_VISIBLE, State, StoredObject
from ..applications import AlreadyOpen, Application, PermitUpdate, StateMoved, Step
from ..audit import AuditEntry
from ..outbox import Message
from ..permits import Permit, PermitMoved
from ..uploads import UPLOAD_SECONDS, UploadForm, object_key

URL = "memory://uploads"
PERMIT_DATES = ("valid_until", "last_endorsed")  # the permit's attributes that are days (ISO text in an update)


class ApplicationExists(Exception):
    """An application's id is taken (on DynamoDB: an unlabelled condition, store.base.Cancelled). Ids are
    random, so only a bug writes one twice."""


def _page(items: list[Application], limit: int, cursor: str | None) -> tuple[list[Application], str | None]:
    offset = int(cursor or 0)
    return items[offset : offset + limit], str(offset + limit) if offset + limit < len(items) else None


@dataclass
class MemoryApplications:
    """What store/applications.py, store/permits.py and store/uploads.py keep, as dicts: `queued` is an
    application's place in its office's queue (`<submitted_at>#<id>`, set at submission, as on DynamoDB)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    applications: dict[str, Application] = field(default_factory=dict)
    locks: dict[tuple[str, str], str] = field(default_factory=dict)  # (permit number, kind) -> application id
    queued: dict[str, str] = field(default_factory=dict)
    permits: dict[str, Permit] = field(default_factory=dict)
    materials: dict[str, StoredObject] = field(default_factory=dict)  # object key -> what HeadObject says
    outbox: list[Message] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)  # an administrator's permit writes

    # ---------------------------------------------------------------- writes, each all or nothing

    def open_application(self, application: Application) -> None:
        key = (application.permit_number, application.kind)
        with self.lock:
            if key in self.locks:
                raise AlreadyOpen(self.locks[key])
            if application.application_id in self.applications:
                raise ApplicationExists(application.application_id)
            self.locks[key] = application.application_id
            self.applications[application.application_id] = replace(application, collection_attempts=0)

    def move(
        self,
        application: Application,
        step: Step,
        now: datetime,
        *,
        release_lock: bool = False,
        submitted: dict[str, Any] | None = None,
        decision_reason: str | None = None,
        collection: dict[str, Any] | None = None,
        messages: tuple[Message, ...] = (),
        permit: PermitUpdate | None = None,
    ) -> None:
        now_iso = now.isoformat()
        lock_key = (application.permit_number, application.kind)
        with self.lock:
            current = self.applications.get(application.application_id)
            if (
                current is None
                or current.state != application.state
                or (collection is not None and current.collection_attempts != application.collection_attempts)
            ):
                raise StateMoved()
            if release_lock and self.locks.get(lock_key) != application.application_id:
                raise StateMoved()
            changed_permit = None
            if permit is not None:
                held = self.permits.get(application.permit_number)
                if held is None or held.valid_until.isoformat() != permit.expected_valid_until:
                    raise PermitMoved()
                values: dict[str, Any] = {
                    name: (date.fromisoformat(value) if name in PERMIT_DATES else value)
                    for name, value in permit.values.items()
                }
                changed_permit = replace(held, **values, updated_at=now_iso, version=held.version + 1)
            moved = replace(current, state=step.state, updated_at=now_iso, history=(*current.history, step))
            if submitted is not None:
                moved = replace(moved, submitted_at=now_iso, uploaded=dict(submitted))
                self.queued[application.application_id] = f"{now_iso}#{application.application_id}"
            if decision_reason is not None:
                moved = replace(moved, decision_reason=decision_reason)
            if collection is not None:
                moved = replace(moved, collection=dict(collection), collection_attempts=current.collection_attempts + 1)
            self.applications[application.application_id] = moved
            if release_lock:
                del self.locks[lock_key]
            if changed_permit is not None:
                self.permits[changed_permit.number] = changed_permit
            self.outbox += messages

    # ---------------------------------------------------------------- reads

    def get_application(self, application_id: str) -> Application | None:
        with self.lock:
            return self.applications.get(application_id)

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Application], str | None]:
        with self.lock:
            mine = [a for a in self.applications.values() if a.account_id == account_id]
        return _page(sorted(mine, key=lambda a: a.created_at, reverse=True), limit, cursor)

    def _in_queue(self, office_id: str, state: str) -> list[Application]:
        """One office's applications in `state`, by submission. The index is sparse: an application is in
        it once submitted (a draft, or a draft withdrawn, never is)."""
        with self.lock:
            found = [
                a
                for a in self.applications.values()
                if a.office_id == office_id
                and a.state == state
                and State(a.state) in STAFF_VISIBLE
                and a.application_id in self.queued
            ]
            return sorted(found, key=lambda a: self.queued[a.application_id])

    def list_for_office(
        self, office_id: str, state: str, limit: int, cursor: str | None
    ) -> tuple[list[Application], str | None]:
        return _page(self._in_queue(office_id, state), limit, cursor)

    def awaiting_review(self, office_id: str, state: str = "submitted") -> tuple[int, str | None]:
        waiting = self._in_queue(office_id, state)
        return len(waiting), (waiting[0].submitted_at if waiting else None)

    def get_permit(self, number: str) -> Permit | None:
        with self.lock:
            return self.permits.get(number)

    def permits_of(self, holder_id_number: str) -> list[Permit]:
        with self.lock:
            return sorted(
                (p for p in self.permits.values() if p.holder_id_number == holder_id_number), key=lambda p: p.number
            )

    def put_permit_audited(self, permit: Permit, entry: AuditEntry, read_version: int) -> None:
        with self.lock:
            held = self.permits.get(permit.number)
            if (held.version if held is not None else 0) != read_version:
                raise PermitMoved()
            self.permits[permit.number] = replace(permit, version=read_version + 1)
            self.audit.append(entry)

    # ---------------------------------------------------------------- materials

    def upload_form(self, application_id: str, material: str, content_type: str, max_bytes: int) -> UploadForm:
        key = object_key(application_id, material)
        fields = {"key": key, "Content-Type": content_type}
        return UploadForm(material, URL, fields, content_type, max_bytes, UPLOAD_SECONDS)

    def stored_object(self, application_id: str, material: str) -> StoredObject | None:
        with self.lock:
            return self.materials.get(object_key(application_id, material))

    def download_url(self, application_id: str, material: str) -> str:
        return f"{URL}/{object_key(application_id, material)}"

    # ---------------------------------------------------------------- what a test sets up

    def put_permit(self, permit: Permit) -> Permit:
        with self.lock:
            self.permits[permit.number] = permit
        return permit

    def put_material(self, application_id: str, material: str, content_type: str, size: int) -> None:
        """What a browser's upload through the form would leave in the bucket (S3 checks no type here)."""
        with self.lock:
            self.materials[object_key(application_id, material)] = StoredObject(content_type, size)
