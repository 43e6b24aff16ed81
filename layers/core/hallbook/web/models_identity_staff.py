"""Request and response shapes of the hall staff's identity routes: guardian links (R2), reclaims of
an ID number (R1), phone changes, and their second approval or consent."""

from typing import Annotated

from pydantic import Field

from .models import IdNumberText, MobileText, Model, Strict
from .models_identity import SmsCodeText

NameText = Annotated[str, Field(min_length=1, max_length=50, examples=["王芳"])]


class StaffGuardianLinkIn(Strict):
    guardian_id_number: IdNumberText
    minor_id_number: IdNumberText


class StaffGuardianRevokeIn(Strict):
    account_id: str = Field(min_length=1, max_length=64)
    minor_id_number: IdNumberText


class ReclaimIn(Strict):
    id_number: IdNumberText
    name: NameText
    phone: MobileText
    lang: str = Field(default="zh", pattern="^(zh|en)$")


class IdentityChangeOut(Model):
    """R1, R2: a hall's reclaim or guardian link, pending until a second staff member approves
    it or the account concerned consents with the SMS code it received; `done` once carried out."""

    change_id: str | None
    status: str = Field(description="pending | done | active (already linked)")
    consent_sent_to: list[str] = Field(default=[], description="masked phones the consent code went to")
    detail: str | None = None
    result: dict | None = None


class ConsentIn(Strict):
    code: SmsCodeText


class StaffPhoneChangeIn(Strict):
    id_number: IdNumberText
    phone: MobileText = Field(min_length=1, max_length=24)
