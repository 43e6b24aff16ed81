"""Sessions beyond logging in (POST /v1/sessions, in routes.accounts): logout, the SMS login code a
throttled login needs, and the password change that ends every older session. Any role."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field

from ...clock import now
from ...i18n import N_, translate
from ...lazy import lazy
from ..auth import source_ip, verified_caller
from ..models import Model, SessionOut, Strict
from ..routing import ANY_ROLE, LIMITED, SMS_BY_ADDRESS, declare

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import login, sessions
else:
    login = lazy("hallbook.services.login")
    sessions = lazy("hallbook.services.sessions")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}


class LoginCodeIn(Strict):
    login: str = Field(min_length=1, max_length=64, description="ID number or phone")
    password: str | None = Field(
        default=None, max_length=128, description="the account's password: a code is sent only to whoever knows it"
    )


class LoginCodeOut(Model):
    detail: str


class PasswordChangeIn(Strict):
    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(
        min_length=1,
        max_length=128,
        json_schema_extra={"minLength": 8},
        description="8 to 128 characters, letters and digits",
    )


@declare(
    router,
    "DELETE",
    "/v1/sessions/current",
    tags=["accounts"],
    responses={204: {"description": "logged out"}},
    roles=ANY_ROLE,
    ok=(204,),
)
def end_session() -> Response[None]:
    """Logout: this token's session is refused from now on (the account's other sessions stay)."""
    sessions.logout(verified_caller(router), now())
    return Response(204, None, None, NO_STORE)


@declare(
    router, "POST", "/v1/sessions/sms-code", tags=["accounts"], limits=(SMS_BY_ADDRESS,), ok=(202,), refusals=LIMITED
)
def send_login_code(body: Annotated[LoginCodeIn, Body()]) -> Response[LoginCodeOut]:
    """After SMS_CODE_REQUIRED: a new login code to the account's phone, for the right password (a login
    without `sms_code` sends one too; one a minute, valid ten minutes); then POST /v1/sessions with
    `sms_code`. The answer is the same for every login and password."""
    login.send_login_code(body.login, body.password, now(), source_ip(router))
    detail = N_("If this login needs an SMS code, one was sent to its phone.")
    return Response(202, "application/json", {"detail": translate(detail) or detail}, NO_STORE)


@declare(router, "POST", "/v1/me/password", tags=["accounts"], roles=ANY_ROLE, refusals=LIMITED)
def change_password(body: Annotated[PasswordChangeIn, Body()]) -> Response[SessionOut]:
    """A new password: every token issued before it is refused from now on; the answer is a new one."""
    token, expires_in = sessions.change_password(
        verified_caller(router), body.current_password, body.new_password, now(), source_ip=source_ip(router)
    )
    return Response(200, "application/json", {"token": token, "expires_in": expires_in}, NO_STORE)
