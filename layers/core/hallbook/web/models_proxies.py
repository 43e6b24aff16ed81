"""Request and response models of the family-proxy routes (R20)."""

from typing import TYPE_CHECKING

from pydantic import Field

from ..domain.identity import mask_id_number, mask_phone
from .models import SMS_CODE, IdNumberText, InstantText, MobileText, Model, Strict, example

if TYPE_CHECKING:  # the service is imported when a proxy is first shown, not at the cold start
    from ..services.proxies import Authorisation


class ProxyRequestIn(Strict):
    model_config = example(id_number="11010519491231002X", phone="13812345678")
    id_number: IdNumberText = Field(min_length=1, max_length=32, description="the citizen's (the older relative's)")
    phone: MobileText = Field(min_length=1, max_length=20, description="the phone registered on the citizen's account")


class ProxyConfirmIn(Strict):
    code: str = Field(
        min_length=1,
        max_length=12,
        json_schema_extra={"pattern": SMS_CODE},
        examples=["123456"],
        description="the 6-digit code the citizen received by SMS and passed on",
    )


class ProxyPartyOut(Model):
    name: str = Field(description="masked")
    id_number: str | None = Field(default=None, description="masked")
    phone: str | None = Field(default=None, description="masked")


class ProxyOut(Model):
    proxy_id: str
    status: str = Field(description="pending | active | revoked")
    you_are: str = Field(description="citizen (you authorised it) | proxy (you act with it)")
    citizen: ProxyPartyOut
    proxy: ProxyPartyOut
    asked_at: InstantText
    since: str = Field(description="when it took its status")
    code_expires_at: InstantText | None = None

    @classmethod
    def of(cls, shown: "Authorisation") -> "ProxyOut":
        """The authorisation as either party sees it: both parties' names, ID number and phones masked."""
        from ..services.proxies import PENDING, label

        link, citizen, proxy = shown.link, shown.citizen, shown.proxy
        return cls(
            proxy_id=link.proxy_id,
            status=link.status,
            you_are="citizen" if citizen is not None and shown.viewer == citizen.account_id else "proxy",
            citizen=ProxyPartyOut(
                name=label(citizen),
                id_number=mask_id_number(citizen.id_number or "") if citizen else None,
                phone=mask_phone(citizen.phone or "") if citizen else None,
            ),
            proxy=ProxyPartyOut(name=label(proxy), phone=mask_phone(proxy.phone or "") if proxy else None),
            asked_at=link.asked_at,
            since=link.at,
            code_expires_at=link.code_expires_at if link.status == PENDING else None,
        )


class ProxiesOut(Model):
    proxies: list[ProxyOut]
