"""Analytics without identity (P08): page views are counted only with consent, only as
counts, and nothing stored can be tied back to a person."""

from __future__ import annotations

import hashlib
import threading
from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse

from lyceum.analytics import services, tasks, views
from lyceum.analytics.models import (
    CampaignCount,
    DailySalt,
    Device,
    PageViewCount,
    VisitorCount,
    VisitorMark,
)
from lyceum.privacy.consent import VISITOR_COOKIE, consent_record
from lyceum.privacy.models import ConsentRecord, ProcessingLimit
from lyceum.privacy.retention import sweep
from lyceum.privacy.services import processing_limit_set

from .conftest import IP, PAGE_VIEW, USER_AGENT

ANALYTICS_MODELS = (PageViewCount, VisitorCount, DailySalt, VisitorMark, CampaignCount)


def _nothing_stored() -> bool:
    return not any(model.objects.exists() for model in ANALYTICS_MODELS)


def test_p08_a_page_view_is_counted_with_consent(consenting_client, send):
    response = send(consenting_client)
    assert response.status_code == 204
    row = PageViewCount.objects.get()
    assert (row.path, row.referrer_host, row.device, row.language) == (
        "/courses/",
        "news.example.org",
        "mobile",
        "fr",
    )
    assert (row.views, row.visitors) == (1, 1)
    assert VisitorCount.objects.get(day=services.today()).visitors == 1


def test_p08_nothing_is_stored_without_consent(client, db, send, visitor_id, make_user):
    assert send(client).status_code == 204  # no visitor id at all
    client.cookies[VISITOR_COOKIE] = visitor_id
    assert send(client).status_code == 204  # a visitor who never answered
    consent_record(
        choices={"analytics": False}, method=ConsentRecord.Method.BANNER, visitor_id=visitor_id
    )
    assert send(client).status_code == 204  # a visitor who said no
    client.force_login(make_user())
    assert send(client).status_code == 204  # a person who never said yes
    assert _nothing_stored()


@pytest.mark.parametrize("signal", [{"HTTP_SEC_GPC": "1"}, {"HTTP_DNT": "1"}])
def test_p08_nothing_is_stored_when_the_browser_asks_not_to_be_tracked(
    consenting_client, send, signal
):
    assert send(consenting_client, **signal).status_code == 204
    assert _nothing_stored()


@pytest.mark.parametrize(
    ("kind", "purpose"),
    [(ProcessingLimit.Kind.OBJECTION, "analytics"), (ProcessingLimit.Kind.RESTRICTION, "")],
)
def test_p08_an_objection_or_restriction_stops_counting_at_once(
    client, make_user, send, kind, purpose
):
    user = make_user()
    consent_record(choices={"analytics": True}, method=ConsentRecord.Method.FORM, user=user)
    client.force_login(user)
    send(client)
    assert PageViewCount.objects.get().views == 1
    processing_limit_set(user=user, actor=user, kind=kind, on=True, purpose=purpose)
    send(client)
    assert PageViewCount.objects.get().views == 1


def test_p08_no_stored_row_holds_anything_that_identifies(client, make_user, send):
    user = make_user(email="ada.lovelace@example.org", name="Ada Lovelace")
    consent_record(choices={"analytics": True}, method=ConsentRecord.Method.FORM, user=user)
    client.force_login(user)
    send(client, {**PAGE_VIEW, "path": f"/classes/{user.pk}/"})
    send(client, {**PAGE_VIEW, "path": "/account/welcome/zq9x/abc-5f2e9c0d7a/"})
    email_tracked_campaign = "spring-news"
    services.campaign_open_record(campaign=email_tracked_campaign)

    session_key = client.session.session_key
    # Strings no hexadecimal digest or salt could contain by chance.
    identifying = {
        IP,
        USER_AGENT,
        "ExampleBrowser",
        user.email,
        "lovelace",
        session_key,
        "zq9x",
        "abc-5f2e9c0d7a",
        hashlib.sha256(IP.encode()).hexdigest(),
        hashlib.sha256(f"{IP}{USER_AGENT}".encode()).hexdigest(),
    }
    for model in ANALYTICS_MODELS:
        columns = {f.name for f in model._meta.concrete_fields}
        # No column could hold a person: no account, address, browser, session or time.
        assert not any(f.is_relation for f in model._meta.concrete_fields), (
            f"{model.__name__} links to another table"
        )
        assert not columns & {"user", "user_id", "ip", "user_agent", "session", "created_at"}
        for row in model.objects.values():
            for column, value in row.items():
                text = str(value).lower()
                for secret in identifying:
                    assert secret.lower() not in text, f"{model.__name__}.{column}: {value!r}"
    paths = set(PageViewCount.objects.values_list("path", flat=True))
    assert paths == {"/classes/<pk>/", "/account/welcome/<uidb36>/<token>/"}
    # The visitor hashes hold only a digest and its day, and go with the day.
    assert {f.name for f in VisitorMark._meta.concrete_fields} == {"digest", "day"}
    services.visitor_marks_forget(before=services.today() + timedelta(days=1))
    assert not VisitorMark.objects.exists() and not DailySalt.objects.exists()
    assert PageViewCount.objects.count() == 2  # the counts stay


def test_p08_no_cookie_is_set_by_analytics(consenting_client, client, send, db):
    for response in (send(consenting_client), send(client), send(client, HTTP_SEC_GPC="1")):
        assert not response.cookies
        assert "Set-Cookie" not in response.headers


def _view(day: date, *, path: str = "/", user_agent: str = USER_AGENT) -> None:
    services.pageview_record(
        path=path,
        referrer_host="",
        device=Device.DESKTOP,
        language="en",
        ip=IP,
        user_agent=user_agent,
        day=day,
    )


def test_p08_a_visitor_is_counted_once_a_day_by_a_salt_that_changes_daily(db):
    day, next_day = date(2026, 3, 1), date(2026, 3, 2)
    _view(day)
    _view(day)
    _view(day, path="/courses/")
    _view(day, user_agent="OtherBrowser/1")
    assert VisitorCount.objects.get(day=day).visitors == 2
    home = PageViewCount.objects.get(day=day, path="/")
    assert (home.views, home.visitors) == (3, 2)
    first_salt = DailySalt.objects.get(day=day).salt
    marks_of_day = set(VisitorMark.objects.values_list("digest", flat=True))

    _view(next_day)
    # The new day's first view discarded the old salt and hashes: no hash can be redone.
    assert list(DailySalt.objects.values_list("day", flat=True)) == [next_day]
    assert DailySalt.objects.get().salt != first_salt
    assert set(VisitorMark.objects.values_list("day", flat=True)) == {next_day}
    assert not marks_of_day & set(VisitorMark.objects.values_list("digest", flat=True))
    assert VisitorCount.objects.get(day=next_day).visitors == 1
    assert VisitorCount.objects.get(day=day).visitors == 2


def test_p08_the_periodic_job_and_the_retention_sweep_discard_past_hashes(db):
    _view(services.today() - timedelta(days=1))
    assert tasks.forget_past_visitors.call_local() == 3  # the salt and two marks
    assert not DailySalt.objects.exists() and not VisitorMark.objects.exists()

    VisitorMark.objects.create(digest="a" * 64, day=services.today() - timedelta(days=2))
    VisitorMark.objects.create(digest="b" * 64, day=services.today())
    run = sweep()
    assert {"entry": "analytics.VisitorMark", "action": "deleted", "count": 1} in run.results
    assert list(VisitorMark.objects.values_list("digest", flat=True)) == ["b" * 64]


@pytest.mark.parametrize(
    ("path", "recorded"),
    [
        ("/courses/french-b1/", "/courses/french-b1/"),  # a slug is a course's public name
        ("/classes/12/lessons/7/", "/classes/<pk>/lessons/<lesson_pk>/"),
        ("/account/welcome/1b/abc-5f2e9c0d7a/", "/account/welcome/<uidb36>/<token>/"),
        ("/join/K7Q-PX2/", "/join/<token>/"),
        (
            "/accounts/password/reset/key/1b-set-password/",
            "/accounts/password/reset/key/<uidb36>-<key>/",
        ),
        ("/accounts/confirm-email/MQ:1uX9:abc/", "/accounts/confirm-email/<key>/"),
        ("/no/such/page/", ""),
        ("/", "/"),
    ],
)
def test_p08_ids_and_codes_in_addresses_are_never_recorded(consenting_client, send, path, recorded):
    assert send(consenting_client, {**PAGE_VIEW, "path": path}).status_code == 204
    assert PageViewCount.objects.get().path == recorded


def test_p08_only_the_referring_sites_name_is_kept_and_the_site_itself_is_no_referral(
    consenting_client, send
):
    send(consenting_client, {**PAGE_VIEW, "referrer": "WWW.Search.Example"})
    send(consenting_client, {**PAGE_VIEW, "referrer": "testserver"})
    assert set(PageViewCount.objects.values_list("referrer_host", flat=True)) == {
        "search.example",
        "",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"path": "/", "device": "mobile", "language": "en", "user": 5}', "Unexpected fields"),
        (b'{"path": "/", "language": "en"}', "Missing fields: device"),
        (b'{"path": "courses", "device": "mobile", "language": "en"}', "must start with /"),
        (b'{"path": "/?email=a@b.c", "device": "mobile", "language": "en"}', "no query string"),
        (b'{"path": 7, "device": "mobile", "language": "en"}', "must start with /"),
        (
            b'{"path": "/", "referrer": "https://a.example/x?q=1", "device": "mobile", '
            b'"language": "en"}',
            "host name",
        ),
        (b'{"path": "/", "device": "fridge", "language": "en"}', "mobile, tablet, desktop"),
        (b'{"path": "/", "device": "mobile", "language": "xx"}', "en, fr, uk"),
        (b'{"path": "/' + b"a" * 3000 + b'", "device": "mobile", "language": "en"}', "too large"),
    ],
)
def test_p08_garbage_is_refused_with_a_clear_json_error(consenting_client, send, body, message):
    response = send(consenting_client, raw=body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert _nothing_stored()


def test_p08_a_beacon_that_is_not_json_by_type_is_refused(consenting_client, send):
    response = send(consenting_client, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json() == {"error": "Send the page view as JSON."}
    assert consenting_client.get(reverse("analytics:pageview")).status_code == 405


def test_p08_other_sites_cannot_send_page_views(consenting_client, send):
    assert send(consenting_client, HTTP_ORIGIN="https://evil.example").status_code == 403
    assert send(consenting_client, HTTP_SEC_FETCH_SITE="cross-site").status_code == 403
    assert _nothing_stored()
    same_site = send(
        consenting_client, HTTP_ORIGIN="http://testserver", HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert same_site.status_code == 204


def test_p08_page_views_are_rate_limited_per_address(consenting_client, send, monkeypatch):
    monkeypatch.setattr(views, "PAGEVIEWS_PER_MINUTE", 3)
    codes = [send(consenting_client).status_code for _ in range(4)]
    assert codes == [204, 204, 204, 429]
    assert "Too many" in send(consenting_client).json()["error"]
    assert send(consenting_client, REMOTE_ADDR="198.51.100.9").status_code == 204
    assert PageViewCount.objects.get().views == 4


def test_p08_the_script_is_on_pages_only_with_consent(client, consenting_client, db):
    page = consenting_client.get("/").content.decode()
    assert 'src="/static/analytics/pageview.js"' in page
    assert 'data-endpoint="/analytics/pageview/"' in page
    client.cookies.clear()
    assert "analytics/pageview.js" not in client.get("/").content.decode()
    signalled = consenting_client.get("/", HTTP_SEC_GPC="1").content.decode()
    assert "analytics/pageview.js" not in signalled


@pytest.mark.django_db(transaction=True)
def test_p08_concurrent_page_views_are_all_counted():
    def record(n: int) -> None:
        try:
            for _ in range(5):
                services.pageview_record(
                    path="/",
                    referrer_host="",
                    device=Device.MOBILE,
                    language="en",
                    ip=f"198.51.100.{n}",
                    user_agent=USER_AGENT,
                )
        finally:
            connection.close()

    threads = [threading.Thread(target=record, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    row = PageViewCount.objects.get()
    assert (row.views, row.visitors) == (30, 6)
    assert VisitorCount.objects.get().visitors == 6
    assert DailySalt.objects.count() == 1
