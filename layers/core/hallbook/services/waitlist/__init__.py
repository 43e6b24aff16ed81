"""R18 the waitlist (候补) and R19 the delayed return of cancelled places: the use cases.

- A citizen (or a guardian for a linked minor) joins for a full day or one slot of a hall's service
  that has no free place: the entry is the subject's active booking for the service (R9) and is
  refused as a booking would be (R1-R6, R11, R12). (entries.py)
- A citizen's or operator's cancellation keeps its place taken as a *delayed* place (BookingStore.
  cancel_booking) until a random instant 5-30 minutes later (R19; at once when that would pass the
  cut-off); then `dispatch` offers it to the first waiting entry that wants its slot, in join order,
  or with nobody waiting returns it to the pool. A capacity raise or a reopened slot offers its free
  places to the waiting entries the same way, and is never delayed. (offers.py)
- An offer holds the place for the hold time (20 minutes; never past the cut-off) with an SMS;
  accepting turns it into a booking in one transaction (accept.py); declining (DELETE) or the deadline
  passing ends the entry and the place goes on to the next waiting entry, or back to the pool after a
  new random delay (a place a waiting stranger let lapse is as guardable as a cancelled one).
- Waiting entries end at their day's cut-off with an SMS (timers.py), or when the hall closes the day
  or the subject is reclaimed (endings.py). The SMS texts: sms.py.

A cancelled place's return instant is drawn uniformly to the second (R19) and it goes to the waitlist
only then, never at once. Offers are made from 08:00 to 21:30 only: a return that would fall at night
is drawn in the next morning (domain.waitlist.return_at).

The data is reached through `stores().waitlist` (store/ports/waitlist.py's WaitlistStore): DynamoDB's, or the
in-memory one of store/memory/waitlist.py in tests/unit.
"""

from .accept import accept
from .endings import close_day, end_entries_for
from .entries import JoinRequest, join, leave, list_entries, own_entry
from .offers import (
    after_cancellation,
    delay_range,
    delayed_place,
    dispatch,
    hold_time,
    offer_free_places,
    offer_free_places_of_day,
)
from .timers import TimersResult, run_timers

__all__ = [
    "JoinRequest",
    "TimersResult",
    "accept",
    "after_cancellation",
    "close_day",
    "delay_range",
    "delayed_place",
    "dispatch",
    "end_entries_for",
    "hold_time",
    "join",
    "leave",
    "list_entries",
    "offer_free_places",
    "offer_free_places_of_day",
    "own_entry",
    "run_timers",
]
