"""Who may take a place, for whom, and where: the checks a booking, a move, a waitlist entry and a draw
entry share (R1-R6). Each function checks one thing and raises the contract's refusal; none writes.

- `account_that_may_book`: the caller's account is a verified citizen's, with a confirmed phone and a
  real-name check passed (R1);
- `subject_for`: whose business it is - the caller, a linked minor, or a newborn (R2);
- `ensure_appointment_service`: the service is booked at all, not walk-in only (R3);
- `ensure_offered`: the hall offers the service (R4);
- `ensure_in_booking_window`: the day is released and bookable now (R6);
- `day_plan` / `planned_slot_of`: the timetable's slots of the service on a working day (R4, R5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..clock import now as clock_now
from ..domain import errors
from ..domain.booking_window import in_booking_window
from ..domain.identity import parse_id_number
from ..domain.newborn import parse_certificate_number, parse_newborn_name
from ..domain.timetable import Slot, slots_for_day
from ..i18n import N_, Bilingual, Text
from ..store.accounts import Account
from ..store.catalog import Catalog, Office, Service
from ..store.stores import stores
from . import flags, guardians, identity
from .tokens import Caller


@dataclass(frozen=True)
class Newborn:
    """R2: a newborn named by its medical birth certificate (as typed; parsed in subject_for)."""

    name: str
    birth_certificate_number: str


def citizen_account(caller: Caller) -> Account:
    """The caller's account, when it is a citizen's with an ID number (FORBIDDEN otherwise)."""
    account = stores().accounts.get_verified_citizen(caller.account_id)
    if account is None or account.role != "citizen" or not account.id_number:
        raise errors.Forbidden("Only a citizen's account can book.")
    return account


def account_that_may_book(caller: Caller, now: datetime) -> Account:
    """R1: a citizen's account whose phone is confirmed (PHONE_NOT_VERIFIED) and whose name and ID
    number passed the real-name check (checked again now if it never did)."""
    account = citizen_account(caller)
    if not account.phone_verified:
        raise errors.PhoneNotVerified("Confirm your phone with the SMS code before booking.")
    identity.ensure_verified(account, now)
    return account


def subject_for(
    account: Account, subject_id_number: str | None, service: Service, today: date, newborn: Newborn | None = None
) -> str:
    """R2: the booking's subject key - the caller, a minor the caller holds an active guardian link
    for, or a newborn's birth certificate number - as the service's `subject` allows:
    `self` the caller only; `minor` a linked minor only; `self_or_minor` either; `newborn` a newborn
    named by its certificate (booked with the guardian's own ID number: the account's)."""
    if service.subject == "newborn":
        if newborn is None or subject_id_number:
            raise errors.ValidationFailed(
                N_(
                    "{service} is a newborn's business: name the newborn (name and birth certificate number); "
                    "it is booked with your own ID number.",
                    service=Bilingual(service.name_zh, service.name_en),
                ),
                field="newborn",
            )
        parse_newborn_name(newborn.name)
        return parse_certificate_number(newborn.birth_certificate_number)
    if newborn is not None:
        raise errors.ValidationFailed(
            N_("{service} is not a newborn's business.", service=Bilingual(service.name_zh, service.name_en)),
            field="newborn",
        )
    subject = parse_id_number(subject_id_number, today, "subject_id_number") if subject_id_number else None
    if subject is None or subject.value == account.id_number:
        if service.subject == "minor":
            raise errors.ValidationFailed(
                N_(
                    "{service} is a minor's business: name the child's ID number as subject_id_number.",
                    service=Bilingual(service.name_zh, service.name_en),
                ),
                field="subject_id_number",
            )
        return account.id_number or ""
    if not subject.is_minor_on(today):
        raise errors.Forbidden("Only a minor's business can be booked for another person.")
    if service.subject == "self":
        raise errors.ValidationFailed(
            N_("{service} is not a minor's business.", service=Bilingual(service.name_zh, service.name_en)),
            field="subject_id_number",
        )
    if not guardians.is_guardian(account.account_id, subject.value):
        flags.named_minor(account.account_id, subject.value, "minor_booking_refused", clock_now())  # R22
        raise errors.Forbidden(
            "Link your account to this minor first (POST /v1/guardian-links, or at a hall with the household register)."
        )
    return subject.value


def ensure_appointment_service(service: Service) -> None:
    """R3: WALK_IN_ONLY for a service that needs no appointment."""
    if not service.appointment_required:
        raise errors.WalkInOnly(
            N_("{service} is walk-in only: no booking is needed.", service=Bilingual(service.name_zh, service.name_en))
        )


def ensure_offered(office: Office, service: Service) -> None:
    """R4: SERVICE_NOT_OFFERED unless the hall offers the service and has a timetable for it."""
    if service.code not in office.services or service.code not in office.timetable:
        raise errors.ServiceNotOffered(
            N_(
                "{office} does not offer {service}.",
                office=Bilingual(office.name, office.name_en),
                service=Bilingual(service.name_zh, service.name_en),
            )
        )


def ensure_in_booking_window(
    catalog: Catalog, office: Office, day: date, now: datetime, refusal: Text | str | None = None
) -> None:
    """R6: OUTSIDE_WINDOW unless `day` is released and bookable now (from tomorrow to the region's
    window); `refusal`: the text a caller gives instead of the booking's."""
    if not in_booking_window(day, now, catalog.booking_window_days(office)):
        raise errors.OutsideBookingWindow(
            refusal
            or N_(
                "Bookings open at 12:00 for the day {days} days ahead; today and past days cannot be booked.",
                days=catalog.booking_window_days(office),
            )
        )


def day_plan(catalog: Catalog, office: Office, service: Service, day: date) -> dict[str, Slot]:
    """R4, R5: the timetable's slots of the service at the hall on `day` by start (none on a closed day)."""
    return {
        s.start: s
        for s in slots_for_day(
            {service.code: office.timetable[service.code]}, day, catalog.calendar, office.closed_days
        )
    }


def planned_slot_of(catalog: Catalog, office: Office, service: Service, day: date, start: str) -> Slot:
    """The day's slot at `start` (NO_SUCH_SLOT: closed day, holiday, wrong time)."""
    slot = day_plan(catalog, office, service, day).get(start)
    if slot is None:
        raise errors.NoSuchSlot(
            N_(
                "{office} has no {service} slot on {day} at {start}.",
                office=Bilingual(office.name, office.name_en),
                service=Bilingual(service.name_zh, service.name_en),
                day=day,
                start=start,
            )
        )
    return slot
