from __future__ import annotations

import pytest
from django.urls import reverse

from lyceum.privacy.models import AuditEvent

PUBLIC_PAGES = ["/", "/privacy/", "/cookies/", "/contact/", "/accounts/login/", "/accounts/signup/"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_render_with_footer_links_and_language_switcher(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    for link in ('href="/privacy/"', 'href="/cookies/"', 'href="/contact/"'):
        assert link in page
    assert 'name="language"' in page
    assert 'class="skip-link"' in page


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "What the school offers"),
        ("fr", "Ce que propose l’école"),
        ("uk", "Що пропонує школа"),
    ],
)
def test_home_page_speaks_english_french_and_ukrainian(client, db, language, expected):
    client.cookies["lyceum_language"] = language
    page = client.get("/").content.decode()
    assert f'<html lang="{language}">' in page
    assert expected in page


def test_language_switcher_sets_cookie_and_returns_to_the_page(client, db):
    response = client.post(reverse("web:language"), {"language": "uk", "next": "/contact/"})
    assert response.status_code == 302
    assert response.url == "/contact/"
    assert response.cookies["lyceum_language"].value == "uk"


def test_language_switcher_never_redirects_off_site(client, db):
    response = client.post(
        reverse("web:language"), {"language": "fr", "next": "https://evil.example/"}
    )
    assert response.url == "/"


def test_language_switch_is_saved_to_a_signed_in_profile(client, make_user):
    user = make_user()
    client.force_login(user)
    client.post(reverse("web:language"), {"language": "fr", "next": "/"})
    user.refresh_from_db()
    assert user.language == "fr"
    assert AuditEvent.objects.get(action="profile.updated").changed_fields == ["language"]
    # The preference follows the person to another browser.
    other = client.__class__()
    other.force_login(user)
    assert '<html lang="fr">' in other.get("/").content.decode()


def test_pages_carry_security_headers(client, db):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_p06_no_cookie_is_set_for_an_anonymous_visitor_reading_the_home_page(client, db):
    response = client.get("/")
    # Necessary cookies only, and only when needed: the CSRF cookie for the forms on the page.
    assert set(response.cookies) <= {"csrftoken"}


def test_unknown_page_is_a_friendly_404(client, db, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
