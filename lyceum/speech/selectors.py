"""Reads of the speech API: an organisation's clients, keys, usage, jobs and recordings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from lyceum.learning.reports import Bar, Chart
from lyceum.orgs.models import Organisation
from lyceum.speech.models import (
    ApiClient,
    ApiKey,
    ApiUsage,
    AssessmentJob,
    ReviewRecording,
)

USAGE_DAYS = 30


def api_clients_of(organisation: Organisation) -> QuerySet[ApiClient]:
    return ApiClient.objects.filter(organisation=organisation).select_related("oauth_application")


def api_client_of_or_404(*, organisation: Organisation, pk: int) -> ApiClient:
    """A client of this organisation; another organisation's is "not found"."""
    return get_object_or_404(api_clients_of(organisation), pk=pk)


def api_keys_of(client: ApiClient) -> QuerySet[ApiKey]:
    return client.keys.select_related("created_by").order_by("revoked_at", "-created_at")


def api_key_of_or_404(*, client: ApiClient, pk: int) -> ApiKey:
    return get_object_or_404(ApiKey, client=client, pk=pk)


@dataclass(frozen=True)
class UsageDay:
    day: date
    requests: int
    refused: int
    audio_minutes: float


def usage_days(
    client: ApiClient, *, days: int = USAGE_DAYS, today: date | None = None
) -> list[UsageDay]:
    """The last ``days`` days (UTC), oldest first, with the days without calls as zeros."""
    today = today or timezone.now().date()
    first = today - timedelta(days=days - 1)
    rows = {
        row.day: row
        for row in ApiUsage.objects.filter(client=client, day__gte=first, day__lte=today)
    }
    out = []
    for n in range(days):
        day = first + timedelta(days=n)
        row = rows.get(day)
        out.append(
            UsageDay(
                day=day,
                requests=row.requests if row else 0,
                refused=row.refused if row else 0,
                audio_minutes=round(row.audio_seconds / 60, 2) if row else 0.0,
            )
        )
    return out


def usage_charts(days: list[UsageDay]) -> tuple[Chart, Chart]:
    """Requests and audio minutes per day, as the bar charts the reports draw in SVG."""
    label = [formats.date_format(d.day, "j") for d in days]
    requests = Chart(
        title=_("Assessment requests per day"),
        unit="",
        bars=[
            Bar(label=lab, value=d.requests, shown=str(d.requests))
            for lab, d in zip(label, days, strict=True)
        ],
    )
    minutes = Chart(
        title=_("Minutes of audio assessed per day"),
        unit="min",
        bars=[
            Bar(label=lab, value=d.audio_minutes, shown=f"{d.audio_minutes} min")
            for lab, d in zip(label, days, strict=True)
        ],
    )
    return requests, minutes


def job_of(*, client: ApiClient, job_id: str) -> AssessmentJob | None:
    """The client's job, if it is still there; another client's is none of its business."""
    try:
        pk = uuid.UUID(job_id)
    except ValueError:
        return None
    return AssessmentJob.objects.filter(
        pk=pk, client=client, expires_at__gte=timezone.now()
    ).first()


def open_jobs_count(client: ApiClient) -> int:
    return AssessmentJob.objects.filter(
        client=client,
        status__in=[AssessmentJob.Status.QUEUED, AssessmentJob.Status.RUNNING],
    ).count()


def review_recordings_of(client: ApiClient) -> QuerySet[ReviewRecording]:
    return ReviewRecording.objects.filter(client=client, delete_after__gte=timezone.now())
