"""Request and response shapes of the call-centre operators' routes: finding a caller, booking for them."""

from pydantic import Field

from .models import BookingOut, DateText, IdNumberText, MobileText, Model, RestrictionsOut, Strict, TimeText, example


class CitizenLookupIn(Strict):
    model_config = example(id_number="460106199003152318", phone="13707980001")
    id_number: IdNumberText = Field(min_length=1, max_length=32)
    phone: MobileText = Field(min_length=1, max_length=20)


class CitizenOut(Model):
    account_id: str
    name: str = Field(description="masked")
    id_number: str = Field(description="masked")
    phone: str = Field(description="masked")
    phone_verified: bool
    restrictions: RestrictionsOut


class OperatorBookingIn(Strict):
    model_config = example(
        office_id="gz-tianhe-centre",
        service_code="ID_RENEW",
        date="2030-10-09",
        start="10:00",
        notice_acknowledged=True,
    )
    office_id: str = Field(min_length=1, max_length=64, examples=["gz-tianhe-centre"])
    service_code: str = Field(min_length=1, max_length=64, examples=["ID_RENEW"])
    date: DateText = Field(description="YYYY-MM-DD", min_length=1, max_length=10)
    start: TimeText = Field(description="HH:MM", min_length=1, max_length=5)
    notice_acknowledged: bool = Field(description="the operator read the notice to the caller, who acknowledged it")
    subject_id_number: IdNumberText | None = Field(default=None, max_length=32)


class OperatorBookingsOut(Model):
    bookings: list[BookingOut]
    next_cursor: str | None


class OperatorFoundOut(Model):
    """A booking found by its reference, with whom the operator confirms it with the caller."""

    account_id: str = Field(description="the booking's account: the operator acts through it")
    name: str = Field(description="the account holder's name, masked (张*明)")
    phone: str = Field(description="the account's phone, masked (138****5678)")
    id_number: str = Field(description="the booking's subject's ID number, masked")
    booking: BookingOut
