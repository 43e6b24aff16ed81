"""R17's applications on AWS, as store/ports/applications.py's ApplicationStore: the applications and their locks
(store/applications.py, one DynamoDB transaction per step), the permits they change (store/permits.py,
the same table) and the materials in the uploads bucket (store/uploads.py, presigned S3 requests).
Each method is the store module's function of the same name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain.applications import StoredObject
from . import applications, permits, uploads
from .applications import Application, PermitUpdate, Step
from .audit import AuditEntry
from .outbox import Message
from .permits import Permit
from .uploads import UploadForm


class DynamoApplications:
    def open_application(self, application: Application) -> None:
        applications.open_application(application)

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
        applications.move(
            application,
            step,
            now,
            release_lock=release_lock,
            submitted=submitted,
            decision_reason=decision_reason,
            collection=collection,
            messages=messages,
            permit=permit,
        )

    def get_application(self, application_id: str) -> Application | None:
        return applications.get_application(application_id)

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Application], str | None]:
        return applications.list_for_account(account_id, limit, cursor)

    def list_for_office(
        self, office_id: str, state: str, limit: int, cursor: str | None
    ) -> tuple[list[Application], str | None]:
        return applications.list_for_office(office_id, state, limit, cursor)

    def awaiting_review(self, office_id: str, state: str = "submitted") -> tuple[int, str | None]:
        return applications.awaiting_review(office_id, state)

    def get_permit(self, number: str) -> Permit | None:
        return permits.get_permit(number)

    def permits_of(self, holder_id_number: str) -> list[Permit]:
        return permits.permits_of(holder_id_number)

    def put_permit_audited(self, permit: Permit, entry: AuditEntry, read_version: int) -> None:
        permits.put_permit_audited(permit, entry, read_version)

    def upload_form(self, application_id: str, material: str, content_type: str, max_bytes: int) -> UploadForm:
        return uploads.upload_form(application_id, material, content_type, max_bytes)

    def stored_object(self, application_id: str, material: str) -> StoredObject | None:
        return uploads.stored_object(application_id, material)

    def download_url(self, application_id: str, material: str) -> str:
        return uploads.download_url(application_id, material)
