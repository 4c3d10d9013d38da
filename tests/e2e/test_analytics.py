"""Analytics in a real browser (P06, P08): the page-view beacon leaves only with consent."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page, Request, expect
from pytest_django.live_server_helper import LiveServer

from lyceum.analytics import services
from lyceum.analytics.models import (
    DailySalt,
    Device,
    PageViewCount,
    VisitorCount,
    VisitorMark,
)
from lyceum.privacy.consent import VISITOR_COOKIE, consent_record
from lyceum.privacy.models import ConsentRecord

from .conftest import screenshot, sign_in, watch_page_problems

pytestmark = pytest.mark.e2e


def _browser_of_visitor(
    new_context: Callable[..., BrowserContext], live_server: LiveServer, visitor_id: str
) -> BrowserContext:
    context = new_context(silent_websockets=True)
    context.add_cookies([{"name": VISITOR_COOKIE, "value": visitor_id, "url": live_server.url}])
    return context


def test_p08_a_consenting_visitors_page_view_is_sent_and_counted(
    new_context: Callable[..., BrowserContext], live_server: LiveServer
):
    visitor_id = secrets.token_hex(16)
    consent_record(
        choices={"analytics": True}, method=ConsentRecord.Method.BANNER, visitor_id=visitor_id
    )
    page = _browser_of_visitor(new_context, live_server, visitor_id).new_page()
    problems = watch_page_problems(page)
    with page.expect_response(lambda r: "/analytics/pageview/" in r.url) as beacon:
        page.goto(f"{live_server.url}/courses/?search=my+private+words#top")
    response = beacon.value
    assert response.status == 204
    assert "set-cookie" not in response.headers  # analytics set no cookie
    sent = json.loads(response.request.post_data or "{}")
    assert sent == {"path": "/courses/", "referrer": "", "device": "desktop", "language": "en"}
    row = PageViewCount.objects.get()
    assert (row.path, row.views, row.visitors, row.device) == ("/courses/", 1, 1, "desktop")
    assert VisitorCount.objects.get().visitors == 1
    assert problems == []  # the script ran under the Content-Security-Policy, no error


def test_p08_without_consent_no_request_goes_to_analytics(
    new_context: Callable[..., BrowserContext], live_server: LiveServer
):
    refused = secrets.token_hex(16)
    consent_record(
        choices={"analytics": False}, method=ConsentRecord.Method.BANNER, visitor_id=refused
    )
    for context in (
        new_context(silent_websockets=True),  # a visitor who was never asked
        _browser_of_visitor(new_context, live_server, refused),  # a visitor who said no
    ):
        page = context.new_page()
        requests: list[str] = []

        def seen(request: Request, requests: list[str] = requests) -> None:
            requests.append(request.url)

        page.on("request", seen)
        for path in ("/", "/courses/"):
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
        assert requests, "the pages were loaded"
        assert not [url for url in requests if "/analytics/" in url]
    for model in (PageViewCount, VisitorCount, DailySalt, VisitorMark):
        assert not model.objects.exists()


def test_p08_staff_read_the_counts_in_tables_with_small_counts_hidden(
    page: Page, live_server: LiveServer, make_user, password
):
    today = services.today()
    for path, views in (("/courses/", 42), ("/courses/french-b1/", 3)):
        PageViewCount.objects.create(
            day=today, path=path, device=Device.MOBILE, language="fr", views=views, visitors=views
        )
    VisitorCount.objects.create(day=today, visitors=45)
    make_user(email="staff@school.example", is_staff=True)
    sign_in(page, live_server.url, "staff@school.example", password)
    page.goto(f"{live_server.url}/analytics/")
    top = page.get_by_role("table").filter(has_text="/courses/french-b1/")
    # Accessible names of the rows: page, page views, visitors.
    expect(top.get_by_role("row", name="/courses/ 42 42", exact=True)).to_be_visible()
    expect(top.get_by_role("row", name="/courses/french-b1/ <5 <5", exact=True)).to_be_visible()
    expect(page.get_by_text("3", exact=True)).to_have_count(0)
    screenshot(page, "analytics-staff")
    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}}
    )
    assert [v["id"] for v in results.response["violations"]] == []
