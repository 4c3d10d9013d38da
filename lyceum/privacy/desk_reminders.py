"""Reminders and escalation of the request desk (P47): whoever decides an open request is
reminded 10 and 3 days before it is due (day 20 and 27 of 30), and told again with the DPO
once it is overdue. Each step is sent once, however often and wherever the job runs.

The same hourly job first closes the form requests never confirmed within 7 days; requests
still waiting for their requester's confirmation are nobody's to answer, so nobody is
reminded of them."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from lyceum.privacy.audit import audit_record
from lyceum.privacy.desk import desk_route_check, desk_unconfirmed_close
from lyceum.privacy.desk_mail import deciders_of, send
from lyceum.privacy.desk_selectors import UNCONFIRMED_FORM, controller_of_request
from lyceum.privacy.models import RightsRequest

FIRST_REMINDER = timedelta(days=10)
SECOND_REMINDER = timedelta(days=3)


# --- Reminders and escalation ------------------------------------------------------------------

# (flag, how long before the deadline), most urgent first.
STAGES = (
    ("escalated_at", timedelta(0)),
    ("second_reminder_at", SECOND_REMINDER),
    ("first_reminder_at", FIRST_REMINDER),
)


def _claim(request: RightsRequest, now: datetime) -> str | None:
    """The reminder this request is due for now, marked as sent (once, whoever runs at the
    same time: a conditional update), or None. Earlier reminders not yet sent are marked
    too: nobody needs "20 days left" after "3 days left"."""
    for index, (flag, before) in enumerate(STAGES):
        if now < request.due_at - before:
            continue
        claimed = RightsRequest.objects.filter(
            pk=request.pk, status__in=RightsRequest.OPEN, **{flag: None}
        ).update(**{flag: now})
        if not claimed:
            return None
        for earlier, _before in STAGES[index + 1 :]:
            RightsRequest.objects.filter(pk=request.pk, **{earlier: None}).update(**{earlier: now})
        return flag
    return None


def desk_reminders_send(*, now: datetime | None = None, base_url: str = "") -> int:
    """Remind whoever decides each open request 10 and 3 days before it is due (day 20 and
    27 of 30), and escalate it to them and the DPO once overdue (P47). One email per person
    per run, listing their requests. Idempotent: each step is sent once. Returns how many
    requests were reminded.

    First, form requests unconfirmed for 7 days are closed; those still unconfirmed are left
    out. A routed request whose person is no longer the organisation's goes back to the
    school before its reminder (P30)."""
    now = now or timezone.now()
    base_url = base_url or settings.LYCEUM_SITE_URL
    desk_unconfirmed_close(now=now)
    candidates = (
        RightsRequest.objects.filter(
            status__in=RightsRequest.OPEN, due_at__lte=now + FIRST_REMINDER
        )
        .exclude(kind=RightsRequest.Kind.ERASURE, scheduled_for__isnull=False)  # runs by itself
        .exclude(UNCONFIRMED_FORM)
        .order_by("due_at")
    )
    letters: dict[str, tuple[str, list[tuple[RightsRequest, str, str]]]] = {}
    count = 0
    for request in candidates:
        if request.controller_id is not None:
            request = desk_route_check(request=request, actor=None, base_url=base_url)
        with transaction.atomic():
            stage = _claim(request, now)
            if stage is None:
                continue
            request.refresh_from_db()
            audit_record(
                action="privacy.desk.reminded",
                target=request,
                subject=request.user_id,
                changed_fields=[stage],
            )
        count += 1
        for address, language, link in deciders_of(request, base_url):
            letters.setdefault(address, (language, []))[1].append((request, stage, link))
    for address, (language, items) in letters.items():
        with transaction.atomic():
            send(
                address,
                language,
                gettext_noop("Data protection requests need an answer"),
                "privacy/desk/reminder_email.txt",
                {"items": [_reminder_line(r, s, link, now) for r, s, link in items]},
            )
    return count


def _reminder_line(request: RightsRequest, stage: str, link: str, now: datetime) -> dict[str, Any]:
    return {
        "request": request,
        "overdue": stage == "escalated_at",
        "days_left": max(math.ceil((request.due_at - now) / timedelta(days=1)), 0),
        "link": link,
        "controller": controller_of_request(request),
    }
