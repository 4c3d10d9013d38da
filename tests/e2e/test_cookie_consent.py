"""The cookie banner in Chromium: the cookie jar and the requests a page makes, before and
after a choice (P06); a browser that sends Global Privacy Control (P07)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect
from pytest_django.live_server_helper import LiveServer

from lyceum.privacy.consent import VISITOR_COOKIE, current
from lyceum.privacy.cookies import declared

from .conftest import screenshot, sign_in, watch_page_problems

pytestmark = pytest.mark.e2e

BANNER = "Your privacy on this site"


def _requests(page: Page) -> list[str]:
    seen: list[str] = []

    def on_request(request: Request) -> None:
        seen.append(request.url)

    page.on("request", on_request)
    return seen


def _analytics(urls: list[str]) -> list[str]:
    return [u for u in urls if urlsplit(u).path.startswith(("/analytics/", "/static/analytics/"))]


def _foreign(urls: list[str], base: str) -> list[str]:
    host = urlsplit(base).netloc
    return [
        u for u in urls if urlsplit(u).scheme in ("http", "https") and urlsplit(u).netloc != host
    ]


def _cookie_names(context: BrowserContext) -> set[str]:
    return {c["name"] for c in context.cookies()}


def _visitor(context: BrowserContext) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == VISITOR_COOKIE)


def test_p06_nothing_but_necessary_before_a_choice_and_refusing_is_one_key(
    new_context: Callable[..., BrowserContext], live_server: LiveServer
):
    context = new_context()
    page = context.new_page()
    problems = watch_page_problems(page)
    urls = _requests(page)
    page.goto(live_server.url + "/courses/")
    banner = page.get_by_role("region", name=BANNER)
    expect(banner).to_be_visible()
    screenshot(page, "cookie-banner")
    necessary = {c.name for c in declared() if c.category == "necessary"}
    assert _cookie_names(context) <= necessary
    assert _analytics(urls) == [] and _foreign(urls, live_server.url) == []

    # Keyboard only: after the skip link and the banner's link to the policy, the next stop
    # is refusing, before anything else on the page.
    for _ in range(3):
        page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Refuse all")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("region", name=BANNER)).to_have_count(0)
    expect(page).to_have_url(live_server.url + "/courses/")
    in_force = current(visitor_id=_visitor(context))
    assert {p: (r.given, r.method) for p, r in in_force.items()} == {
        "preferences": (False, "banner"),
        "analytics": (False, "banner"),
        "marketing": (False, "banner"),
    }
    page.goto(live_server.url + "/")
    assert _cookie_names(context) <= necessary
    assert _analytics(urls) == [] and _foreign(urls, live_server.url) == []
    assert problems == []


def test_p06_allowing_analytics_from_the_footer_lets_them_run_from_then_on(
    new_context: Callable[..., BrowserContext], live_server: LiveServer
):
    context = new_context()
    page = context.new_page()
    urls = _requests(page)
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Accept all").wait_for()
    assert _analytics(urls) == []
    page.get_by_role("contentinfo").get_by_role("link", name="Cookie settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cookie settings")
    page.get_by_label("Analytics: measuring how the site is used").check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.locator(".messages")).to_contain_text("Your cookie choices are saved")
    in_force = current(visitor_id=_visitor(context))
    assert in_force["analytics"].given and not in_force["marketing"].given
    assert in_force["analytics"].method == "form"
    page.goto(live_server.url + "/courses/")
    page.wait_for_load_state("networkidle")
    assert _analytics(urls), "the analytics script runs once allowed"
    assert _foreign(urls, live_server.url) == []  # first-party, whatever was allowed


def test_p07_a_browser_with_global_privacy_control(
    new_context: Callable[..., BrowserContext], live_server: LiveServer
):
    context = new_context(extra_http_headers={"Sec-GPC": "1"})
    context.add_init_script(
        "Object.defineProperty(navigator, 'globalPrivacyControl', {value: true})"
    )
    page = context.new_page()
    problems = watch_page_problems(page)
    urls = _requests(page)
    page.goto(live_server.url + "/courses/")
    page.goto(live_server.url + "/")
    banner = page.get_by_role("region", name=BANNER)
    expect(banner).to_contain_text("Global Privacy Control")
    refused = current(visitor_id=_visitor(context))
    assert {p: (r.given, r.method) for p, r in refused.items()} == {
        "analytics": (False, "browser_signal"),
        "marketing": (False, "browser_signal"),
    }
    # The preferences are still the person's to choose; analytics stay off.
    banner.get_by_text("Choose by category").click()
    page.get_by_label("Preferences: remembering your choices on this site").check()
    page.get_by_role("button", name="Save my choices").click()
    page.goto(live_server.url + "/courses/")
    page.wait_for_load_state("networkidle")
    assert _analytics(urls) == []
    assert current(visitor_id=_visitor(context))["preferences"].given
    assert problems == []


def test_p07_the_page_honours_the_signal_when_only_the_script_sees_it(
    new_context: Callable[..., BrowserContext], live_server: LiveServer
):
    context = new_context()
    context.add_init_script(
        "Object.defineProperty(navigator, 'globalPrivacyControl', {value: true})"
    )
    page = context.new_page()
    with page.expect_response(lambda r: r.url.endswith("/privacy/cookies/signal/")) as answer:
        page.goto(live_server.url + "/")
    assert answer.value.ok
    page.wait_for_load_state("networkidle")  # the page reloads once the refusal is recorded
    refused = current(visitor_id=_visitor(context))
    assert refused["analytics"].method == "browser_signal" and not refused["analytics"].given


def test_p06_a_video_from_another_site_loads_only_once_allowed(
    new_context: Callable[..., BrowserContext], live_server: LiveServer, make_user, password
):
    from lyceum.learning import services
    from lyceum.learning.models import Enrolment

    teacher = make_user(email="teacher@school.example", is_instructor=True)
    learner = make_user(email="learner@example.org")
    course = services.course_create(actor=None, title="Business English", level="B1")
    klass = services.class_create(
        actor=None, course=course, title="Tuesdays", instructors=[teacher], capacity=5
    )
    services.enrol(actor=None, klass=klass, user=learner, source=Enrolment.Source.STAFF)
    services.material_add(
        actor=teacher,
        course=course,
        title="Phrasal verbs, explained",
        url="https://youtu.be/dQw4w9WgXcQ",
    )
    context = new_context(silent_websockets=True)
    player_requests: list[str] = []

    def stand_in_player(route, request):  # no internet here: a stand-in answers
        player_requests.append(request.url)
        route.fulfill(status=200, content_type="text/html", body="<p>player</p>")

    context.route("https://www.youtube-nocookie.com/**", stand_in_player)
    page = context.new_page()
    urls = _requests(page)
    sign_in(page, live_server.url, "learner@example.org", password)
    page.goto(f"{live_server.url}/classes/{klass.pk}/")
    placeholder = page.get_by_role("group", name="Phrasal verbs, explained")
    expect(placeholder).to_contain_text("not loaded here until you allow content")
    page.wait_for_load_state("networkidle")
    assert player_requests == [] and _foreign(urls, live_server.url) == []
    placeholder.get_by_role("button", name="Allow content from other sites").click()
    expect(page.frame_locator("iframe").get_by_text("player")).to_be_visible()
    assert player_requests == ["https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"]
    in_force = current(user_id=learner.pk)
    assert in_force["marketing"].given and "analytics" not in in_force
