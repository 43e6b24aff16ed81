"""The oversight port on DynamoDB (ports.oversight.OversightStore): store/flags.py, store/stats.py and
store/audit.py, under the port's names."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .audit import AuditEntry
    from .flags import Flag
    from .stats import DayCounts


class DynamoOversight:
    """Flags' reviews, statistics' counters and the audit log on DynamoDB."""

    def get_flag(self, flag_id: str) -> Flag | None:
        from . import flags

        return flags.get(flag_id)

    def list_flags(self, limit: int, cursor: str | None, status: str | None) -> tuple[list[Flag], str | None]:
        from . import flags

        return flags.listed(limit, cursor, status)

    def mark_reviewed(self, flag_id: str, by: str, note: str | None, now: datetime) -> Flag:
        from . import flags

        return flags.mark_reviewed(flag_id, by, note, now)

    def stats_between(self, office_id: str, first: date, last: date) -> list[DayCounts]:
        from . import stats

        return stats.days_between(office_id, first, last)

    def append_audit(self, entry: AuditEntry) -> None:
        from . import audit

        audit.append(entry)

    def audit_on(self, day: date, limit: int, cursor: str | None) -> tuple[list[AuditEntry], str | None]:
        from . import audit

        return audit.entries_on(day, limit, cursor)
