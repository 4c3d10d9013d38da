"""Analytics in the register (P01, P08): counts that hold no personal data, and the
one-day hashes that let unique visitors be counted."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from lyceum.analytics.models import (
    CampaignCount,
    DailySalt,
    PageViewCount,
    VisitorCount,
    VisitorMark,
)
from lyceum.privacy.register import Category, Entry, LegalBasis, Retention, register

register.declare_not_personal(
    [PageViewCount, VisitorCount],
    _(
        "counts of page views and visitors per day, page, referring site, kind of device and "
        "language; nothing in them names or singles out a person, an account, an address or "
        "a browser, and pages are recorded without the ids and codes in their addresses"
    ),
)
register.declare_not_personal(
    [CampaignCount],
    _("counts of email opens and clicks per campaign and day, with no recipient and no link"),
)
register.declare_not_personal(
    [DailySalt], _("a random value for the day's visitor hashes, deleted when the day is over")
)
register.declare(
    Entry(
        model=VisitorMark,
        subject=None,
        linked_by=_(
            "nothing leads from a row to a person: each is a one-way hash of the day, the IP "
            "address and the browser with a salt that is deleted when the day is over"
        ),
        fields={"digest": Category.TECHNICAL},
        purpose=_(
            "Counting each visitor once a day in the site's analytics, for people who allowed "
            "analytics."
        ),
        legal_basis=LegalBasis.CONSENT,
        retention=Retention(
            period=timedelta(days=1),
            anchor_field="day",
            description=_("until the end of the day; deleted with the day's salt"),
        ),
    )
)
