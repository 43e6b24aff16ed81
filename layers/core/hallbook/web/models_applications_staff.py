"""Request and response shapes of the routes of the permit office's staff (R17): the office's list,
the decision and the hand-over."""

from pydantic import Field

from .models import Strict, documented
from .models_applications import ApplicationsOut, States


class OfficeApplicationsOut(ApplicationsOut):
    office_id: str
    state: States


class DecisionIn(Strict):
    model_config = documented([{"approve": True}, {"approve": False, "reason": "照片不清晰，请重新上传"}])
    approve: bool = Field(description="true approves; false rejects, and then `reason` is required")
    reason: str | None = Field(
        default=None, max_length=200, description="required to reject: told to the citizen by SMS"
    )


class CompleteIn(Strict):
    tracking_number: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9 -]+$",
        description="a collection by mail: the parcel's tracking number, told to the citizen by SMS",
        examples=["SF1234567890"],
    )
