"""Every write of the analytics app (P08, P09). Counts only ever go up with ``F()`` on a
row made race-safely (``get_or_create`` on a unique constraint): never read-modify-write.

Nothing here is audit-logged: no person acts and no person's data changes.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lyceum.analytics.models import (
    CampaignCount,
    DailySalt,
    Device,
    PageViewCount,
    VisitorCount,
    VisitorMark,
)


def today() -> date:
    """Analytics days are UTC days, the same for every server."""
    return timezone.now().astimezone(UTC).date()


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _daily_salt(day: date) -> str:
    """The salt of ``day``. The first visit of a day makes it and discards the salts and
    marks of the days before, so yesterday's hashes can no longer be recomputed."""
    salt = DailySalt.objects.filter(day=day).values_list("salt", flat=True).first()
    if salt:
        return salt
    with transaction.atomic():
        visitor_marks_forget(before=day)
        row, _ = DailySalt.objects.get_or_create(day=day, defaults={"salt": secrets.token_hex(32)})
    return row.salt


def _first_mark(*, day: date, digest: str) -> bool:
    """Mark a hash as counted today; True when it was not marked yet."""
    _, created = VisitorMark.objects.get_or_create(digest=digest, defaults={"day": day})
    return created


@transaction.atomic
def pageview_record(
    *,
    path: str,
    referrer_host: str,
    device: Device,
    language: str,
    ip: str,
    user_agent: str,
    day: date | None = None,
) -> None:
    """Count one page view (P08): the page's row for the day goes up by one view, and by
    one visitor when this visitor had not seen the page today; the day's visitors go up
    when the visitor had seen no page today.

    A visitor is ``sha256(salt of the day, day, ip, user agent)``: the IP address and the
    user agent are only hashed here, never written, and the hash is written alone (no
    page, no time beside it). The caller has checked the visitor's analytics consent."""
    day = day or today()
    visitor = _digest(_daily_salt(day), day.isoformat(), ip, user_agent)
    new_visitor = _first_mark(day=day, digest=visitor)
    new_on_page = _first_mark(day=day, digest=_digest(visitor, "page", path))
    row, _ = PageViewCount.objects.get_or_create(
        day=day, path=path, referrer_host=referrer_host, device=device, language=language
    )
    PageViewCount.objects.filter(pk=row.pk).update(
        views=F("views") + 1, visitors=F("visitors") + int(new_on_page)
    )
    if new_visitor:
        VisitorCount.objects.get_or_create(day=day)
        VisitorCount.objects.filter(day=day).update(visitors=F("visitors") + 1)


def visitor_marks_forget(*, before: date) -> int:
    """Discard the salts and visitor hashes of the days before ``before`` (P08): once a day
    is over its counts stay, and nothing can tell any more who was counted."""
    with transaction.atomic():
        salts, _ = DailySalt.objects.filter(day__lt=before).delete()
        marks, _ = VisitorMark.objects.filter(day__lt=before).delete()
    return salts + marks


def _campaign_add(*, campaign: str, day: date | None, opens: int = 0, clicks: int = 0) -> None:
    day = day or today()
    row, _ = CampaignCount.objects.get_or_create(day=day, campaign=campaign)
    CampaignCount.objects.filter(pk=row.pk).update(
        opens=F("opens") + opens, clicks=F("clicks") + clicks
    )


@transaction.atomic
def campaign_open_record(*, campaign: str, day: date | None = None) -> None:
    """One opening of a tracked email of ``campaign`` (P09): a count, no recipient."""
    _campaign_add(campaign=campaign, day=day, opens=1)


@transaction.atomic
def campaign_click_record(*, campaign: str, day: date | None = None) -> None:
    """One click on a tracked link of ``campaign`` (P09): a count, no recipient, no link."""
    _campaign_add(campaign=campaign, day=day, clicks=1)
