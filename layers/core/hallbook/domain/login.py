"""R1, logging in: slow the guesser, not the owner. The limits' values, in one place: services.login
applies them, domain.ratelimit computes them, store.login_throttle keeps their counters.

Two limits, each an atomic conditional write made before the password is compared (so parallel
guesses cannot slip past a check they all read at once):
- per account and client address, exponential back-off: BACKOFF_FREE attempts, then each further
  one waits BACKOFF_DELAYS after the one before (15 s doubling to 15 min); a success from the
  address or a quiet day clears it. The owner at another address is not slowed at all.
- per account, from every address together, a budget of BUDGET_BURST failures refilled one every
  BUDGET_INTERVAL (20 an hour). When it is spent the password alone is no longer enough for
  SECOND_FACTOR_HOURS: a citizen adds an SMS code sent to the account's phone (POST
  /v1/sessions/sms-code), staff, operators and administrators a TOTP code from their authenticator.
Nothing ever locks the owner out: the worst an attacker achieves is that the owner's next logins
for a day need the code on their own phone.
"""

from __future__ import annotations

from .ratelimit import DAY_SECONDS, Backoff, Budget, DailyQuota

BACKOFF_FREE = 5
BACKOFF_DELAYS = (15, 30, 60, 120, 240, 480, 900)  # seconds; the last repeats
BACKOFF_QUIET_SECONDS = DAY_SECONDS
BACKOFF = Backoff(BACKOFF_FREE, BACKOFF_DELAYS, BACKOFF_QUIET_SECONDS)
BUDGET_BURST = 20
BUDGET_INTERVAL = 180  # seconds: 3600 / 20
BUDGET = Budget(BUDGET_BURST, BUDGET_INTERVAL)
SECOND_FACTOR_HOURS = 24
LOGIN_CODE_MINUTES = 10
LOGIN_CODE_ATTEMPTS = 5
LOGIN_CODE_QUOTA = DailyQuota(10)  # SMS login codes, sent only to someone who gave the right password
