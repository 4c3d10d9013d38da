"""Jobs of the analytics app; each is idempotent."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from lyceum.analytics import services


@db_periodic_task(crontab(minute="*/10"))
def forget_past_visitors() -> int:
    """Within ten minutes of midnight (UTC), discard the past day's salt and visitor hashes
    (P08), even when no page view of the new day has done it yet."""
    return services.visitor_marks_forget(before=services.today())
