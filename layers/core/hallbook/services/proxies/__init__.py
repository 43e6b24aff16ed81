"""R20: family proxies (亲友代办). A citizen - typically an older relative who does not use the app -
authorises another citizen's account to book and cancel for them:

1. the proxy asks with the citizen's ID number and phone (`request`); both must belong to one
   registered citizen with a verified phone, and the code goes to the phone registered on the
   citizen's account - never to a number the request names;
2. the citizen passes the code on (by phone, in person) and the proxy enters it (`confirm`): five
   tries, each counted in the same conditional write that acts on it, so parallel guesses get five
   comparisons in all; (invitations.py)
3. the proxy books, lists and cancels for the citizen (`book`, `list_bookings`, `cancel`): the
   booking is the citizen's own (their account, their limits R9-R12, their SMS), and the proxy gets
   a copy of every SMS the act sends, written in the same transaction; (acting.py)
4. either side revokes (`revoke`); the proxy's routes then answer 404, as for an unknown id.
   (revocation.py; the list of both sides' authorisations: reads.py)

Every act, refused ones too, is written to the audit log with the acting account. The data is reached
through `stores().family` (store/ports/family.py's FamilyStore): DynamoDB's, or the in-memory one of
store/memory/family.py in tests/unit.
"""

from ...store.proxies import ACTIVE, PENDING, REVOKED
from .acting import book, cancel, list_bookings, own_booking_for, reschedule
from .invitations import CODE_ATTEMPTS, CODE_MINUTES, confirm, request
from .parties import Authorisation, label
from .reads import my_proxies
from .revocation import revoke

__all__ = [
    "ACTIVE",
    "CODE_ATTEMPTS",
    "CODE_MINUTES",
    "PENDING",
    "REVOKED",
    "Authorisation",
    "book",
    "cancel",
    "confirm",
    "label",
    "list_bookings",
    "my_proxies",
    "own_booking_for",
    "request",
    "reschedule",
    "revoke",
]
