"""Mail: every message is queued as a job after its transaction commits.

``QueuedBackend`` is the ``EMAIL_BACKEND`` the whole project sends through, so a
rolled-back change never emails anyone and a slow mail server never slows a page.
The job hands the message to ``LYCEUM_DELIVERY_BACKEND``: SMTP when ``EMAIL_URL``
is set, otherwise ``FolderBackend``, which writes one ``.eml`` file per message.
"""

from __future__ import annotations

import functools
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone


class QueuedBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from lyceum.core.tasks import deliver_email

        for message in email_messages:
            message.connection = None
            transaction.on_commit(functools.partial(deliver_email, message))
        return len(email_messages)


def deliver_now(message: EmailMessage) -> int:
    connection = get_connection(settings.LYCEUM_DELIVERY_BACKEND)
    return connection.send_messages([message]) or 0


class FolderBackend(BaseEmailBackend):
    """Writes each message to ``LYCEUM_MAIL_DIR`` as an RFC 5322 file; echoes it in debug."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(settings.LYCEUM_MAIL_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            raw = message.message().as_bytes()
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
            (folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml").write_bytes(raw)
            if settings.DEBUG:
                sys.stdout.write(raw.decode("utf-8", "replace") + "\n" + "-" * 72 + "\n")
        return len(email_messages)
