"""The right to erasure (P43, P19, P48, P51), generic over the register.

Each register entry says what erasure does to its rows: delete them (with their files),
anonymise named fields, or keep them under a legal hold (a ``LegalHold`` names each kept
row and the day it goes). The person's account row goes last. An erasure leaves a line in
the erasure ledger, a keyed digest that holds no personal data, so a restored backup can
be erased again (``reapply_ledger``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from lyceum.core.request_context import RequestOrigin, reset_origin, set_origin
from lyceum.privacy.audit import audit_record
from lyceum.privacy.models import ErasureLedger, LegalHold, ProcessorNotice, RightsRequest
from lyceum.privacy.register import Entry, ErasureAction, Register, register


@dataclass(frozen=True)
class Item:
    """What erasure does, or did, to one register entry's rows about one person."""

    entry: Entry
    count: int
    until: datetime | None = None

    @property
    def action(self) -> ErasureAction:
        return self.entry.erasure.action

    @property
    def title(self) -> str:
        return str(self.entry.model._meta.verbose_name_plural).capitalize()

    @property
    def reason(self) -> str:
        return str(self.entry.erasure.reason)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "entry": self.entry.label,
            "title": self.title,
            "action": self.action.value,
            "action_label": str(self.action.label),
            "count": self.count,
        }
        if self.action == ErasureAction.HOLD:
            data["reason"] = self.reason
            data["until"] = self.until.isoformat() if self.until else None
        return data


def _ordered(reg: Register) -> list[Entry]:
    """Kept and anonymised rows first, deleted rows next, the people themselves last, so no
    cascade removes a row before its own rule is applied."""
    rank = {ErasureAction.HOLD: 0, ErasureAction.ANONYMISE: 1, ErasureAction.DELETE: 2}
    return sorted(
        reg.entries.values(),
        key=lambda e: (e.subject == "pk", rank[e.erasure.action], e.label),
    )


def plan(user_id: int, reg: Register = register, now: datetime | None = None) -> list[Item]:
    """What erasing this person would do, entry by entry (only entries with rows)."""
    now = now or timezone.now()
    items = []
    for entry in _ordered(reg):
        rows = entry.own_rows_of(user_id)
        hold, anchor = entry.erasure.hold_for, entry.erasure.hold_from
        until = None
        if entry.erasure.action == ErasureAction.HOLD and hold:
            if anchor:  # held per row; the report gives the last day any of them goes
                rows = rows.filter(**{f"{anchor}__gt": now - hold})
                latest = rows.aggregate(latest=Max(anchor))["latest"]
                until = latest + hold if latest else None
            else:
                until = now + hold
        count = rows.count()
        if count:
            items.append(Item(entry=entry, count=count, until=until))
    return items


def preview(user_id: int, reg: Register = register) -> list[Item]:
    """What asking for erasure now would do: ``plan``, plus the record of the request itself,
    which is kept as proof that it was carried out."""
    items = plan(user_id, reg)
    entry = reg.entries.get(RightsRequest._meta.label)
    if entry is None:
        return items
    now = timezone.now()
    until = now + entry.erasure.hold_for if entry.erasure.hold_for else None
    others = [i for i in items if i.entry is not entry]
    count = sum(i.count for i in items if i.entry is entry) + 1
    return [Item(entry=entry, count=count, until=until), *others]


def report_json(items: list[Item], request: RightsRequest | None, *, done: bool) -> dict[str, Any]:
    return {
        "request": str(request.public_id) if request else None,
        "status": "done" if done else "scheduled",
        "requested_at": request.created_at.isoformat() if request else None,
        "carried_out_on": (
            request.scheduled_for.isoformat() if request and request.scheduled_for else None
        ),
        "erased": [i.as_json() for i in items if i.action != ErasureAction.HOLD],
        "kept": [i.as_json() for i in items if i.action == ErasureAction.HOLD],
        "processors": sorted(
            {r.name for i in items for r in i.entry.recipients if r.erase is not None}
        ),
    }


def ledger_digest(public_id: Any) -> str:
    """The erasure ledger's line for an account: a hash of its random public id (a UUID4).

    It identifies nobody on its own and cannot be reversed by trying account numbers, needs
    no key (so it survives key rotation), yet a restored database holding that account
    matches it."""
    return hashlib.sha256(f"lyceum-erasure:{public_id}".encode()).hexdigest()


def _public_id(user_id: int) -> Any:
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        ._base_manager.filter(pk=user_id)
        .values_list("public_id", flat=True)
        .first()
    )


@transaction.atomic
def erase(
    user_id: int,
    *,
    request: RightsRequest | None = None,
    reg: Register = register,
    notify_processors: bool = True,
) -> list[Item]:
    """Erase one person by the register's rules, now. Returns what was done."""
    now = timezone.now()
    items = plan(user_id, reg, now)
    public_id = _public_id(user_id)
    processor_rows: dict[str, list[dict[str, Any]]] = {}
    files: list[str] = []
    for item in items:  # read everything first: deleting a row may cascade to others
        rows = item.entry.own_rows_of(user_id)
        for recipient in item.entry.recipients:
            if recipient.erase is not None:
                values = [dict(v) for v in rows.values(*recipient.fields)]
                processor_rows.setdefault(recipient.name, []).extend(values)
        if item.action == ErasureAction.DELETE:
            for name in item.entry.file_fields:
                files.extend(n for n in rows.values_list(name, flat=True) if n)
    for entry in reg.entries.values():  # others' rows first: they must outlive the person's
        if entry.also_replacements:
            entry.others_of(user_id).update(**entry.also_replacements)
    for item in items:
        entry, rows = item.entry, item.entry.own_rows_of(user_id)
        if entry.erasure.action == ErasureAction.DELETE:
            rows.delete()
            continue
        if entry.erasure.action == ErasureAction.HOLD and item.until:
            held = _holds(entry, rows, now, item.until)
            past = rows.exclude(pk__in=[pk for pk, _ in held])
            files.extend(n for name in entry.file_fields for n in past.values_list(name, flat=True))
            past.delete()  # their legal period is over already
            LegalHold.objects.bulk_create(
                [
                    LegalHold(entry=entry.label, object_id=str(pk), until=until, request=request)
                    for pk, until in held
                ],
                ignore_conflicts=True,
            )
        if entry.erasure.replacements:
            rows.update(**entry.erasure.replacements)
    if public_id is not None:
        ErasureLedger.objects.get_or_create(subject_digest=ledger_digest(public_id))
    # Written with no request origin: the erased person's address must not be logged again.
    token = set_origin(RequestOrigin())
    try:
        audit_record(action="privacy.erasure.done", target=request, subject=user_id)
    finally:
        reset_origin(token)
    transaction.on_commit(lambda: _delete_files(files))
    if request is not None and notify_processors and processor_rows:
        _queue_processor_notices(request, processor_rows)
    return items


def _holds(entry: Entry, rows: Any, now: datetime, until: datetime) -> list[tuple[Any, datetime]]:
    """(row key, end of its hold) for the rows still under a legal hold."""
    anchor, hold = entry.erasure.hold_from, entry.erasure.hold_for
    if not anchor or hold is None:
        return [(pk, until) for pk in rows.values_list("pk", flat=True)]
    return [
        (pk, date + hold)
        for pk, date in rows.values_list("pk", anchor)
        if date is not None and date + hold > now
    ]


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _queue_processor_notices(request: RightsRequest, rows: dict[str, list[dict[str, Any]]]) -> None:
    from lyceum.privacy.tasks import notify_processor

    for processor, values in rows.items():
        notice = ProcessorNotice.objects.create(
            request=request, processor=processor, payload=json.dumps(values, default=str)
        )
        transaction.on_commit(partial(notify_processor, notice.pk))


def recipient_named(name: str, reg: Register = register) -> Any:
    for entry in reg.entries.values():
        for recipient in entry.recipients:
            if recipient.name == name and recipient.erase is not None:
                return recipient
    raise LookupError(f"No processor named {name} has an erasure handler.")


def notify(notice_id: int, *, final: bool) -> None:
    """Tell one processor to erase (a job; raising makes it retry). What it must erase is
    kept on the notice, encrypted, until it confirms; then it is emptied."""
    notice = ProcessorNotice.objects.get(pk=notice_id)
    if notice.status == ProcessorNotice.Status.CONFIRMED:
        return
    notice.attempts += 1
    try:
        recipient_named(notice.processor).erase(json.loads(notice.payload or "[]"))
    except Exception as error:
        notice.last_error = str(error)[:300]
        notice.status = ProcessorNotice.Status.FAILED if final else ProcessorNotice.Status.PENDING
        notice.save(update_fields=["attempts", "last_error", "status", "updated_at"])
        raise
    notice.status = ProcessorNotice.Status.CONFIRMED
    notice.last_error = ""
    notice.payload = ""
    notice.save(update_fields=["attempts", "last_error", "status", "payload", "updated_at"])


def reapply_ledger(reg: Register = register) -> list[int]:
    """Erase again everyone the ledger says was erased (after a restore): returns their ids."""
    from django.contrib.auth import get_user_model

    erased = set(ErasureLedger.objects.values_list("subject_digest", flat=True))
    if not erased:
        return []
    accounts = get_user_model()._base_manager.values_list("pk", "public_id")
    found = [pk for pk, public_id in accounts.iterator() if ledger_digest(public_id) in erased]
    for pk in found:
        erase(pk, reg=reg, notify_processors=False)
    return found
