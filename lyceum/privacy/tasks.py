"""Jobs of the privacy engine; each is idempotent."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from lyceum.privacy import services


@db_task(retries=3, retry_delay=30)
def build_data_export(export_id: int, base_url: str) -> None:
    services.data_export_build(export_id=export_id, base_url=base_url)


@db_periodic_task(crontab(minute="17"))
def expire_data_exports() -> int:
    return services.data_exports_expire()
