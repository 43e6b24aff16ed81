"""Request and response models of the family-proxy routes (R20)."""
from __future__ import annotations

from pydantic import BaseModel, Field

from .models import SMS_CODE, IdNumberText, MobileText, Strict, example


class ProxyRequestIn(Strict):
    model_config = example(id_number="11010519491231002X", phone="13812345678")
    id_number: IdNumberText = Field(min_length=1, max_length=32, description="the citizen's (the older relative's)")
    phone: MobileText = Field(min_length=1, max_length=20, description="the phone registered on the citizen's account")


class ProxyConfirmIn(Strict):
    code: str = Field(min_length=1, max_length=12, json_schema_extra={"pattern": SMS_CODE}, examples=["123456"],
                      description="the 6-digit code the citizen received by SMS and passed on")


class ProxyPartyOut(BaseModel):
    name: str = Field(description="masked")
    id_number: str | None = Field(default=None, description="masked")
    phone: str | None = Field(default=None, description="masked")


class ProxyOut(BaseModel):
    proxy_id: str
    status: str = Field(description="pending | active | revoked")
    you_are: str = Field(description="citizen (you authorised it) | proxy (you act with it)")
    citizen: ProxyPartyOut
    proxy: ProxyPartyOut
    asked_at: str
    since: str = Field(description="when it took its status")
    code_expires_at: str | None = None


class ProxiesOut(BaseModel):
    proxies: list[ProxyOut]
