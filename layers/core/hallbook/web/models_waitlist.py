"""Request and response shapes of the waitlist routes (R18)."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from ..domain.identity import mask_id_number
from .models import DateText, IdNumberText, InstantText, Model, Strict, TimeText, example

if TYPE_CHECKING:  # the stores are the routes' (their services'), imported where a model reads one
    from ..store.catalog import Catalog
    from ..store.waitlist import Entry


class WaitlistIn(Strict):
    model_config = example(office_id="gz-tianhe-centre", service_code="ID_RENEW", date="2030-10-08")
    office_id: str = Field(min_length=1, max_length=64, examples=["gz-tianhe-centre"])
    service_code: str = Field(min_length=1, max_length=64, examples=["ID_RENEW"])
    date: DateText = Field(description="YYYY-MM-DD: a released day with no free place", min_length=1, max_length=10)
    start: TimeText | None = Field(
        default=None,
        min_length=1,
        max_length=5,
        description="HH:MM: wait for this slot only (none: any slot of the day)",
    )
    subject_id_number: IdNumberText | None = Field(
        default=None, max_length=32, description="R2: a linked minor's ID number, as for a booking"
    )


class AcceptIn(Strict):
    model_config = example(notice_acknowledged=True)
    notice_acknowledged: bool = Field(description="the service's notice was read (R8); false is refused")


class OfferOut(Model):
    start: TimeText
    end: TimeText
    until: InstantText = Field(description="the place is held until this instant; then it passes to the next entry")


class WaitlistOut(Model):
    waitlist_id: str
    office_id: str
    service_code: str
    date: DateText
    start: TimeText | None = Field(description="the slot waited for; null: any slot of the day")
    subject_id_number: str
    status: Literal["waiting", "offered", "accepted", "left", "declined", "timed_out", "ended"]
    created_at: InstantText
    ends_at: InstantText = Field(description="the entry ends at the cut-off of its day (R10) if no place came")
    offer: OfferOut | None = Field(description="while `offered`: the place held and until when")
    booking_id: str | None = Field(description="once `accepted`: the booking it became")
    office_name: str | None = None
    service_name_zh: str | None = None

    @classmethod
    def of(cls, entry: "Entry", catalog: "Catalog | None" = None) -> "WaitlistOut":
        """An entry as the contract shows it (the subject masked). An offer shows its slot and deadline;
        a delayed place's return is never shown anywhere (R19)."""
        from ..domain.waitlist import EntryStatus, cut_off
        from ..store.catalog import load_catalog

        catalog = catalog or load_catalog()
        office, service = catalog.offices.get(entry.office_id), catalog.services.get(entry.service_code)
        offered = entry.status == EntryStatus.OFFERED.value
        offer = (
            {
                "start": entry.offer_start,
                "end": entry.offer_end,
                "until": entry.offer_until.isoformat() if entry.offer_until else None,
            }
            if offered
            else None
        )
        return cls(
            waitlist_id=entry.entry_id,
            office_id=entry.office_id,
            service_code=entry.service_code,
            date=entry.date.isoformat(),
            start=entry.start,
            subject_id_number=mask_id_number(entry.subject_id_number),
            status=entry.status,
            created_at=entry.created_at,
            ends_at=cut_off(entry.date).isoformat(),
            offer=offer,
            booking_id=entry.booking_id,
            office_name=office.name if office else None,
            service_name_zh=service.name_zh if service else None,
        )

    @classmethod
    def each(cls, entries: "Iterable[Entry]") -> "list[WaitlistOut]":
        from ..store.catalog import load_catalog

        catalog = load_catalog()
        return [cls.of(e, catalog) for e in entries]


class WaitlistsOut(Model):
    entries: list[WaitlistOut]
