"""Domain errors: one class per contract code (SPEC "HTTP API contract"). The web layer maps them
to application/problem+json; nothing here knows about HTTP beyond the status the contract names."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "INTERNAL"
    status = 500
    title = "Error"

    def __init__(self, detail: str = "", **extra: Any):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


def _error(name: str, code: str, status: int, title: str) -> type[DomainError]:
    return type(name, (DomainError,), {"code": code, "status": status, "title": title})


ValidationFailed = _error("ValidationFailed", "VALIDATION_ERROR", 422, "Invalid request")


class Malformed(ValidationFailed):  # type: ignore[misc,valid-type]
    """A value the client could not have had from us (a list cursor the API did not give out): 400,
    not 422."""

    status = 400


Unauthenticated = _error("Unauthenticated", "UNAUTHENTICATED", 401, "Authentication required")
Forbidden = _error("Forbidden", "FORBIDDEN", 403, "Forbidden")
NotFound = _error("NotFound", "NOT_FOUND", 404, "Not found")
IdTaken = _error("IdTaken", "ID_TAKEN", 409, "ID number already has an account")
PhoneTaken = _error("PhoneTaken", "PHONE_TAKEN", 409, "Phone belongs to another ID number")
PhoneNotVerified = _error("PhoneNotVerified", "PHONE_NOT_VERIFIED", 403, "Phone not verified")
WalkInOnly = _error("WalkInOnly", "WALK_IN_ONLY", 409, "Walk-in only")
NoticeNotAcknowledged = _error("NoticeNotAcknowledged", "NOTICE_NOT_ACKNOWLEDGED", 422, "Notice not acknowledged")
ServiceNotOffered = _error("ServiceNotOffered", "SERVICE_NOT_OFFERED", 409, "Service not offered here")
OutsideBookingWindow = _error("OutsideBookingWindow", "OUTSIDE_WINDOW", 409, "Outside the booking window")
NoSuchSlot = _error("NoSuchSlot", "NO_SUCH_SLOT", 409, "No such slot")
SlotFull = _error("SlotFull", "SLOT_FULL", 409, "Slot full")
AlreadyBooked = _error("AlreadyBooked", "ALREADY_BOOKED", 409, "Already booked")
Suspended = _error("Suspended", "SUSPENDED", 403, "Booking suspended")
CancelClosed = _error("CancelClosed", "CANCEL_CLOSED", 409, "Cancellation closed")
NotCancellable = _error("NotCancellable", "NOT_CANCELLABLE", 409, "Not cancellable")
CheckInClosed = _error("CheckInClosed", "CHECK_IN_CLOSED", 409, "Check-in closed")
RateLimited = _error("RateLimited", "RATE_LIMITED", 429, "Too many requests")
# a login whose failure budget is spent needs its second factor as well as the password (services.login)
SmsCodeRequired = _error("SmsCodeRequired", "SMS_CODE_REQUIRED", 401, "SMS code required")
TotpCodeRequired = _error("TotpCodeRequired", "TOTP_CODE_REQUIRED", 401, "Authenticator code required")
BookingRequired = _error("BookingRequired", "BOOKING_REQUIRED", 409, "Booking required")
QueueEmpty = _error("QueueEmpty", "QUEUE_EMPTY", 404, "Queue empty")
# R23: a drawn day is not first-come until its draw is done; entries only during the entry period
DrawOpen = _error("DrawOpen", "DRAW_OPEN", 409, "Places drawn by lot")
DrawClosed = _error("DrawClosed", "DRAW_CLOSED", 409, "No draw open")


class InvalidState(DomainError):  # a class, not _error's: store.catalog.ChangedMeanwhile derives from it
    code = "INVALID_STATE"
    status = 409
    title = "Invalid state"


NotEligible = _error("NotEligible", "NOT_ELIGIBLE", 409, "Not eligible")
# An administrator's If-Match names a version the entity has moved on from (HTTP 412; the
# SPEC's code table has no code for a failed precondition, so this one is added to the README's)
PreconditionFailed = _error("PreconditionFailed", "PRECONDITION_FAILED", 412, "Precondition failed")
Busy = _error("Busy", "BUSY", 503, "Service busy")
