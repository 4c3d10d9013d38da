"""Jobs of accounts; each is idempotent, so running one twice, or late, is harmless."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from lyceum.accounts import children


@db_periodic_task(crontab(minute="*/10"))
def send_second_parent_confirmations() -> int:
    """ "Email plus" (P31): the second email to parents whose first confirmation is old
    enough; sent once each."""
    return children.child_second_confirmations_send()


@db_periodic_task(crontab(minute="*/15"))
def erase_children_without_consent() -> int:
    """Children's accounts still without consent after their deadline are erased (P31)."""
    return children.child_consents_expire()
