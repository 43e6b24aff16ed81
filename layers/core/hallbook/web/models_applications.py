"""Request and response shapes of the residence-permit routes (R17): permits, online applications,
their uploads, decisions and collection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from ..domain.identity import mask_id_number, mask_phone
from .models import (
    PERMIT_NUMBER,
    PERSON_NAME,
    DateText,
    IdNumberText,
    InstantText,
    MobileText,
    Model,
    Strict,
    TimeText,
    documented,
    example,
)

if TYPE_CHECKING:  # the stores and rules are the routes' (their services'), imported where a model reads one
    from ..services.applications import StaffView
    from ..store.applications import Application
    from ..store.catalog import Catalog
    from ..store.permits import Permit
    from ..store.uploads import UploadForm

States = Literal["draft", "submitted", "under_review", "approved", "rejected", "collecting", "closed", "withdrawn"]


class PermitIn(Strict):
    model_config = example(
        holder_id_number="460106199003152318",
        office_id="hk-longhua-jinmao-ps",
        address="海口市龙华区金贸西路20号",
        valid_until="2031-09-30",
    )
    holder_id_number: IdNumberText = Field(min_length=1, max_length=32)
    office_id: str = Field(
        min_length=1,
        max_length=64,
        description="the police station the holder is registered at",
        examples=["hk-longhua-jinmao-ps"],
    )
    address: str = Field(min_length=1, max_length=200)
    valid_until: DateText = Field(min_length=1, max_length=10, description="YYYY-MM-DD, the last valid day")
    last_endorsed: DateText | None = Field(
        default=None, max_length=10, description="YYYY-MM-DD, not after today nor after valid_until"
    )
    employer: str | None = Field(default=None, max_length=100)
    school: str | None = Field(default=None, max_length=100)


class RenewalPeriodOut(Model):
    opens: DateText
    closes: DateText


class PermitOut(Model):
    number: str
    holder_id_number: str = Field(description="masked")
    office_id: str
    office_name: str | None
    address: str
    employer: str | None
    school: str | None
    valid_until: DateText
    last_endorsed: DateText | None
    renewal_window: RenewalPeriodOut = Field(description="R17: the days a renewal may be applied for")

    @classmethod
    def of(cls, permit: Permit) -> PermitOut:
        """A permit as answers show it: the holder's ID number masked; the renewal window (R17)."""
        from ..domain.applications import renewal_period
        from ..store.catalog import load_catalog

        office = load_catalog().offices.get(permit.office_id)
        opens, closes = renewal_period(permit.valid_until)
        return cls(
            **{
                **permit.body(),
                "holder_id_number": mask_id_number(permit.holder_id_number),
                "office_name": office.name if office else None,
                "renewal_window": {"opens": opens.isoformat(), "closes": closes.isoformat()},
            }
        )


class PermitsOut(Model):
    permits: list[PermitOut]


PermitNumberText = Annotated[
    str, Field(min_length=1, max_length=32, json_schema_extra={"pattern": PERMIT_NUMBER}, examples=["HK2025000001"])
]


class RenewalApplicationIn(Strict):
    """A renewal (R17): once a year, within the month before the permit expires."""

    model_config = example(kind="renewal", permit_number="HK2025000001")
    kind: Literal["renewal"]
    permit_number: PermitNumberText


class ChangeApplicationIn(Strict):
    """A change of registered details within 30 days of the change: at least one of address, employer, school."""

    model_config = example(
        kind="change", permit_number="HK2025000002", change_date="2030-09-20", employer="海口市某公司"
    )
    kind: Literal["change"]
    permit_number: PermitNumberText
    change_date: DateText = Field(max_length=10, description="YYYY-MM-DD the details changed")
    address: str | None = Field(default=None, max_length=200, description="the new address")
    employer: str | None = Field(default=None, max_length=100, description="the new employer")
    school: str | None = Field(default=None, max_length=100, description="the new school")


class ReplacementApplicationIn(Strict):
    """A replacement of a lost or damaged permit."""

    model_config = example(kind="replacement", permit_number="HK2025000003", reason="lost")
    kind: Literal["replacement"]
    permit_number: PermitNumberText
    reason: Literal["lost", "damaged"] = Field(description="why the permit is replaced")


# one schema per kind, told apart by `kind` (each with every field it takes, and no other kind's)
ApplicationIn = Annotated[
    RenewalApplicationIn | ChangeApplicationIn | ReplacementApplicationIn, Field(discriminator="kind")
]


class UploadIn(Strict):
    model_config = example(material="id_card", content_type="image/png")
    material: str = Field(
        min_length=1,
        max_length=32,
        description="a material code of the application's kind (its `materials`)",
        json_schema_extra={
            "enum": ["residence_permit", "id_card", "eligibility_proof", "change_proof", "damaged_permit"]
        },
    )
    content_type: Literal["image/jpeg", "image/png", "application/pdf"] = "image/jpeg"


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
    def of(cls, form: UploadForm) -> UploadOut:
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
        cls, application: Application, catalog: Catalog | None = None, *, uploads: list[UploadForm] | None = None
    ) -> ApplicationOut:
        """An application as answers show it: the applicant's ID number and the mail recipient's
        phone masked."""
        return cls._shown(application, catalog, full=False, download_urls={}, uploads=uploads, applicant=None)

    @classmethod
    def for_staff(cls, view: StaffView) -> ApplicationOut:
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
        application: Application,
        catalog: Catalog | None,
        *,
        full: bool,
        download_urls: dict[str, str],
        uploads: list[UploadForm] | None,
        applicant: ApplicantContactOut | None,
    ) -> ApplicationOut:
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
    def each(cls, applications: list[Application]) -> list[ApplicationOut]:
        from ..store.catalog import load_catalog

        catalog = load_catalog()
        return [cls.of(a, catalog) for a in applications]


class ApplicationsOut(Model):
    applications: list[ApplicationOut]
    next_cursor: str | None


class OfficeApplicationsOut(ApplicationsOut):
    office_id: str
    state: States


class DecisionIn(Strict):
    model_config = documented([{"approve": True}, {"approve": False, "reason": "照片不清晰，请重新上传"}])
    approve: bool = Field(description="true approves; false rejects, and then `reason` is required")
    reason: str | None = Field(
        default=None, max_length=200, description="required to reject: told to the citizen by SMS"
    )


class CompleteIn(Strict):
    tracking_number: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9 -]+$",
        description="a collection by mail: the parcel's tracking number, told to the citizen by SMS",
        examples=["SF1234567890"],
    )


class WindowCollectionIn(Strict):
    """Collect the permit at the permit office's window: books a slot of RP_COLLECT (the booking rules apply)."""

    model_config = example(method="window", office_id="hk-longhua-jinmao-ps", date="2030-10-08", start="09:00")
    method: Literal["window"]
    office_id: str = Field(max_length=64, description="the permit's office")
    date: DateText = Field(max_length=10)
    start: TimeText = Field(max_length=5, description="a slot of RP_COLLECT")
    notice_acknowledged: bool = Field(default=True, description="the RP_COLLECT notice was read (R8)")


class MailCollectionIn(Strict):
    """Have the permit posted (postage paid on delivery)."""

    model_config = example(method="mail", name="王海", address="海口市龙华区金贸西路20号", phone="13707980001")
    method: Literal["mail"]
    name: str = Field(max_length=50, description="the recipient", json_schema_extra={"pattern": PERSON_NAME})
    address: str = Field(max_length=200, description="the address, 5 to 200 characters")
    phone: MobileText = Field(max_length=20, description="a mainland mobile")


CollectionIn = Annotated[WindowCollectionIn | MailCollectionIn, Field(discriminator="method")]
