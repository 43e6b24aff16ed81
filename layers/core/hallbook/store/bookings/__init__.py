"""The booking aggregate (R7-R13): booking items `BOOKING#<id>` and one subject item `SUBJECT#<id number>`
per person booked for, which carries the one-active-booking-per-service lock (R9) and the counters the
suspensions are derived from (R11, R12). Its modules, by what they guard:

- items: the items, the entities (Booking, Subject), their keys and the reads by key;
- conditions: what every write shares - a slot's room (R7), a status change as read, the subject's
  lock and counters (R9, R11, R12);
- transactions: `book_slot`, `cancel_booking`, `mark_no_show`, `void_sanctions` - each ONE DynamoDB
  transaction over the slot, the subject, the booking and its outbox message: a place is taken or freed
  exactly when the booking changes, and never beyond capacity, whatever runs at the same time;
- moves: R8a's `move_booking` and the reschedule's Idempotency-Key;
- lookups: an account's list, a reference, a subject's day, the sweep's and closures' queries;
- erasure: PIPL's pseudonymised subjects.

Callers use this package's names (`store.bookings.book_slot`); services reach it through
store/ports/bookings.py's BookingStore (adapter: store/bookings_dynamo.py).
"""

from __future__ import annotations

from .conditions import (
    NEW_ITEM,
    BookingMoved,
    SubjectMoved,
    cancellation_counted,
    change_status,
    keep_service_lock,
    moves_as_read,
    no_show_counted,
    no_shows_as_read,
    not_suspended,
    release_service_lock,
    slot_has_room,
    take_service_lock,
)
from .erasure import (
    ERASED,
    pseudonymise_for_account,
)
from .items import (
    SWEEP_SHARDS,
    Booking,
    BookingItem,
    ByOfficeDay,
    ByReference,
    BySlotEnd,
    BySubject,
    Subject,
    SubjectItem,
    booking_from,
    booking_item,
    booking_key,
    get_booking,
    get_bookings,
    get_subject,
    get_subjects,
    office_day_key,
    read_for_booking,
    subject_from,
    subject_key,
    sweep_key,
)
from .lookups import (
    account_bookings_made_since,
    booked_on,
    due_for_sweep,
    find_by_reference,
    list_for_account,
    office_day_bookings,
    subject_bookings_on,
)
from .moves import (
    ReplayedReschedule,
    RescheduleItem,
    RescheduleKey,
    get_reschedule_key,
    move_booking,
)
from .transactions import (
    ReplayedBooking,
    book_slot,
    booking_failure,
    cancel_booking,
    mark_no_show,
    void_sanctions,
)

__all__ = [
    "NEW_ITEM",
    "ByReference",
    "BySubject",
    "ByOfficeDay",
    "BySlotEnd",
    "BookingItem",
    "SubjectItem",
    "Booking",
    "Subject",
    "booking_key",
    "subject_key",
    "booking_from",
    "subject_from",
    "get_booking",
    "get_subject",
    "read_for_booking",
    "booking_item",
    "office_day_key",
    "SWEEP_SHARDS",
    "sweep_key",
    "get_bookings",
    "get_subjects",
    "slot_has_room",
    "not_suspended",
    "take_service_lock",
    "keep_service_lock",
    "release_service_lock",
    "cancellation_counted",
    "no_shows_as_read",
    "no_show_counted",
    "change_status",
    "moves_as_read",
    "SubjectMoved",
    "BookingMoved",
    "ReplayedBooking",
    "booking_failure",
    "book_slot",
    "cancel_booking",
    "void_sanctions",
    "mark_no_show",
    "RescheduleItem",
    "RescheduleKey",
    "ReplayedReschedule",
    "get_reschedule_key",
    "move_booking",
    "list_for_account",
    "find_by_reference",
    "subject_bookings_on",
    "account_bookings_made_since",
    "due_for_sweep",
    "booked_on",
    "office_day_bookings",
    "ERASED",
    "pseudonymise_for_account",
]
