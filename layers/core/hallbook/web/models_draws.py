"""Request and response shapes of the draw routes (R23)."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from ..domain.identity import mask_id_number
from .models import DateText, IdNumberText, InstantText, Model, Strict, TimeText, example

# domain.draw's (tests/unit/test_route_models.py checks they agree): its rules load with the entry
# route's first use, not at the cold start only for this number
MAX_STARTS = 3

if TYPE_CHECKING:  # the stores are the routes' (their services'), imported where a model reads one
    from ..store.catalog import Catalog
    from ..store.draws import Draw, Entry


class DrawEntryIn(Strict):
    model_config = example(
        office_id="gz-tianhe-centre", service_code="ID_RENEW", date="2030-10-08", starts=["09:00", "09:30"]
    )
    office_id: str = Field(min_length=1, max_length=64, examples=["gz-tianhe-centre"])
    service_code: str = Field(min_length=1, max_length=64, examples=["ID_RENEW"])
    date: DateText = Field(description="YYYY-MM-DD: the day whose entry period is open", min_length=1, max_length=10)
    starts: list[TimeText] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_STARTS,
        description=f"1 to {MAX_STARTS} preferred slot starts, best first; null: any slot of the day",
    )
    subject_id_number: IdNumberText | None = Field(
        default=None, max_length=32, description="R2: a linked minor's ID number, as for a booking"
    )
    waitlist: bool = Field(default=False, description="if not drawn: a waitlist entry (R18) for the hall's day")
    any_office: bool = Field(
        default=False, description="if the hall has no place for it: any slot of any hall of the same district"
    )


class DrawEntryOut(Model):
    entry_id: str
    draw_id: str
    status: Literal["entered", "won", "lost"]
    office_id: str
    service_code: str
    date: DateText
    starts: list[str] | None
    any_office: bool
    waitlist: bool
    subject_id_number: str
    created_at: InstantText
    closes_at: InstantText | None = Field(description="the end of the entry period; the draw follows within minutes")
    booking_id: str | None = Field(description="once `won`: the booking")
    rank: int | None = Field(description="once drawn: the entry's place in the draw order (1 is drawn first)")
    reason: str | None = Field(description="once `lost`: no_place, ineligible (R8-R12) or refused (at booking)")
    waitlist_id: str | None = Field(description="once `lost`, if asked: the waitlist entry (R18)")
    office_name: str | None = None
    service_name_zh: str | None = None

    @classmethod
    def of(cls, entry: "Entry", catalog: "Catalog | None" = None) -> "DrawEntryOut":
        from ..store.catalog import load_catalog

        catalog = catalog or load_catalog()
        office, service = catalog.offices.get(entry.office_id), catalog.services.get(entry.service_code)
        return cls(
            entry_id=entry.entry_id,
            draw_id=entry.draw_id,
            status=entry.status,  # type: ignore[arg-type]
            office_id=entry.office_id,
            service_code=entry.service_code,
            date=entry.date.isoformat(),
            starts=list(entry.starts) if entry.starts is not None else None,
            any_office=entry.any_office,
            waitlist=entry.waitlist,
            subject_id_number=mask_id_number(entry.subject_id_number),
            created_at=entry.created_at,
            closes_at=entry.closes_at.isoformat() if entry.closes_at else None,
            booking_id=entry.booking_id,
            rank=entry.rank,
            reason=entry.reason,
            waitlist_id=entry.waitlist_id,
            office_name=office.name if office else None,
            service_name_zh=service.name_zh if service else None,
        )

    @classmethod
    def each(cls, entries: "Iterable[Entry]") -> "list[DrawEntryOut]":
        from ..store.catalog import load_catalog

        catalog = load_catalog()
        return [cls.of(e, catalog) for e in entries]


class DrawEntriesOut(Model):
    entries: list[DrawEntryOut]


class DrawOut(Model):
    """The public record of a draw (no person in it)."""

    draw_id: str
    region: str
    service_code: str
    date: DateText
    state: Literal["open", "drawing", "drawn"]
    opens_at: InstantText
    closes_at: InstantText
    places: int = Field(description="places drawn: every free place of the day's slots of the region's halls")
    entries: int | None = Field(description="entries at the close (null before)")
    winners: int | None = Field(description="entries that got a place (null before the draw)")
    ineligible: int | None = Field(description="entries refused at the close by R8-R12 (null before)")
    seed_sha256: str = Field(description="SHA-256 of the seed's text, published before the entry period")
    seed: str | None = Field(description="the seed, published once drawn (its SHA-256 is seed_sha256)")
    entries_sha256: str | None = Field(description="SHA-256 of the sorted entry ids, one per line, fixed at the close")
    algorithm: str = Field(description="how the draw is computed from the seed (hallbook/domain/draw.py)")
    drawn_at: InstantText | None = None

    @classmethod
    def of(cls, draw: "Draw", places: "int") -> "DrawOut":
        from ..domain import draw as draw_rules

        frozen = draw.frozen or {}
        return cls(
            draw_id=draw.draw_id,
            region=draw.region,
            service_code=draw.service_code,
            date=draw.date.isoformat(),
            state=draw.state,  # type: ignore[arg-type]
            opens_at=draw.opens_at.isoformat(),
            closes_at=draw.closes_at.isoformat(),
            places=places,
            entries=draw.entries,
            winners=draw.winners if draw.state == "drawn" else None,
            ineligible=len(frozen["ineligible"]) if "ineligible" in frozen else None,
            seed_sha256=draw.seed_sha256,
            seed=draw.seed if draw.state == "drawn" else None,
            entries_sha256=frozen.get("entries_sha256"),
            algorithm=frozen.get("algorithm", draw_rules.ALGORITHM),
            drawn_at=draw.drawn_at,
        )
