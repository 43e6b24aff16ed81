"""Response shapes of residence permits (R17): what a citizen holds and what an administrator registered."""

from typing import TYPE_CHECKING

from pydantic import Field

from ..domain.identity import mask_id_number
from .models import DateText, Model

if TYPE_CHECKING:  # the store is the routes' (their services'), imported where a model reads one
    from ..store.permits import Permit


class RenewalPeriodOut(Model):
    opens: DateText
    closes: DateText


class PermitOut(Model):
    number: str
    holder_id_number: str = Field(description="masked")
    office_id: str
    office_name: str | None
    address: str
    employer: str | None
    school: str | None
    valid_until: DateText
    last_endorsed: DateText | None
    renewal_window: RenewalPeriodOut = Field(description="R17: the days a renewal may be applied for")

    @classmethod
    def of(cls, permit: "Permit") -> "PermitOut":
        """A permit as answers show it: the holder's ID number masked; the renewal window (R17)."""
        from ..domain.applications import renewal_period
        from ..store.catalog import load_catalog

        office = load_catalog().offices.get(permit.office_id)
        opens, closes = renewal_period(permit.valid_until)
        return cls(
            **{
                **permit.body(),
                "holder_id_number": mask_id_number(permit.holder_id_number),
                "office_name": office.name if office else None,
                "renewal_window": {"opens": opens.isoformat(), "closes": closes.isoformat()},
            }
        )


class PermitsOut(Model):
    permits: list[PermitOut]
