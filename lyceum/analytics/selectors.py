"""Reads for the staff page (P08): totals over a period, never anything about a person.

Small counts are suppressed where they are shown (``SMALL_COUNT``, the ``suppressed``
filter), not here: the selectors give the true totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Sum

from lyceum.analytics.models import CampaignCount, PageViewCount, VisitorCount

# Counts below this are shown as "<5": a page seen by two people on a day says too much.
SMALL_COUNT = 5
TOP = 20


@dataclass(frozen=True)
class DayLine:
    day: date
    views: int
    visitors: int


@dataclass(frozen=True)
class Line:
    key: str
    views: int
    visitors: int = 0


@dataclass(frozen=True)
class CampaignLine:
    campaign: str
    opens: int
    clicks: int


def visits_per_day(*, first: date, last: date) -> list[DayLine]:
    """Every day from ``first`` to ``last``, newest first, days without visits included."""
    views = dict(
        PageViewCount.objects.filter(day__range=(first, last))
        .values("day")
        .annotate(total=Sum("views"))
        .values_list("day", "total")
    )
    visitors = dict(
        VisitorCount.objects.filter(day__range=(first, last)).values_list("day", "visitors")
    )
    days = [last - timedelta(days=n) for n in range((last - first).days + 1)]
    return [DayLine(day=d, views=views.get(d) or 0, visitors=visitors.get(d, 0)) for d in days]


def _lines(*, first: date, last: date, key: str, skip_blank: bool = False) -> list[Line]:
    counts = PageViewCount.objects.filter(day__range=(first, last))
    if skip_blank:
        counts = counts.exclude(**{key: ""})
    rows = (
        counts.values(key)
        .annotate(total_views=Sum("views"), total_visitors=Sum("visitors"))
        .order_by("-total_views", key)[:TOP]
    )
    return [
        Line(key=row[key], views=row["total_views"] or 0, visitors=row["total_visitors"] or 0)
        for row in rows
    ]


def top_pages(*, first: date, last: date) -> list[Line]:
    return _lines(first=first, last=last, key="path")


def top_referrers(*, first: date, last: date) -> list[Line]:
    return _lines(first=first, last=last, key="referrer_host", skip_blank=True)


def by_device(*, first: date, last: date) -> list[Line]:
    return _lines(first=first, last=last, key="device")


def by_language(*, first: date, last: date) -> list[Line]:
    return _lines(first=first, last=last, key="language")


def campaigns(*, first: date, last: date) -> list[CampaignLine]:
    rows = (
        CampaignCount.objects.filter(day__range=(first, last))
        .values("campaign")
        .annotate(total_opens=Sum("opens"), total_clicks=Sum("clicks"))
        .order_by("-total_opens", "campaign")[:TOP]
    )
    return [
        CampaignLine(
            campaign=row["campaign"],
            opens=row["total_opens"] or 0,
            clicks=row["total_clicks"] or 0,
        )
        for row in rows
    ]
