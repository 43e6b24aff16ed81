"""Request and response shapes of the citizens' identity routes: guardian links (R2), the owner's
reclaim confirmed (R1) and the account's own life (password reset, phone change)."""

from typing import Annotated

from pydantic import Field

from .models import IdNumberText, MobileText, Model, Strict
from .models_identity import GuardianLinkOut, SmsCodeText

PasswordText = Annotated[str, Field(min_length=8, max_length=128, examples=["abc12345"])]


class GuardianLinkIn(Strict):
    minor_id_number: IdNumberText


class GuardianConfirmIn(Strict):
    minor_id_number: IdNumberText
    code: SmsCodeText


class GuardianLinksOut(Model):
    links: list[GuardianLinkOut]


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
