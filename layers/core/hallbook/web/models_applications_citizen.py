"""Request shapes of the citizens' residence-permit applications (R17): a new application of each kind,
an upload form, the choice of collection."""

from typing import Annotated, Literal

from pydantic import Field

from .models import PERMIT_NUMBER, PERSON_NAME, DateText, MobileText, Strict, TimeText, example

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
