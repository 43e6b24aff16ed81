"""The administrators' oversight port: R22's flags as reviewed (services/flags.py; their counters are
the booking path's, ports.bookings.FlagCounters), the statistics' counters (services/stats.py) and the
audit log (services/audit.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..audit import AuditEntry
    from ..flags import Flag
    from ..stats import DayCounts


class OversightStore(Protocol):
    """What administrators read: raised flags (and their review), a hall's daily counters and the
    audit log's entries; and the audit entry an action writes on its own."""

    def get_flag(self, flag_id: str) -> Flag | None:
        """A raised flag (None when none is raised under that id)."""
        ...

    def list_flags(self, limit: int, cursor: str | None, status: str | None) -> tuple[list[Flag], str | None]:
        """Raised flags, newest first, `status` open or reviewed or both, a page at a time."""
        ...

    def mark_reviewed(self, flag_id: str, by: str, note: str | None, now: datetime) -> Flag:
        """Reviewed at the flag's current count: it opens again only when its pattern counts more.
        Raises store.flags.NotRaised when no flag is raised under that id."""
        ...

    def stats_between(self, office_id: str, first: date, last: date) -> list[DayCounts]:
        """Every service's counters of a hall from `first` to `last` (days with none left out)."""
        ...

    def append_audit(self, entry: AuditEntry) -> None:
        """Write one audit entry on its own (when the change it records had its own write)."""
        ...

    def audit_on(self, day: date, limit: int, cursor: str | None) -> tuple[list[AuditEntry], str | None]:
        """A day's audit entries, newest first, a page at a time."""
        ...
