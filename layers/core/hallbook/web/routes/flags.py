"""Abuse flags for administrators (R22): patterns with their evidence, newest first; an administrator
marks one reviewed (audited). No flag sanctions anybody. Role: web/auth.admin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import Field

from ...clock import now
from ...lazy import lazy
from ..auth import admin
from ..models import CURSOR, Model, Strict
from ..routing import ADMIN, declare

if TYPE_CHECKING:  # services are imported on a route's first use, not at the cold start (hallbook/lazy.py)
    from ...services import flags
    from ...store.flags import Flag
else:
    flags = lazy("hallbook.services.flags")

router = APIGatewayRouter()
NO_STORE = {"Cache-Control": "no-store"}


class FlagOut(Model):
    flag_id: str
    pattern: str = Field(
        description="phone_cycles_ids | book_cancel_loop | many_minors | subject_many_accounts | noon_burst"
    )
    what: str = Field(description="the pattern in words, with its threshold and window")
    subject: str | None = Field(default=None, description="what it is about, masked")
    count: int
    threshold: int | None = None
    raised_at: str
    status: str = Field(description="open | reviewed")
    evidence: list[dict[str, Any]] = Field(description="the events that met the pattern, newest first (masked)")
    reviewed_by: str | None = None
    reviewed_at: str | None = None
    review_note: str | None = None

    @classmethod
    def of(cls, flag: Flag) -> FlagOut:
        """A flag with its pattern in words and its evidence newest first (kept oldest first)."""
        from ...domain.flags import PATTERNS

        pattern = PATTERNS.get(flag.pattern)
        return cls(
            flag_id=flag.flag_id,
            pattern=flag.pattern,
            what=pattern.what if pattern else flag.pattern,
            subject=flag.subject,
            count=flag.count,
            threshold=pattern.threshold if pattern else None,
            raised_at=flag.raised_at,
            status=flag.status,
            evidence=sorted(
                ({k: v for k, v in e.items() if k != "distinct"} for e in reversed(flag.evidence)),
                key=lambda e: e["at"],
                reverse=True,
            ),
            reviewed_by=flag.reviewed_by,
            reviewed_at=flag.reviewed_at,
            review_note=flag.review_note,
        )


class FlagsOut(Model):
    flags: list[FlagOut]
    next_cursor: str | None


class FlagReviewIn(Strict):
    note: str | None = Field(default=None, max_length=500, description="what the administrator found")


@declare(router, "GET", "/v1/admin/flags", tags=["admin"], roles=ADMIN)
def list_flags(
    status: Annotated[
        str | None, Query(pattern="^(open|reviewed)$", description="open or reviewed; both if absent")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048, description=CURSOR)] = None,
) -> Response[FlagsOut]:
    """Abuse patterns with their evidence for administrators (R22), never a sanction."""
    admin(router)
    page = flags.list_flags(status, limit, cursor)
    return Response(
        200,
        "application/json",
        FlagsOut(flags=[FlagOut.of(f) for f in page.flags], next_cursor=page.next_cursor),
        NO_STORE,
    )


@declare(
    router, "POST", "/v1/admin/flags/{flag_id}/review", tags=["admin"], roles=ADMIN, refusals={404: ("NOT_FOUND",)}
)
def review_flag(
    flag_id: Annotated[str, Path(max_length=80)], body: Annotated[FlagReviewIn, Body()]
) -> Response[FlagOut]:
    """Mark the flag reviewed (audited); it opens again if its pattern counts more events."""
    caller = admin(router)
    return Response(200, "application/json", FlagOut.of(flags.review(caller, flag_id, body.note, now())), NO_STORE)
