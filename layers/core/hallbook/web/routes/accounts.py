"""Accounts, phone verification and sessions (R1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...i18n import N_, translate
from ...lazy import lazy
from ..auth import source_ip, verified_caller
from ..models import MeOut, RegisterIn, RegisterOut, ResendIn, SessionIn, SessionOut, VerifyIn, VerifyOut
from ..models_identity_citizen import (
    PasswordResetConfirmIn,
    PasswordResetIn,
    PasswordResetOut,
    PhoneChangeIn,
    PhoneChangeOut,
    PhoneConfirmIn,
    PhoneConfirmOut,
)
from ..routing import ANY_ROLE, CITIZEN, LIMITED, SMS_BY_ADDRESS, Limit, declare

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import account_life, accounts, closure, login, phone_change
else:
    account_life = lazy("hallbook.services.account_life")
    closure = lazy("hallbook.services.closure")
    phone_change = lazy("hallbook.services.phone_change")
    accounts = lazy("hallbook.services.accounts")
    login = lazy("hallbook.services.login")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}


@declare(
    router,
    "POST",
    "/v1/accounts",
    tags=["accounts"],
    limits=(
        Limit("register_form_address", "address", shared=True, what="registration attempts"),
        Limit("sms_address", "address", shared=True, what="SMS codes requested", forms_free=True),
        Limit("register_address", "address", shared=True, what="registrations", forms_free=True),
        Limit("register_phone", "phone", shared=True, what="registrations", forms_free=True),
    ),
    ok=(201,),
    refusals={409: ("ID_TAKEN", "PHONE_TAKEN"), **LIMITED},
)
def register_account(body: Annotated[RegisterIn, Body()]) -> Response[RegisterOut]:
    """Register a real-name account (R1): name, ID number, mobile and password; an SMS code goes to the phone."""
    account = accounts.register(body.name, body.id_number, body.phone, body.password, body.lang, now())
    return Response(201, "application/json", {"account_id": account.account_id, "phone_verified": False}, NO_STORE)


@declare(
    router,
    "POST",
    "/v1/accounts/verify",
    tags=["accounts"],
    limits=(Limit("verify_address", "address", shared=True, what="codes tried"),),
    refusals={404: ("NOT_FOUND",), **LIMITED},
)
def verify_phone(body: Annotated[VerifyIn, Body()]) -> Response[VerifyOut]:
    """Confirm the phone with the SMS code (R1); the same answer for an unknown ID number as for a wrong code."""
    account = accounts.verify_phone(body.id_number, body.code, now())
    return Response(200, "application/json", {"phone_verified": account.phone_verified}, NO_STORE)


@declare(
    router,
    "POST",
    "/v1/accounts/verify/resend",
    tags=["accounts"],
    limits=(SMS_BY_ADDRESS,),
    ok=(202,),
    refusals={404: ("NOT_FOUND",), **LIMITED},
)
def resend_code(body: Annotated[ResendIn, Body()]) -> Response[VerifyOut]:
    """Send the registration code again (one a minute); the same answer whatever the ID number."""
    accounts.resend_code(body.id_number, now())
    return Response(202, "application/json", {"phone_verified": False}, NO_STORE)


@declare(
    router,
    "POST",
    "/v1/sessions",
    tags=["accounts"],
    limits=(Limit("login_address", "address", what="login attempts"),),
    refusals={401: ("UNAUTHENTICATED", "SMS_CODE_REQUIRED", "TOTP_CODE_REQUIRED"), **LIMITED},
    writes=False,
)
def create_session(body: Annotated[SessionIn, Body()]) -> Response[SessionOut]:
    """Log in with an ID number or phone and the password; answers a bearer token. After too many failures the right password also needs an SMS code."""
    token, expires_in = login.login(
        body.login, body.password, now(), source_ip=source_ip(router), sms_code=body.sms_code, totp_code=body.totp_code
    )
    return Response(200, "application/json", {"token": token, "expires_in": expires_in}, NO_STORE)


@declare(router, "GET", "/v1/me", tags=["accounts"], roles=ANY_ROLE)
def get_me() -> Response[MeOut]:
    """The caller's profile and booking restrictions (R11, R12, R21): suspension, cancellations this month, no-shows in six months, warnings."""
    return Response(200, "application/json", accounts.profile(verified_caller(router), now()), NO_STORE)


# ---------------------------------------------------------------- account life (R1)


@declare(
    router,
    "POST",
    "/v1/accounts/password-reset",
    tags=["accounts"],
    limits=(SMS_BY_ADDRESS, Limit("reset_address", "address", shared=True, what="password resets")),
    ok=(202,),
    refusals=LIMITED,
)
def password_reset(body: Annotated[PasswordResetIn, Body()]) -> Response[PasswordResetOut]:
    """A code to the verified phone of the login's account; the same 202 whether or not it exists."""
    account_life.request_password_reset(body.login, now(), body.phone)
    detail = N_("If this login has an account with a verified phone, a code was sent to it.")
    return Response(202, "application/json", {"detail": translate(detail) or detail}, NO_STORE)


@declare(
    router,
    "POST",
    "/v1/accounts/password-reset/confirm",
    tags=["accounts"],
    limits=(Limit("verify_address", "address", shared=True, what="codes tried"),),
    refusals=LIMITED,
)
def password_reset_confirm(body: Annotated[PasswordResetConfirmIn, Body()]) -> Response[SessionOut]:
    """The code and a new password: every older token is refused from now on; the answer is a new one."""
    token, expires_in = account_life.confirm_password_reset(
        body.login, body.code, body.new_password, now(), source_ip(router)
    )
    return Response(200, "application/json", {"token": token, "expires_in": expires_in}, NO_STORE)


@declare(
    router,
    "POST",
    "/v1/me/phone",
    tags=["accounts"],
    roles=CITIZEN,
    limits=(SMS_BY_ADDRESS,),
    ok=(202,),
    refusals={409: ("PHONE_TAKEN",), **LIMITED},
)
def change_phone(body: Annotated[PhoneChangeIn, Body()]) -> Response[PhoneChangeOut]:
    """A code to the new phone (one a minute, five a day); then POST /v1/me/phone/confirm."""
    shown = phone_change.request_phone_change(verified_caller(router), body.phone, now())
    return Response(202, "application/json", shown, NO_STORE)


@declare(
    router,
    "POST",
    "/v1/me/phone/confirm",
    tags=["accounts"],
    roles=CITIZEN,
    refusals={409: ("PHONE_TAKEN", "INVALID_STATE"), **LIMITED},
)
def confirm_phone(body: Annotated[PhoneConfirmIn, Body()]) -> Response[PhoneConfirmOut]:
    """The code the new phone received: the account moves to it, and the old phone is told."""
    shown = phone_change.confirm_phone_change(verified_caller(router), body.code, now())
    return Response(200, "application/json", shown, NO_STORE)


@declare(
    router,
    "DELETE",
    "/v1/me",
    tags=["accounts"],
    responses={204: {"description": "the account is closed"}},
    roles=CITIZEN,
    ok=(204,),
    refusals={409: ("INVALID_STATE",)},
)
def close_account() -> Response[None]:
    """PIPL: active bookings cancelled (never counted against anyone), waitlist entries, proxies and
    guardian links ended, personal data erased (the audit trail kept); the ID number can register again."""
    closure.close(verified_caller(router), now())
    return Response(204, None, None, NO_STORE)
