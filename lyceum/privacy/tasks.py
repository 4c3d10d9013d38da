"""Jobs of the privacy engine; each is idempotent."""

from __future__ import annotations

from typing import Any

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from lyceum.privacy import desk, desk_reminders, erasure, retention, services

NOTICE_RETRIES = 8


@db_task(retries=3, retry_delay=30, context=True)
def build_data_export(export_id: int, base_url: str, task: Any = None) -> None:
    try:
        services.data_export_build(export_id=export_id, base_url=base_url)
    except Exception:
        if task is None or task.retries == 0 or HUEY.immediate:
            services.data_export_failed(export_id=export_id)  # the person may ask again
        raise


@db_task(retries=NOTICE_RETRIES, retry_delay=300, context=True)
def notify_processor(notice_id: int, task: Any = None) -> None:
    """Tell a processor to erase (P48); retried for about 40 minutes, then left failed for
    staff to see, and try again, in the back office."""
    final = task is None or task.retries == 0 or HUEY.immediate
    erasure.notify(notice_id, final=final)


@db_periodic_task(crontab(minute="*/15"))
def carry_out_due_erasures() -> int:
    """Erasures whose grace period has ended (P43)."""
    return services.erasures_due()


@db_periodic_task(crontab(minute="7"))
def retention_sweep() -> int:
    """Every hour: delete or anonymise what is past its retention (P49, P50)."""
    return retention.sweep().total


@db_task(retries=3, retry_delay=60, context=True)
def build_request_archive(request_id: int, base_url: str, task: Any = None) -> None:
    """The copy of a person's data that answers an access or portability request at the
    request desk (P47). When every try fails the request stays in progress, where staff see
    it and carry it out again."""
    try:
        desk.desk_archive_build(request_id=request_id, base_url=base_url)
    except Exception:
        if task is None or task.retries == 0 or HUEY.immediate:
            desk.desk_archive_failed(request_id=request_id)
        raise


@db_periodic_task(crontab(minute="23"))
def request_desk_reminders() -> int:
    """Every hour: reminders at day 20 and 27 of a request's 30, escalation once overdue
    (P47); each is sent once."""
    return desk_reminders.desk_reminders_send()
