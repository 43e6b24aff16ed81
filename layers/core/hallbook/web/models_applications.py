"""Response shapes of the residence-permit applications (R17) that citizens and the office's staff both
see: an application with its materials, decision and history. The citizens' requests are in
models_applications_citizen.py, the staff's in models_applications_staff.py, the permits in
models_permits.py: each function builds only the models of its own routes."""

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from ..domain.identity import mask_id_number, mask_phone
from .models import InstantText, Model

if TYPE_CHECKING:  # the stores and rules are the routes' (their services'), imported where a model reads one
    from ..services.application_review import StaffView
    from ..store.applications import Application
    from ..store.catalog import Catalog
    from ..store.uploads import UploadForm

States = Literal["draft", "submitted", "under_review", "approved", "rejected", "collecting", "closed", "withdrawn"]


class UploadOut(Model):
    material: str
    method: Literal["POST"]
    url: str
    fields: dict[str, str] = Field(description="send every field, then the file as the form's last field `file`")
    content_type: str
    max_bytes: int
    expires_in: int = Field(description="seconds")
    file_field: str

    @classmethod
    def of(cls, form: "UploadForm") -> "UploadOut":
        return cls(
            material=form.material,
            method="POST",
            url=form.url,
            fields=form.fields,
            content_type=form.content_type,
            max_bytes=form.max_bytes,
            expires_in=form.expires_in,
            file_field="file",
        )


class UploadedOut(Model):
    content_type: str
    size: int


class MaterialOut(Model):
    code: str
    name_zh: str
    name_en: str
    required: bool
    uploaded: UploadedOut | None = Field(description="what submission found in the bucket")
    download_url: str | None = Field(default=None, description="staff: a presigned GET, a few minutes")


class DecisionOut(Model):
    approved: bool
    reason: str | None
    at: InstantText
    by: str


class StepOut(Model):
    state: str
    at: InstantText
    by: str = Field(description="the account that made the step")
    by_role: str
    note: str | None


class ApplicantContactOut(Model):
    name: str | None
    phone: str | None = Field(description="the applicant's phone, in full: staff may call it (each look audited)")


class ApplicationOut(Model):
    application_id: str
    reference: str
    kind: Literal["renewal", "change", "replacement"]
    kind_name_zh: str
    kind_name_en: str
    permit_number: str
    office_id: str = Field(description="the permit's station, whose staff review it")
    office_name: str | None
    applicant_id_number: str = Field(description="masked")
    state: States
    details: dict = Field(description="the kind's fields: reason | change_date, address, employer, school")
    materials: list[MaterialOut]
    decision: DecisionOut | None
    collection: dict | None = Field(
        description="{method: window, office_id, date, start, end, booking_id, reference} or "
        "{method: mail, name, address, phone (masked but to the station's staff)}"
    )
    history: list[StepOut]
    created_at: InstantText
    updated_at: InstantText
    submitted_at: InstantText | None
    uploads: list[UploadOut] | None = Field(default=None, description="on creation: a presigned POST per material")
    applicant: ApplicantContactOut | None = Field(default=None, description="staff opening one application only")

    @classmethod
    def of(
        cls, application: "Application", catalog: "Catalog | None" = None, *, uploads: "list[UploadForm] | None" = None
    ) -> "ApplicationOut":
        """An application as answers show it: the applicant's ID number and the mail recipient's
        phone masked."""
        return cls._shown(application, catalog, full=False, download_urls={}, uploads=uploads, applicant=None)

    @classmethod
    def for_staff(cls, view: "StaffView") -> "ApplicationOut":
        """As the office's staff open it: the mail recipient's phone in full (they post the permit),
        download URLs of the materials, and the applicant's contact when it was asked for."""
        contact = view.contact
        applicant = ApplicantContactOut(name=contact.name, phone=contact.phone) if contact else None
        return cls._shown(
            view.application, None, full=True, download_urls=view.download_urls, uploads=None, applicant=applicant
        )

    @classmethod
    def _shown(
        cls,
        application: "Application",
        catalog: "Catalog | None",
        *,
        full: "bool",
        download_urls: "dict[str, str]",
        uploads: "list[UploadForm] | None",
        applicant: "ApplicantContactOut | None",
    ) -> "ApplicationOut":
        from ..domain.applications import KIND_NAMES, Kind, State, materials_for
        from ..store.catalog import load_catalog

        catalog = catalog or load_catalog()
        office = catalog.offices.get(application.office_id)
        kind = Kind(application.kind)
        name_zh, name_en = KIND_NAMES[kind]
        materials = [
            MaterialOut(
                code=m.code,
                name_zh=m.name_zh,
                name_en=m.name_en,
                required=m.required,
                uploaded=application.uploaded.get(m.code),
                download_url=download_urls.get(m.code),
            )
            for m in materials_for(kind, application.details.get("reason"))
        ]
        decision = next(
            (
                DecisionOut(
                    approved=step.state == State.APPROVED.value,
                    reason=application.decision_reason,
                    at=step.at,
                    by=step.by,
                )
                for step in application.history
                if step.state in (State.APPROVED.value, State.REJECTED.value)
            ),
            None,
        )
        collection = application.collection
        if collection is not None:
            collection = (
                {**collection, "phone": mask_phone(collection.get("phone") or "")}
                if collection.get("method") == "mail" and not full
                else dict(collection)
            )
        return cls(
            application_id=application.application_id,
            reference=application.reference,
            kind=application.kind,
            kind_name_zh=name_zh,
            kind_name_en=name_en,
            permit_number=application.permit_number,
            office_id=application.office_id,
            office_name=office.name if office else None,
            applicant_id_number=mask_id_number(application.applicant_id_number),
            state=application.state,
            details=application.details,
            materials=materials,
            decision=decision,
            collection=collection,
            history=[
                StepOut(state=s.state, at=s.at, by=s.by, by_role=s.by_role, note=s.note) for s in application.history
            ],
            created_at=application.created_at,
            updated_at=application.updated_at,
            submitted_at=application.submitted_at,
            uploads=[UploadOut.of(f) for f in uploads] if uploads is not None else None,
            applicant=applicant,
        )

    @classmethod
    def each(cls, applications: "list[Application]") -> "list[ApplicationOut]":
        from ..store.catalog import load_catalog

        catalog = load_catalog()
        return [cls.of(a, catalog) for a in applications]


class ApplicationsOut(Model):
    applications: list[ApplicationOut]
    next_cursor: str | None
