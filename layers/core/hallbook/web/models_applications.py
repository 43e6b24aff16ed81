"""Request and response shapes of the residence-permit routes (R17): permits, online applications,
their uploads, decisions and collection."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .models import Strict

States = Literal["draft", "submitted", "under_review", "approved", "rejected", "collecting", "closed", "withdrawn"]


class PermitIn(Strict):
    holder_id_number: str = Field(min_length=1, max_length=32)
    office_id: str = Field(min_length=1, max_length=64, description="the police station the holder is registered at")
    address: str = Field(min_length=1, max_length=200)
    valid_until: str = Field(min_length=1, max_length=10, description="YYYY-MM-DD, the last valid day")
    last_endorsed: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD")
    employer: str | None = Field(default=None, max_length=100)
    school: str | None = Field(default=None, max_length=100)


class WindowOut(BaseModel):
    opens: str
    closes: str


class PermitOut(BaseModel):
    number: str
    holder_id_number: str = Field(description="masked")
    office_id: str
    office_name: str | None
    address: str
    employer: str | None
    school: str | None
    valid_until: str
    last_endorsed: str | None
    renewal_window: WindowOut = Field(description="R17: the days a renewal may be applied for")


class PermitsOut(BaseModel):
    permits: list[PermitOut]


class ApplicationIn(Strict):
    kind: Literal["renewal", "change", "replacement"]
    permit_number: str = Field(min_length=1, max_length=32)
    reason: str | None = Field(default=None, max_length=16, description="replacement: lost | damaged")
    change_date: str | None = Field(default=None, max_length=10, description="change: YYYY-MM-DD the details changed")
    address: str | None = Field(default=None, max_length=200, description="change: the new address")
    employer: str | None = Field(default=None, max_length=100, description="change: the new employer")
    school: str | None = Field(default=None, max_length=100, description="change: the new school")


class UploadIn(Strict):
    material: str = Field(min_length=1, max_length=32)
    content_type: Literal["image/jpeg", "image/png", "application/pdf"] = "image/jpeg"


class UploadOut(BaseModel):
    material: str
    method: Literal["POST"]
    url: str
    fields: dict[str, str] = Field(description="send every field, then the file as the form's last field `file`")
    content_type: str
    max_bytes: int
    expires_in: int = Field(description="seconds")
    file_field: str


class UploadedOut(BaseModel):
    content_type: str
    size: int


class MaterialOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    required: bool
    uploaded: UploadedOut | None = Field(description="what submission found in the bucket")
    download_url: str | None = Field(default=None, description="staff: a presigned GET, a few minutes")


class DecisionOut(BaseModel):
    approved: bool
    reason: str | None
    at: str
    by: str


class StepOut(BaseModel):
    state: str
    at: str
    by: str = Field(description="the account that made the step")
    by_role: str
    note: str | None


class ApplicationOut(BaseModel):
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
                    "{method: mail, name, address, phone (masked but to the station's staff)}")
    history: list[StepOut]
    created_at: str
    updated_at: str
    submitted_at: str | None
    uploads: list[UploadOut] | None = Field(default=None, description="on creation: a presigned POST per material")


class ApplicationsOut(BaseModel):
    applications: list[ApplicationOut]
    next_cursor: str | None


class StationApplicationsOut(ApplicationsOut):
    office_id: str
    state: States


class DecisionIn(Strict):
    approve: bool
    reason: str | None = Field(default=None, max_length=200, description="required to reject")


class CollectionIn(Strict):
    method: Literal["window", "mail"]
    office_id: str | None = Field(default=None, max_length=64, description="window: the permit's station")
    date: str | None = Field(default=None, max_length=10, description="window: YYYY-MM-DD")
    start: str | None = Field(default=None, max_length=5, description="window: HH:MM, a slot of RP_COLLECT")
    notice_acknowledged: bool = Field(default=True, description="window: the RP_COLLECT notice was read (R8)")
    name: str | None = Field(default=None, max_length=50, description="mail: the recipient")
    address: str | None = Field(default=None, max_length=200, description="mail: the address")
    phone: str | None = Field(default=None, max_length=20, description="mail: a mainland mobile")
