"""Finding R17's applications: a citizen's own one and their list, the one staff act on, an office's
list by state, and every office's review backlog (the Halls dashboard). Pages follow the store's cursor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain import errors
from ..domain.applications import State
from ..i18n import N_
from ..store.applications import Application
from ..store.stores import stores
from .ownership import MAX_ID, owned_by
from .tokens import Caller


@dataclass(frozen=True)
class ApplicationPage:
    applications: list[Application]
    next_cursor: str | None


@dataclass(frozen=True)
class OfficeApplicationsPage:
    office_id: str
    state: str
    applications: list[Application]
    next_cursor: str | None


def own_application(caller: Caller, application_id: str) -> Application:
    """A citizen's own application; anybody else's is 404 and never its data or materials."""
    return owned_by(caller, application_id, stores().applications.get_application, "application")


def list_own(caller: Caller, limit: int, cursor: str | None) -> ApplicationPage:
    return ApplicationPage(*stores().applications.list_for_account(caller.account_id, limit, cursor))


def for_staff(application_id: str) -> Application:
    """An application staff may act on (the web layer then checks they belong to its office). A draft
    is still the citizen's: not found."""
    found = application_id and len(application_id) <= MAX_ID
    application = stores().applications.get_application(application_id) if found else None
    if application is None or application.state == State.DRAFT.value:
        raise errors.NotFound("No such application.")
    return application


def office_applications(office_id: str, state: str, limit: int, cursor: str | None) -> OfficeApplicationsPage:
    try:
        the_state = State(state)
    except ValueError:
        raise errors.ValidationFailed(N_("Unknown state {state}.", state=state), field="state") from None
    if the_state is State.DRAFT:
        raise errors.ValidationFailed("drafts are not submitted yet", field="state")
    page = stores().applications.list_for_office(office_id, the_state.value, limit, cursor)
    return OfficeApplicationsPage(office_id, the_state.value, *page)


def review_backlog(now: datetime) -> tuple[int, float]:
    """Every office's applications submitted and not yet opened for review: how many, and how long the
    oldest has waited in seconds (0 when none) - the Halls dashboard's gauges, from the sweep job."""
    waiting, oldest = 0, None
    store = stores()
    for office_id in sorted(store.catalog.load_catalog().offices):
        count, first = store.applications.awaiting_review(office_id)
        waiting += count
        if first and (oldest is None or first < oldest):
            oldest = first
    age = (now - datetime.fromisoformat(oldest)).total_seconds() if oldest else 0.0
    return waiting, max(0.0, age)
