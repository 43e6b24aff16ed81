"""Accounts, phone verification and sessions (R1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ...clock import now
from ...lazy import lazy
from ..auth import source_ip, verified_caller
from ..models import MeOut, RegisterIn, RegisterOut, ResendIn, SessionIn, SessionOut, VerifyIn, VerifyOut

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import accounts
else:
    accounts = lazy("hallbook.services.accounts")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}


@router.post("/v1/accounts", tags=["accounts"])
def register_account(body: Annotated[RegisterIn, Body()]) -> Response[RegisterOut]:
    account = accounts.register(body.name, body.id_number, body.phone, body.password, body.lang, now())
    return Response(201, "application/json", {"account_id": account.account_id, "phone_verified": False}, NO_STORE)


@router.post("/v1/accounts/verify", tags=["accounts"])
def verify_phone(body: Annotated[VerifyIn, Body()]) -> Response[VerifyOut]:
    account = accounts.verify_phone(body.id_number, body.code, now())
    return Response(200, "application/json", {"phone_verified": account.phone_verified}, NO_STORE)


@router.post("/v1/accounts/verify/resend", tags=["accounts"])
def resend_code(body: Annotated[ResendIn, Body()]) -> Response[VerifyOut]:
    accounts.resend_code(body.id_number, now())
    return Response(202, "application/json", {"phone_verified": False}, NO_STORE)


@router.post("/v1/sessions", tags=["accounts"])
def create_session(body: Annotated[SessionIn, Body()]) -> Response[SessionOut]:
    token, expires_in = accounts.login(
        body.login, body.password, now(), source_ip=source_ip(router), sms_code=body.sms_code, totp_code=body.totp_code
    )
    return Response(200, "application/json", {"token": token, "expires_in": expires_in}, NO_STORE)


@router.get("/v1/me", tags=["accounts"])
def get_me() -> Response[MeOut]:
    return Response(200, "application/json", accounts.profile(verified_caller(router), now()), NO_STORE)
