"""The cookie banner and the server's withholding of cookies (P06, P07)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from lyceum import privacy
from lyceum.privacy.consent import VISITOR_COOKIE, current
from lyceum.privacy.cookies import declared
from lyceum.privacy.models import ConsentRecord
from lyceum.privacy.register import Purpose

BANNER = 'id="cookie-banner"'


def _set_cookies(response):
    return {name for name, morsel in response.cookies.items() if morsel.value}


def test_p06_a_first_visit_shows_the_banner_and_sets_only_necessary_cookies(client, db):
    response = client.get(reverse("web:home"))
    page = response.content.decode()
    assert BANNER in page
    # Refusing is one button, of the same kind as accepting, and nothing is ticked.
    assert 'value="refuse"' in page and 'value="accept"' in page
    banner = page[page.index(BANNER) : page.index("</section>", page.index(BANNER))]
    assert " checked" not in banner.replace("checked disabled", "")
    necessary = {c.name for c in declared() if c.category == "necessary"}
    assert _set_cookies(response) <= necessary
    assert "analytics/snippet" not in page and "/static/analytics/" not in page


def test_p06_refusing_is_one_click_and_is_recorded_for_the_visitor(client, db):
    client.get(reverse("web:home"))
    response = client.post(
        reverse("notice:choices"),
        {"action": "refuse", "source": "banner", "next": "/courses/"},
        HTTP_USER_AGENT="Chromium test",
    )
    assert response.status_code == 302 and response["Location"] == "/courses/"
    visitor = response.cookies[VISITOR_COOKIE].value
    in_force = current(visitor_id=visitor)
    assert {p: r.given for p, r in in_force.items()} == {
        "preferences": False,
        "analytics": False,
        "marketing": False,
    }
    assert {r.method for r in in_force.values()} == {"banner"}
    assert {r.user_agent for r in in_force.values()} == {"Chromium test"}
    assert BANNER not in client.get("/courses/").content.decode()


def test_p06_choosing_by_category_records_each_choice(client, db):
    response = client.post(
        reverse("notice:choices"), {"action": "save", "source": "banner", "analytics": "on"}
    )
    visitor = response.cookies[VISITOR_COOKIE].value
    assert {p: r.given for p, r in current(visitor_id=visitor).items()} == {
        "preferences": False,
        "analytics": True,
        "marketing": False,
    }


def test_p06_choices_can_be_changed_from_the_footer_of_every_page(client, db):
    client.post(reverse("notice:choices"), {"action": "accept", "source": "banner"})
    page = client.get(reverse("web:home")).content.decode()
    assert reverse("notice:choices") in page
    settings_page = client.get(reverse("notice:choices")).content.decode()
    assert settings_page.count("checked") >= 3  # what was accepted shows as ticked
    client.post(reverse("notice:choices"), {"action": "save", "preferences": "on"})
    visitor = client.cookies[VISITOR_COOKIE].value
    in_force = current(visitor_id=visitor)
    assert in_force["analytics"].given is False and in_force["analytics"].method == "form"
    assert in_force["preferences"].given is True


def test_p06_the_language_is_remembered_for_a_year_only_with_preferences_allowed(client, db):
    response = client.post(reverse("web:language"), {"language": "fr", "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME]["max-age"] == ""  # until closed
    client.post(reverse("notice:choices"), {"action": "save", "preferences": "on"})
    response = client.post(reverse("web:language"), {"language": "uk", "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME]["max-age"] == 365 * 24 * 3600


def test_p06_the_server_withholds_a_cookie_of_a_category_not_allowed(rf, db):
    from django.http import HttpResponse

    from lyceum.privacy.consent import Choices
    from lyceum.privacy.cookies import Cookie, CookieConsentMiddleware, declare_cookie

    declare_cookie(Cookie("lyceum_test_analytics", "analytics", "test", "1 day"))

    def view(request):
        response = HttpResponse()
        response.set_cookie("lyceum_test_analytics", "1")
        response.set_cookie("undeclared_tracker", "1")
        response.set_cookie(settings.CSRF_COOKIE_NAME, "x")
        return response

    middleware = CookieConsentMiddleware(view)
    request = rf.get("/")
    request.consent = Choices()
    assert _set_cookies(middleware(request)) == {settings.CSRF_COOKIE_NAME}
    request.consent = Choices(analytics=True, chosen=True)
    assert _set_cookies(middleware(request)) == {settings.CSRF_COOKIE_NAME, "lyceum_test_analytics"}


def test_p07_with_a_privacy_signal_the_banner_says_so_and_analytics_stay_off(client, db):
    page = client.get(reverse("web:home"), HTTP_SEC_GPC="1").content.decode()
    assert "Global Privacy Control" in page
    client.get(reverse("learning:catalogue"), HTTP_SEC_GPC="1")
    visitor = client.cookies[VISITOR_COOKIE].value
    refused = current(visitor_id=visitor)
    assert refused["analytics"].method == ConsentRecord.Method.BROWSER_SIGNAL
    # "Accept all" does not outweigh the signal: only preferences are switched on.
    client.post(
        reverse("notice:choices"), {"action": "accept", "source": "banner"}, HTTP_SEC_GPC="1"
    )
    in_force = current(visitor_id=visitor)
    assert in_force["preferences"].given and not in_force["analytics"].given
    # Ticking analytics is the person's own yes: recorded, and it stands against the signal.
    client.post(
        reverse("notice:choices"),
        {"action": "save", "source": "banner", "preferences": "on", "analytics": "on"},
        HTTP_SEC_GPC="1",
    )
    client.get(reverse("web:home"), HTTP_SEC_GPC="1")
    assert current(visitor_id=visitor)["analytics"].given is True
    assert current(visitor_id=visitor)["marketing"].given is False


def test_p07_a_signal_seen_only_by_the_page_is_recorded(client, db):
    client.get(reverse("web:home"))
    response = client.post(reverse("notice:signal"))
    assert response.json() == {"recorded": 2}
    visitor = client.cookies[VISITOR_COOKIE].value
    assert current(visitor_id=visitor)["marketing"].method == "browser_signal"
    assert client.post(reverse("notice:signal")).json() == {"recorded": 0}


def test_p06_a_signed_in_person_answers_the_banner_for_their_account(client, make_user):
    user = make_user()
    client.force_login(user)
    assert BANNER in client.get(reverse("web:home")).content.decode()
    client.post(reverse("notice:choices"), {"action": "save", "marketing": "on"})
    assert privacy.allows(user, Purpose.MARKETING)
    assert not privacy.allows(user, Purpose.ANALYTICS)
    assert BANNER not in client.get(reverse("web:home")).content.decode()


def test_p06_the_banner_refuses_a_foreign_next_address(client, db):
    response = client.post(
        reverse("notice:choices"), {"action": "refuse", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("notice:choices")


def test_p06_refusals_made_before_signing_in_carry_over_and_a_yes_is_asked_again(
    client, make_user, password
):
    user = make_user(email="carry@example.org")
    client.post(
        reverse("notice:choices"), {"action": "save", "source": "banner", "analytics": "on"}
    )
    client.post(reverse("account_login"), {"login": "carry@example.org", "password": password})
    in_force = current(user_id=user.pk)
    # Whoever said yes on this browser may not be the person signing in: only the refusals
    # become the account's, and the banner asks the account for the rest.
    assert {p: (r.given, r.method) for p, r in in_force.items()} == {
        "preferences": (False, "carried_over"),
        "marketing": (False, "carried_over"),
    }
    assert not privacy.allows(user, Purpose.ANALYTICS)
    assert BANNER in client.get(reverse("web:home")).content.decode()
