"""The residence-permit applications' port (R17): what services/applications.py and its
application_*.py neighbours read and write, and the permits themselves (services/permits.py)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ...domain.applications import StoredObject
    from ..applications import Application, PermitUpdate, Step
    from ..audit import AuditEntry
    from ..outbox import Message
    from ..permits import Permit
    from ..uploads import UploadForm


class ApplicationStore(Protocol):
    """R17's applications with their permits and uploaded materials: every step is one write that
    succeeds whole or raises - the application, its SMS (R16), its permit-and-kind lock and its permit's
    change together (services/applications.py and its application_*.py neighbours)."""

    def open_application(self, application: Application) -> None:
        """The draft and its permit-and-kind lock (one open application per permit and kind), all or
        nothing. Raises store.applications.AlreadyOpen with the open one's id (None: freed meanwhile)."""
        ...

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
        """From the state read to `step.state` only if still in it (a new collection: only with the
        attempt count read), with its history entry, what the step records (the materials found, the
        decision, the collection), its SMS, the lock's release and the permit's change (only while the
        permit's expiry is the one read), all or nothing. Raises StateMoved or PermitMoved."""
        ...

    def get_application(self, application_id: str) -> Application | None: ...

    def list_for_account(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Application], str | None]:
        """A citizen's applications, newest first, a page at a time (cursor: the next page's)."""
        ...

    def list_for_office(
        self, office_id: str, state: str, limit: int, cursor: str | None
    ) -> tuple[list[Application], str | None]:
        """One office's applications in one state (never drafts), oldest submission first, a page at a time."""
        ...

    def awaiting_review(self, office_id: str, state: str = "submitted") -> tuple[int, str | None]:
        """How many of the office's applications are in `state`, and the oldest one's submission instant."""
        ...

    def get_permit(self, number: str) -> Permit | None: ...

    def permits_of(self, holder_id_number: str) -> list[Permit]:
        """The permits a citizen holds, by number."""
        ...

    def put_permit_audited(self, permit: Permit, entry: AuditEntry, read_version: int) -> None:
        """An administrator's permit (services/permits.py) and its audit entry, all or nothing, only while
        the stored permit is still at `read_version` (0: none yet); written as the next version. Raises
        store.permits.PermitMoved."""
        ...

    def upload_form(self, application_id: str, material: str, content_type: str, max_bytes: int) -> UploadForm:
        """A form that uploads exactly this material, of this type and 1..max_bytes bytes, and nothing else."""
        ...

    def stored_object(self, application_id: str, material: str) -> StoredObject | None:
        """The uploaded material's type and size as stored, or None."""
        ...

    def download_url(self, application_id: str, material: str) -> str:
        """A short-lived URL that reads the uploaded material."""
        ...
