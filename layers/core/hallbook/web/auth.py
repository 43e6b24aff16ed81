"""Who is calling: the bearer token verified against the injected clock and against the account
(logged out, password changed, role changed: refused), and the role checks every route makes in
this one place."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from ..clock import now
from ..domain.errors import DomainError, Forbidden
from ..i18n import N_
from ..services.tokens import Caller, ensure_live, verify
from .routing import ROUTES


def verified_caller(router: BaseRouter, *roles: str) -> Caller:
    """The verified caller, who must hold one of `roles` - by default the roles the route is declared
    with (web/routing.py; any role for a route declared for any): the declaration is the one place a
    route's roles are written, and the guard has checked them before the body was read."""
    event = router.current_event
    headers = event.headers or {}
    caller = ensure_live(verify(headers.get("Authorization") or headers.get("authorization"), now()))
    if not roles:
        declared = ROUTES.get((str(event.http_method).upper(), str(event.resource)))
        roles = declared.roles if declared is not None else ()
    if roles and caller.role not in roles:
        raise Forbidden(N_("This route is for these accounts: {roles}.", roles=list(roles)))
    return caller


def staff_of(router: BaseRouter, office_id: str) -> Caller:
    """Staff of exactly this office (administrators may act for any office)."""
    caller = verified_caller(router, "staff", "admin")
    if caller.role == "staff" and caller.office_id != office_id:
        raise Forbidden("Staff may act only for their own office.")
    return caller


def admin(router: BaseRouter) -> Caller:
    """An administrator (city-wide): the catalog, closures, the calendar and the audit log."""
    return verified_caller(router, "admin")


def operator(router: BaseRouter) -> Caller:
    """A call-centre operator, acting for a citizen found by ID number and phone (every action audited)."""
    return verified_caller(router, "operator")


def source_ip(router: BaseRouter) -> str:
    """The client's address as API Gateway saw it (requestContext.identity.sourceIp), for throttling."""
    return router.current_event.request_context.identity.source_ip or ""


def admin_or_none(router: BaseRouter) -> Caller | None:
    """The caller when a valid administrator's token came with a public route's request, else None
    (no token, a citizen's, or one no longer valid: the route answers as to anybody)."""
    headers = router.current_event.headers or {}
    token = headers.get("Authorization") or headers.get("authorization")
    if not token:
        return None
    try:
        caller = ensure_live(verify(token, now()))
    except DomainError:
        return None
    return caller if caller.role == "admin" else None
