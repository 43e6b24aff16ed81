"""Request and response shapes of the administrators' draw routes (R23): marking a service drawn in a
region. The citizens' and the public record's are in models_draws.py."""

from typing import TYPE_CHECKING

from pydantic import Field

from .models import Model, Strict, example

if TYPE_CHECKING:  # the stores are the routes' (their services'), imported where a model reads one
    from ..store.catalog import DrawSetting
    from ..store.draws import Draw


class DrawSettingIn(Strict):
    model_config = example(entry_minutes=10)
    entry_minutes: int = Field(ge=1, le=120, description="the entry period after the noon release, in minutes")


class DrawSettingOut(Model):
    region: str
    service_code: str
    entry_minutes: int
    drawn: bool = Field(description="false once ended (DELETE): the days already opened keep their draws")
    from_day: str = Field(description="the first day drawn: the day the next noon release opened after marking")
    until_day: str | None = Field(description="the last day drawn, once ended")
    next_draw_id: str | None = Field(default=None, description="the draw announced now (its seed hash is public)")

    @classmethod
    def of(cls, setting: "DrawSetting", next_draw: "Draw | None" = None) -> "DrawSettingOut":
        return cls(
            region=setting.region,
            service_code=setting.service_code,
            entry_minutes=setting.entry_minutes,
            drawn=setting.until_day is None,
            from_day=setting.from_day.isoformat(),
            until_day=setting.until_day.isoformat() if setting.until_day else None,
            next_draw_id=next_draw.draw_id if next_draw else None,
        )
