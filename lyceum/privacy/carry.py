"""What people asked for since a backup was taken, carried into the restored database
(P51): a restore must not undo a pending deletion, a restriction, an objection or a rights
request and its answer. Rows are matched by public ids, which a restore keeps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q

from lyceum.privacy.models import ProcessingLimit, RightsRequest

REQUEST_FIELDS = (
    "public_id",
    "kind",
    "status",
    "details",
    "outcome",
    "created_at",
    "due_at",
    "scheduled_for",
    "completed_at",
    "report",
)
LIMIT_FIELDS = ("kind", "purpose", "reason", "created_at", "lifted_at")


def requests_since(moment: datetime) -> dict[str, list[dict[str, Any]]]:
    """Read from the live database before it is replaced (held in memory only)."""
    changed = Q(created_at__gte=moment) | Q(completed_at__gte=moment)
    requests = RightsRequest.objects.filter(changed | Q(status__in=RightsRequest.OPEN))
    limits = ProcessingLimit.objects.filter(Q(created_at__gte=moment) | Q(lifted_at__gte=moment))
    return {
        "requests": [_with_person(r) for r in requests.values(*REQUEST_FIELDS, "user__public_id")],
        "limits": [_with_person(r) for r in limits.values(*LIMIT_FIELDS, "user__public_id")],
    }


def _with_person(row: dict[str, Any]) -> dict[str, Any]:
    row["person"] = row.pop("user__public_id")
    return row


def reapply(carried: dict[str, list[dict[str, Any]]]) -> int:
    """Write them into the restored database; returns how many rows were carried."""
    wanted = {r["person"] for rows in carried.values() for r in rows if r["person"]}
    accounts = get_user_model()._base_manager.filter(public_id__in=wanted)
    people = dict(accounts.values_list("public_id", "pk"))
    count = 0
    for row in carried["requests"]:
        values = {k: v for k, v in row.items() if k not in ("person", "public_id")}
        RightsRequest.objects.update_or_create(
            public_id=row["public_id"], defaults={**values, "user_id": people.get(row["person"])}
        )
        if (
            row["kind"] == RightsRequest.Kind.ERASURE
            and row["status"] == RightsRequest.Status.IN_PROGRESS
            and row["person"] in people
        ):  # the account stays out of use until its erasure, as before the restore
            get_user_model()._base_manager.filter(pk=people[row["person"]]).update(is_active=False)
        count += 1
    for row in carried["limits"]:
        if row["person"] not in people:
            continue
        ProcessingLimit.objects.update_or_create(
            user_id=people[row["person"]],
            kind=row["kind"],
            purpose=row["purpose"],
            created_at=row["created_at"],
            defaults={"reason": row["reason"], "lifted_at": row["lifted_at"]},
        )
        count += 1
    return count
