"""First-party analytics without identity (P08) and email beacons (P09).

Only counts are kept: page views per day, page, referring site, kind of device and
language; unique visitors per day; email opens and clicks per campaign and day. Nothing
here names a person, an account, an address or a browser.

Unique visitors are counted Plausible-style: a visitor is the hash of (a random salt of
the day, the day, the IP address, the browser's user agent). Only that hash is written,
alone with its day, in ``VisitorMark``, to tell whether a visitor was counted already;
the salt and the marks of a day are deleted once the day is over, after which no hash
can be recomputed, so the counts cannot be tied back to anyone.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Device(models.TextChoices):
    """The screen class a page was seen on (from the screen width, never a fingerprint)."""

    MOBILE = "mobile", _("Phone")
    TABLET = "tablet", _("Tablet")
    DESKTOP = "desktop", _("Computer")


class PageViewCount(models.Model):
    """How many times a page was seen on a day, from where, on what, in which language."""

    day = models.DateField(db_index=True)
    # The route of the page, with ids and secret tokens replaced by their names
    # ("/classes/<pk>/"); empty for an address that is no page of the site.
    path = models.CharField(max_length=300, blank=True)
    referrer_host = models.CharField(max_length=253, blank=True)
    device = models.CharField(max_length=10, choices=Device.choices)
    language = models.CharField(max_length=10)
    views = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "path", "referrer_host", "device", "language"],
                name="analytics_pageview_one_row_per_kind",
            )
        ]
        verbose_name = _("page view count")
        verbose_name_plural = _("page view counts")

    def __str__(self) -> str:
        return f"{self.day} {self.path}: {self.views}"


class VisitorCount(models.Model):
    """Unique visitors of the whole site on a day."""

    day = models.DateField(unique=True)
    visitors = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("visitor count")
        verbose_name_plural = _("visitor counts")

    def __str__(self) -> str:
        return f"{self.day}: {self.visitors}"


class DailySalt(models.Model):
    """The random salt of one day's visitor hashes; deleted when the day is over."""

    day = models.DateField(unique=True)
    salt = models.CharField(max_length=64)

    def __str__(self) -> str:
        return str(self.day)


class VisitorMark(models.Model):
    """A visitor (or a visitor on one page) already counted today: a salted hash, nothing
    else. The hash is the primary key, so no row number tells in which order people came."""

    digest = models.CharField(max_length=64, primary_key=True)
    day = models.DateField(db_index=True)

    def __str__(self) -> str:
        return str(self.day)


class CampaignCount(models.Model):
    """Opens and clicks of one email campaign on a day (P09): no recipient, no link."""

    day = models.DateField(db_index=True)
    campaign = models.CharField(max_length=64)
    opens = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "campaign"], name="analytics_campaign_one_row_per_day"
            )
        ]
        verbose_name = _("email campaign count")
        verbose_name_plural = _("email campaign counts")

    def __str__(self) -> str:
        return f"{self.day} {self.campaign}"
