"""Shapes of the identity routes (guardian links (R2), the owner's reclaim (R1)) that citizens and the
hall's staff both use. The citizens' own are in models_identity_citizen.py, the staff's in
models_identity_staff.py: each function builds only the models of its own routes."""

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from ..domain.identity import mask_id_number
from .models import Model

if TYPE_CHECKING:  # the service is imported on a route's first use, not at the cold start
    from ..services.guardians import MinorLink

SmsCodeText = Annotated[str, Field(json_schema_extra={"pattern": r"^[0-9]{6}$"}, examples=["123456"])]


class GuardianLinkOut(Model):
    minor_id_number: str = Field(description="masked")
    status: str = Field(description="active | pending | revoked | none")
    source: str | None = Field(default=None, description="verifier | staff | guardian")
    since: str | None = None
    account_id: str | None = None

    @classmethod
    def of(cls, shown: "MinorLink", account_id: "str | None" = None) -> "GuardianLinkOut":
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
