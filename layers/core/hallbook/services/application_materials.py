"""The materials of an R17 application (seed 004's list per kind): an upload form per material when a
draft is opened and another on request, what was uploaded checked at submission (type and size as
stored), and short-lived download URLs for the permit office's staff. The files never pass through
the functions: the citizen uploads to the bucket and staff read from it (stores().applications)."""

from __future__ import annotations

from typing import Any

from ..domain import errors
from ..domain.applications import (
    MAX_UPLOAD_BYTES,
    State,
    StoredObject,
    check_materials,
    check_upload_type,
    material,
    materials_for,
)
from ..i18n import N_
from ..store.applications import Application
from ..store.stores import stores
from ..store.uploads import UploadForm
from .application_reads import own_application
from .application_steps import kind_of
from .tokens import Caller

DEFAULT_UPLOAD_TYPE = "image/jpeg"


def upload_form(application: Application, material_code: str, content_type: str) -> UploadForm:
    return stores().applications.upload_form(application.application_id, material_code, content_type, MAX_UPLOAD_BYTES)


def first_forms(application: Application) -> list[UploadForm]:
    """A new draft's forms: one per material of its kind, for the default type."""
    wanted = materials_for(kind_of(application), application.details.get("reason"))
    return [upload_form(application, m.code, DEFAULT_UPLOAD_TYPE) for m in wanted]


def new_upload(caller: Caller, application_id: str, material_code: str, content_type: str) -> UploadForm:
    """Another upload form for one material: another content type, or after the first one expired."""
    application = own_application(caller, application_id)
    wanted = material(kind_of(application), application.details.get("reason"), material_code)
    check_upload_type(content_type)
    if application.state != State.DRAFT.value:
        raise errors.InvalidState(
            N_("The application is {state}; materials are uploaded to a draft.", state=application.state),
            state=application.state,
        )
    return upload_form(application, wanted.code, content_type)


def uploaded_materials(application: Application) -> dict[str, dict[str, Any]]:
    """At submission: every required material is in the bucket (HeadObject each) with an allowed type
    and size, else VALIDATION_ERROR naming the missing or wrong ones. What was found, for staff."""
    kind, reason = kind_of(application), application.details.get("reason")
    found: dict[str, StoredObject | None] = {
        m.code: stores().applications.stored_object(application.application_id, m.code)
        for m in materials_for(kind, reason)
    }
    check_materials(kind, reason, found)
    return {code: {"content_type": obj.content_type, "size": obj.size} for code, obj in found.items() if obj}


def download_urls(application: Application) -> dict[str, str]:
    """A presigned GET of each material uploaded at submission, by material code."""
    return {
        m.code: stores().applications.download_url(application.application_id, m.code)
        for m in materials_for(kind_of(application), application.details.get("reason"))
        if application.uploaded.get(m.code)
    }
