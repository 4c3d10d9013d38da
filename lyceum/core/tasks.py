"""Jobs of the shared kernel. Every job is idempotent and queued on commit."""

from __future__ import annotations

from django.core.mail import EmailMessage
from huey.contrib.djhuey import db_task

from lyceum.core.mail import deliver_now


@db_task(retries=5, retry_delay=60)
def deliver_email(message: EmailMessage) -> int:
    return deliver_now(message)
