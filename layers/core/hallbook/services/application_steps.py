"""What every step of an R17 application shares, the citizen's (services/applications.py,
application_collection.py) and the staff's (application_review.py): the application's kind and
details as the domain reads them, the step applied to what was read, and the refusal when another
step came first (each step is one write conditioned on the state read: stores().applications.move)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from ..domain import errors
from ..domain.applications import Details, Kind
from ..i18n import N_
from ..store.applications import Application, Step
from ..store.stores import stores


def kind_of(application: Application) -> Kind:
    return Kind(application.kind)


def details_of(application: Application) -> Details:
    d = application.details
    return Details(
        reason=d.get("reason"),
        change_date=date.fromisoformat(d["change_date"]) if d.get("change_date") else None,
        address=d.get("address"),
        employer=d.get("employer"),
        school=d.get("school"),
    )


def stepped(application: Application, step: Step, **recorded: Any) -> Application:
    """The application as `step` left it (what the store wrote), with what the step recorded."""
    return replace(application, state=step.state, history=(*application.history, step), updated_at=step.at, **recorded)


def state_moved(application_id: str) -> errors.DomainError:
    """INVALID_STATE naming the state another step left the application in."""
    current = stores().applications.get_application(application_id)
    state = current.state if current else "gone"
    return errors.InvalidState(N_("The application changed meanwhile; it is {state}.", state=state), state=state)
