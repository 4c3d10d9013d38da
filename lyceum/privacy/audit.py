"""Writing and checking the audit chain."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from lyceum.core.request_context import current_origin
from lyceum.privacy.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _origin_digest(salt: str, ip: str | None, user_agent: str) -> str:
    return hashlib.sha256(f"{salt}\x1f{ip or ''}\x1f{user_agent}".encode()).hexdigest()


def _event_hash(prev_hash: str, event: AuditEvent) -> str:
    body = json.dumps(
        [
            event.id,
            event.created_at.isoformat(),
            event.actor_id,
            event.action,
            event.target_type,
            event.target_id,
            event.subject_id,
            list(event.changed_fields),
            event.origin_digest,
        ],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(f"{prev_hash}\x1e{body}".encode()).hexdigest()


def _id_of(obj: Any) -> int | None:
    if obj is None:
        return None
    if isinstance(obj, int):
        return obj
    return getattr(obj, "pk", None)


def _rebuild_head() -> AuditHead:
    """The head is gone (a flushed or hand-edited database): continue the chain from its
    last event, and say so in the chain itself, so `audit verify` can still tell."""
    last = AuditEvent.objects.order_by("-id").first()
    head, created = AuditHead.objects.get_or_create(
        id=1,
        defaults={
            "last_id": last.id if last else 0,
            "last_hash": last.hash if last else GENESIS,
            "count": AuditEvent.objects.count(),
        },
    )
    head = AuditHead.objects.select_for_update().get(id=1)
    if created and last is not None:
        _append(head, action="audit.head_rebuilt")
    return head


def audit_record(
    *,
    action: str,
    actor: Any = None,
    target: models.Model | None = None,
    subject: Any = None,
    changed_fields: Iterable[str] = (),
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction (P15, P16).

    ``changed_fields`` holds field names only, never values.
    """
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(id=1).first() or _rebuild_head()
        return _append(
            head,
            action=action,
            actor=actor,
            target=target,
            subject=subject,
            changed_fields=changed_fields,
        )


def _append(
    head: AuditHead,
    *,
    action: str,
    actor: Any = None,
    target: models.Model | None = None,
    subject: Any = None,
    changed_fields: Iterable[str] = (),
) -> AuditEvent:
    """Write the next event after the locked ``head`` and move the head to it."""
    origin = current_origin()
    salt = secrets.token_hex(16) if (origin.ip or origin.user_agent) else ""
    event = AuditEvent(
        id=head.last_id + 1,
        created_at=timezone.now(),
        actor_id=_id_of(actor),
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        subject_id=_id_of(subject),
        changed_fields=sorted(set(changed_fields)),
        ip=origin.ip or None,
        user_agent=origin.user_agent,
        origin_salt=salt,
        origin_digest=_origin_digest(salt, origin.ip, origin.user_agent) if salt else "",
        prev_hash=head.last_hash,
    )
    event.hash = _event_hash(head.last_hash, event)
    event.save(force_insert=True)
    head.last_id = event.id
    head.last_hash = event.hash
    head.count += 1
    head.save(update_fields=["last_id", "last_hash", "count"])
    return event


@dataclass
class ChainReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_verify(*, batch_size: int = 2000) -> ChainReport:
    """Walk the whole chain; report every edited, inserted or removed event."""
    report = ChainReport()
    prev_hash = GENESIS
    expected_id = 1
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        report.checked += 1
        if event.id != expected_id:
            report.problems.append(
                f"event {expected_id}"
                + (f" to {event.id - 1}" if event.id - 1 > expected_id else "")
                + " missing"
            )
        if event.prev_hash != prev_hash:
            report.problems.append(f"event {event.id}: does not follow the event before it")
        if event.hash != _event_hash(event.prev_hash, event):
            report.problems.append(f"event {event.id}: contents changed")
        if event.origin_salt:
            if event.origin_digest != _origin_digest(event.origin_salt, event.ip, event.user_agent):
                report.problems.append(f"event {event.id}: IP address or user agent changed")
        elif event.ip or event.user_agent:
            report.problems.append(f"event {event.id}: IP address or user agent changed")
        prev_hash = event.hash
        expected_id = event.id + 1
    head = AuditHead.objects.filter(id=1).first()
    if head is not None:
        if head.last_id != expected_id - 1 or head.last_hash != prev_hash:
            report.problems.append(f"events after {expected_id - 1} missing (chain ends early)")
        if head.count != report.checked:
            report.problems.append(f"{head.count} events written, {report.checked} found")
    elif report.checked:
        report.problems.append("chain head missing")
    return report
