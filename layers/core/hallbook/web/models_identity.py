"""Request and response models of the identity routes: guardian links (R2) and the owner's reclaim (R1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from ..domain.identity import mask_id_number
from .models import IdNumberText, MobileText, Model, Strict

if TYPE_CHECKING:  # the service is imported on a route's first use, not at the cold start
    from ..services.guardians import MinorLink

SmsCodeText = Annotated[str, Field(json_schema_extra={"pattern": r"^[0-9]{6}$"}, examples=["123456"])]
NameText = Annotated[str, Field(min_length=1, max_length=50, examples=["王芳"])]
PasswordText = Annotated[str, Field(min_length=8, max_length=128, examples=["abc12345"])]


class GuardianLinkIn(Strict):
    minor_id_number: IdNumberText


class GuardianConfirmIn(Strict):
    minor_id_number: IdNumberText
    code: SmsCodeText


class StaffGuardianLinkIn(Strict):
    guardian_id_number: IdNumberText
    minor_id_number: IdNumberText


class StaffGuardianRevokeIn(Strict):
    account_id: str = Field(min_length=1, max_length=64)
    minor_id_number: IdNumberText


class GuardianLinkOut(Model):
    minor_id_number: str = Field(description="masked")
    status: str = Field(description="active | pending | revoked | none")
    source: str | None = Field(default=None, description="verifier | staff | guardian")
    since: str | None = None
    account_id: str | None = None

    @classmethod
    def of(cls, shown: MinorLink, account_id: str | None = None) -> GuardianLinkOut:
        """The account's own link to the minor (`none` without one), the minor's ID number masked;
        `account_id` only where the answer names the guardian (a link staff just made)."""
        link = shown.guardians.links.get(shown.account_id)
        return cls(
            minor_id_number=mask_id_number(shown.guardians.minor_id_number),
            status=link.status if link else "none",
            source=link.source if link else None,
            since=link.at if link else None,
            account_id=account_id,
        )


class GuardianLinksOut(Model):
    links: list[GuardianLinkOut]


class ReclaimIn(Strict):
    id_number: IdNumberText
    name: NameText
    phone: MobileText
    lang: str = Field(default="zh", pattern="^(zh|en)$")


class ReclaimOut(Model):
    account_id: str
    id_number: str = Field(description="masked")
    previous_account_cancelled_bookings: int
    voided: dict[str, int]


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


class ReclaimConfirmIn(Strict):
    id_number: IdNumberText
    code: SmsCodeText
    password: PasswordText


class ReclaimConfirmOut(Model):
    account_id: str
    phone_verified: bool


# ---------------------------------------------------------------- account life (R1)

LoginText = Annotated[
    str, Field(min_length=1, max_length=64, description="ID number or phone", examples=["13812345678"])
]


class PasswordResetIn(Strict):
    login: LoginText
    phone: MobileText | None = Field(
        default=None,
        max_length=24,
        description="the old phone lost: a new phone the real-name source confirms is registered to the "
        "account's ID number receives the code, and the reset moves the account to it",
    )


class PasswordResetOut(Model):
    detail: str


class PasswordResetConfirmIn(Strict):
    login: LoginText
    code: SmsCodeText
    new_password: PasswordText


class PhoneChangeIn(Strict):
    phone: MobileText = Field(min_length=1, max_length=24)


class PhoneChangeOut(Model):
    phone: str = Field(description="masked: where the code went")
    expires_in: int


class PhoneConfirmIn(Strict):
    code: SmsCodeText


class PhoneConfirmOut(Model):
    phone: str
    phone_verified: bool


class StaffPhoneChangeIn(Strict):
    id_number: IdNumberText
    phone: MobileText = Field(min_length=1, max_length=24)


class StaffPhoneChangeOut(Model):
    account_id: str
    phone: str = Field(description="masked")
    phone_verified: bool
