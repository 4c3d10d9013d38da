"""Retention (P49, P50): one sweep over the register deletes or anonymises what is past its
rule, files included, and ends legal holds whose date has passed. Each run is recorded
(kind of data, action, count, time; never contents)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import timezone

from lyceum.privacy.models import LegalHold, ProcessingLimit, RetentionRun
from lyceum.privacy.register import Entry, Register, register

BATCH = 5_000


def _expired(entry: Entry, now: datetime) -> models.QuerySet[Any] | None:
    rule = entry.retention
    if rule.period is None or not rule.anchor_field:
        return None
    rows = entry.model._base_manager.filter(**{f"{rule.anchor_field}__lt": now - rule.period})
    if rule.anonymise:  # rows already anonymised are done
        rows = rows.exclude(models.Q(**rule.anonymise))
    if entry.subject is not None:
        # Restricted data is kept, even past its time, until the restriction is lifted: the
        # person may need it for a legal claim (GDPR Art. 18(1)(c)).
        restricted = ProcessingLimit.objects.filter(
            kind=ProcessingLimit.Kind.RESTRICTION, lifted_at=None
        ).values("user_id")
        rows = rows.exclude(**{f"{entry.subject}__in": restricted})
    held = LegalHold.objects.filter(entry=entry.label, until__gte=now)
    if held.exists():  # a legal hold outlasts the ordinary rule
        to_pk = entry.model._meta.pk.to_python
        rows = rows.exclude(pk__in=[to_pk(pk) for pk in held.values_list("object_id", flat=True)])
    return rows


def _in_batches(entry: Entry, rows: models.QuerySet[Any], apply: Any, batch: int = BATCH) -> int:
    """Apply ``apply(pks)`` batch by batch, each in its own short transaction, so a sweep of
    millions of rows never holds a long lock; returns how many rows.

    Batches follow the primary key from where the last one stopped, so rows already done are
    never read again (anonymised rows still match the date condition)."""
    done, last = 0, None
    ordered = rows.order_by("pk")
    while True:
        page = ordered if last is None else ordered.filter(pk__gt=last)
        pks = list(page.values_list("pk", flat=True)[:batch])
        if not pks:
            return done
        with transaction.atomic():
            apply(pks)
        done += len(pks)
        last = pks[-1]


def _delete(entry: Entry, pks: list[Any]) -> None:
    rows = entry.model._base_manager.filter(pk__in=pks)
    files = [n for name in entry.file_fields for n in rows.values_list(name, flat=True) if n]
    rows.delete()
    transaction.on_commit(lambda: _delete_files(files))


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def sweep(
    *, dry_run: bool = False, now: datetime | None = None, reg: Register = register
) -> RetentionRun:
    """One retention sweep; with ``dry_run`` it only counts (and records that it did)."""
    now = now or timezone.now()
    run = RetentionRun(started_at=timezone.now(), dry_run=dry_run)
    results: list[dict[str, Any]] = []
    for label in sorted(reg.entries):
        entry = reg.entries[label]
        rows = _expired(entry, now)
        if rows is None:
            continue
        action = "anonymised" if entry.retention.anonymise else "deleted"
        if dry_run:
            count = rows.count()
        elif entry.retention.anonymise:
            count = _in_batches(
                entry,
                rows,
                lambda pks, e=entry: e.model._base_manager.filter(pk__in=pks).update(
                    **e.retention.anonymise
                ),
            )
        else:
            count = _in_batches(entry, rows, lambda pks, e=entry: _delete(e, pks))
        if count:
            results.append({"entry": label, "action": action, "count": count})
    results.extend(_end_holds(now, dry_run, reg))
    run.results = results
    run.total = sum(r["count"] for r in results)
    run.finished_at = timezone.now()
    run.save()
    return run


def _end_holds(now: datetime, dry_run: bool, reg: Register) -> list[dict[str, Any]]:
    """Rows kept under a legal hold whose end date has passed are erased for good."""
    ended: dict[str, list[LegalHold]] = defaultdict(list)
    for hold in LegalHold.objects.filter(until__lt=now).order_by("entry", "pk"):
        ended[hold.entry].append(hold)
    results = []
    for label, holds in ended.items():
        entry = reg.entries.get(label)
        if dry_run:
            results.append({"entry": label, "action": "hold_ended", "count": len(holds)})
            continue
        with transaction.atomic():
            if entry is not None:
                pks = [h.object_id for h in holds]
                _delete(entry, pks)
            LegalHold.objects.filter(pk__in=[h.pk for h in holds]).delete()
        results.append({"entry": label, "action": "hold_ended", "count": len(holds)})
    return results
