"""R17 online residence-permit applications, the citizen's steps: apply for a permit they hold
(renewal, change of details, replacement), submit once the materials are uploaded
(application_materials.py), withdraw. The citizen then picks collection (application_collection.py);
staff of the permit's office review, decide and close (application_review.py); the lists are
application_reads.py's. Rules are hallbook.domain.applications; each step is one write
(stores().applications)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from ..domain import errors
from ..domain.applications import Kind, State, check_eligible, check_transition, details_for, parse_permit_number
from ..domain.reference import new_reference
from ..i18n import N_
from ..store.accounts import Account
from ..store.applications import AlreadyOpen, Application, StateMoved, Step
from ..store.stores import stores
from ..store.uploads import UploadForm
from .application_materials import first_forms, uploaded_materials
from .application_reads import own_application
from .application_steps import state_moved, stepped
from .catalog import parse_day
from .tokens import Caller

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Opened:
    """A new draft and a presigned upload form per material."""

    application: Application
    upload_forms: list[UploadForm]


def _citizen(caller: Caller) -> Account:
    account = stores().accounts.get_account(caller.account_id)
    if account is None or account.role != "citizen" or not account.id_number:
        raise errors.Forbidden("Only a citizen's account can apply.")
    if not account.phone_verified:
        raise errors.PhoneNotVerified("Confirm your phone with the SMS code before applying.")
    return account


def create(
    caller: Caller,
    kind: str,
    permit_number: str,
    now: datetime,
    *,
    reason: str | None = None,
    change_date: str | None = None,
    address: str | None = None,
    employer: str | None = None,
    school: str | None = None,
) -> Opened:
    """A draft application with an upload form per material. Validation first (no I/O), then the
    account and the permit, the eligibility, and one write: the application and its lock."""
    try:
        the_kind = Kind(kind)
    except ValueError:
        raise errors.ValidationFailed("kind must be renewal, change or replacement", field="kind") from None
    number = parse_permit_number(permit_number)
    changed = parse_day(change_date, "change_date") if change_date is not None else None
    details = details_for(the_kind, reason, changed, address, employer, school)

    account = _citizen(caller)
    store = stores().applications
    permit = store.get_permit(number)
    if permit is None or permit.holder_id_number != account.id_number:
        raise errors.NotFound("You hold no residence permit with that number.")
    check_eligible(the_kind, details, permit.valid_until, now.date())

    now_iso = now.isoformat()
    application = Application(
        application_id=uuid.uuid4().hex,
        reference=new_reference(),
        kind=the_kind.value,
        permit_number=number,
        office_id=permit.office_id,
        account_id=account.account_id,
        applicant_id_number=account.id_number or "",
        state=State.DRAFT.value,
        details=details.public(),
        created_at=now_iso,
        updated_at=now_iso,
        history=(Step(State.DRAFT.value, now_iso, account.account_id, "citizen"),),
    )
    try:
        store.open_application(application)
    except AlreadyOpen as already:
        raise errors.NotEligible(
            N_("This permit already has an open {kind} application; one at a time.", kind=the_kind.value),
            open_application_id=already.application_id,
        ) from None
    log.info(
        "application opened",
        extra={"application_id": application.application_id, "kind": the_kind.value, "office_id": permit.office_id},
    )
    return Opened(application, first_forms(application))


def submit(caller: Caller, application_id: str, now: datetime) -> Application:
    """draft -> submitted, once every required material is in the bucket with an allowed type and
    size. What was found is recorded for staff."""
    application = own_application(caller, application_id)
    check_transition(application.state, State.SUBMITTED)
    uploaded = uploaded_materials(application)
    step = Step(State.SUBMITTED.value, now.isoformat(), caller.account_id, "citizen")
    try:
        stores().applications.move(application, step, now, submitted=uploaded)
    except StateMoved:
        raise state_moved(application_id) from None
    return stepped(application, step, uploaded=uploaded, submitted_at=step.at)


def withdraw(caller: Caller, application_id: str, now: datetime) -> Application:
    """A draft or submitted application is withdrawn by its citizen; the permit may be applied for again."""
    application = own_application(caller, application_id)
    check_transition(application.state, State.WITHDRAWN)
    step = Step(State.WITHDRAWN.value, now.isoformat(), caller.account_id, "citizen")
    try:
        stores().applications.move(application, step, now, release_lock=True)
    except StateMoved:
        raise state_moved(application_id) from None
    return stepped(application, step)
