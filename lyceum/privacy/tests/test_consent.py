"""The consent ledger (P06) and browser privacy signals (P07)."""

from __future__ import annotations

from django.urls import reverse

from lyceum import privacy
from lyceum.privacy.consent import VISITOR_COOKIE, consent_record, current
from lyceum.privacy.models import AuditEvent, ConsentRecord
from lyceum.privacy.register import Purpose


def test_p06_nothing_that_needs_consent_is_allowed_without_it(make_user):
    user = make_user()
    for purpose in (Purpose.PREFERENCES, Purpose.ANALYTICS, Purpose.MARKETING):
        assert not privacy.allows(user, purpose)
    assert privacy.allows(user, Purpose.SERVICE)
    consent_record(choices={"marketing": True}, method=ConsentRecord.Method.FORM, user=user)
    assert privacy.allows(user, Purpose.MARKETING)
    assert not privacy.allows(user, Purpose.ANALYTICS)


def test_p06_a_person_changes_their_consents_and_sees_every_choice(client, make_user, settings):
    settings.LYCEUM_PRIVACY_NOTICE_VERSION = "2027-01"
    user = make_user()
    client.force_login(user)
    page = client.get(reverse("privacy:consents")).content.decode()
    assert "checked" not in page  # nothing ticked before the person ticks it
    client.post(reverse("privacy:consents"), {"analytics": "on"}, HTTP_USER_AGENT="Firefox")
    assert privacy.allows(user, Purpose.ANALYTICS)
    client.post(reverse("privacy:consents"), {})
    assert not privacy.allows(user, Purpose.ANALYTICS)
    rows = list(ConsentRecord.objects.filter(user=user).order_by("pk"))
    # The first save records every purpose; the second only what changed.
    assert [(r.purpose, r.given) for r in rows] == [
        ("preferences", False),
        ("analytics", True),
        ("marketing", False),
        ("analytics", False),
    ]
    assert {r.notice_version for r in rows} == {"2027-01"}
    assert rows[1].method == "form" and rows[1].user_agent == "Firefox"
    history = client.get(reverse("privacy:consents")).content.decode()
    assert history.count("Your consent settings") == 4
    assert AuditEvent.objects.filter(action="privacy.consent.recorded", subject_id=user.pk)


def test_p07_a_browser_signal_refuses_and_a_later_explicit_yes_stands(client, make_user):
    user = make_user()
    client.force_login(user)
    client.get(reverse("privacy:data"), HTTP_SEC_GPC="1")
    refused = current(user_id=user.pk)
    assert {p: (r.given, r.method) for p, r in refused.items()} == {
        "analytics": (False, "browser_signal"),
        "marketing": (False, "browser_signal"),
    }
    page = client.get(reverse("privacy:consents"), HTTP_SEC_GPC="1").content.decode()
    assert "Global Privacy Control" in page
    client.post(reverse("privacy:consents"), {"analytics": "on"}, HTTP_SEC_GPC="1")
    assert privacy.allows(user, Purpose.ANALYTICS)
    client.get(reverse("privacy:data"), HTTP_SEC_GPC="1")
    assert privacy.allows(user, Purpose.ANALYTICS)  # asked after the signal: it stands
    assert not privacy.allows(user, Purpose.MARKETING)


def test_p07_a_signal_outweighs_a_yes_given_before_it(client, make_user):
    user = make_user()
    consent_record(choices={"analytics": True}, method=ConsentRecord.Method.FORM, user=user)
    client.force_login(user)
    client.get(reverse("privacy:data"), HTTP_DNT="1")
    assert not privacy.allows(user, Purpose.ANALYTICS)


def test_p07_a_visitors_signal_is_recorded_under_a_random_id_once(client, db):
    response = client.get("/", HTTP_SEC_GPC="1")
    visitor = response.cookies[VISITOR_COOKIE]
    assert len(visitor.value) == 32 and visitor["httponly"]
    # Nothing is written until the browser shows it keeps the cookie: no record is a no.
    assert not ConsentRecord.objects.exists()
    assert "Global Privacy Control" in response.content.decode()
    response = client.get("/courses/", HTTP_SEC_GPC="1")
    rows = ConsentRecord.objects.filter(visitor_id=visitor.value)
    assert {(r.purpose, r.given, r.method) for r in rows} == {
        ("analytics", False, "browser_signal"),
        ("marketing", False, "browser_signal"),
    }
    assert VISITOR_COOKIE not in response.cookies  # known already
    client.get("/", HTTP_SEC_GPC="1")
    assert ConsentRecord.objects.count() == 2


def test_p07_clients_that_drop_cookies_write_nothing_however_often_they_come(client, db):
    for _ in range(20):
        client.cookies.clear()
        client.get("/", HTTP_SEC_GPC="1")
    assert not ConsentRecord.objects.exists()


def test_p07_no_signal_sets_no_cookie_and_records_nothing(client, db):
    response = client.get("/")
    assert VISITOR_COOKIE not in response.cookies
    assert not ConsentRecord.objects.exists()


def test_p07_the_site_publishes_that_it_honours_gpc(client, db):
    response = client.get("/.well-known/gpc.json")
    assert response.json()["gpc"] is True
