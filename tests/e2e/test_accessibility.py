"""The learning pages checked by axe-core (WCAG 2 A and AA rules) in Chromium, as an
instructor, a client administrator and an anonymous visitor, in English and French."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from lyceum.learning import services

from .conftest import sign_in, totp_code
from .test_learning import school  # noqa: F401 - the same small school

pytestmark = pytest.mark.e2e

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _violations(page: Page, url: str) -> list[str]:
    page.goto(url)
    results = Axe().run(page, options=WCAG)
    return [
        f"{url}: {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


def test_instructor_pages_pass_axe(page: Page, live_server: LiveServer, school, password):  # noqa: F811
    klass = school["klass"]
    (lesson,) = services.lesson_schedule(
        actor=school["instructor"],
        klass=klass,
        starts_at=timezone.now() - timedelta(days=1),
        duration=60,
        topic="Introductions",
    )
    services.attendance_record(
        actor=school["instructor"], lesson=lesson, marks={school["learner"].pk: "present"}
    )
    base = live_server.url
    sign_in(page, base, "ines@school.example", password)
    found = []
    for path in (
        "/timetable/",
        f"/classes/{klass.pk}/",
        f"/classes/{klass.pk}/lessons/new/",
        f"/classes/{klass.pk}/lessons/{lesson.pk}/",
        f"/classes/{klass.pk}/lessons/{lesson.pk}/attendance/",
        f"/classes/{klass.pk}/invitations/",
        f"/classes/{klass.pk}/report/",
        f"/classes/{klass.pk}/edit/",
    ):
        found += _violations(page, base + path)
    page.goto(f"{base}/timetable/")
    page.get_by_label("Language", exact=True).select_option("fr")
    page.get_by_role("button", name="Change").click()
    found += _violations(page, f"{base}/classes/{klass.pk}/")
    assert found == []


def test_client_administrator_pages_pass_axe(page: Page, live_server: LiveServer, school, password):  # noqa: F811
    base = live_server.url
    sign_in(page, base, "alice@acme.example", password)
    page.get_by_placeholder("Code").fill(totp_code(school["secret"])[0])
    page.get_by_role("button", name="Sign In").click()
    found = []
    for path in (
        "/organisations/",
        "/organisations/acme/members/",
        "/organisations/acme/contracts/",
        f"/organisations/acme/contracts/{school['contract'].pk}/seats/",
        "/organisations/acme/report/",
    ):
        found += _violations(page, base + path)
    assert found == []


def test_public_learning_pages_pass_axe(page: Page, live_server: LiveServer, school):  # noqa: F811
    base = live_server.url
    found = []
    for path in ("/courses/", f"/courses/{school['klass'].course.slug}/", "/join/"):
        found += _violations(page, base + path)
    assert found == []
