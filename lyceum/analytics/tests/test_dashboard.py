"""The staff page of the analytics (P08): counts only, small ones suppressed, staff only."""

from __future__ import annotations

import re
from datetime import timedelta

from django.urls import reverse

from lyceum.analytics import services
from lyceum.analytics.models import CampaignCount, Device, PageViewCount, VisitorCount

URL = reverse("analytics:dashboard")


def _row(page: str, header: str) -> str:
    """The cells of the table row whose header cell contains ``header``."""
    rows = [row for row in re.findall(r"<tr>.*?</tr>", page) if header in row.split("</th>")[0]]
    assert len(rows) == 1, f"{len(rows)} rows for {header!r}"
    return rows[0]


def test_p08_the_staff_page_is_refused_to_everyone_but_staff(client, make_user):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response.url
    client.force_login(make_user())
    assert client.get(URL).status_code == 403
    client.force_login(make_user(is_staff=True))
    assert client.get(URL).status_code == 200


def test_p08_small_counts_are_shown_as_fewer_than_five(client, make_user):
    today = services.today()
    for path, views, visitors in (("/courses/", 12, 7), ("/rare-page/", 3, 2)):
        PageViewCount.objects.create(
            day=today,
            path=path,
            referrer_host="search.example",
            device=Device.MOBILE,
            language="en",
            views=views,
            visitors=visitors,
        )
    VisitorCount.objects.create(day=today, visitors=8)
    VisitorCount.objects.create(day=today - timedelta(days=1), visitors=3)
    CampaignCount.objects.create(day=today, campaign="spring-news", opens=40, clicks=2)
    client.force_login(make_user(is_staff=True))
    page = client.get(URL).content.decode()

    assert re.findall(r"<td>([^<]*)</td>", _row(page, "/courses/")) == ["12", "7"]
    assert re.findall(r"<td>([^<]*)</td>", _row(page, "/rare-page/")) == ["&lt;5", "&lt;5"]
    yesterday = (today - timedelta(days=1)).isoformat()
    assert re.findall(r"<td>([^<]*)</td>", _row(page, yesterday))[:2] == ["0", "&lt;5"]
    assert re.findall(r"<td>([^<]*)</td>", _row(page, today.isoformat()))[:2] == ["15", "8"]
    assert re.findall(r"<td>([^<]*)</td>", _row(page, "spring-news")) == ["40", "&lt;5"]
    # A table for every figure, with headers for assistive technology.
    assert page.count("<table") >= 6 and 'scope="col"' in page
    for breakdown in ("search.example", "Phone", "English"):
        assert re.findall(r"<td>([^<]*)</td>", _row(page, breakdown)) == ["15"]


def test_p08_the_period_can_be_chosen(client, make_user):
    old = services.today() - timedelta(days=60)
    PageViewCount.objects.create(
        day=old, path="/old-page/", device=Device.DESKTOP, language="en", views=9, visitors=9
    )
    client.force_login(make_user(is_staff=True))
    assert "/old-page/" not in client.get(URL).content.decode()
    assert "/old-page/" in client.get(URL, {"days": 90}).content.decode()
    assert client.get(URL, {"days": "nonsense"}).status_code == 200
