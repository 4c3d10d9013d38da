"""P12: sign-in with Google and Microsoft (OpenID Connect) takes name and email only.

No mocked HTTP: Lyceum runs on ``live_server`` and talks to a real OpenID Connect
provider (django-oauth-toolkit, ``tests/oidc_provider``) running in its own process.
A person's "browser" is an httpx client with a cookie jar; Lyceum exchanges the code,
fetches the signing keys and the userinfo from the provider server to server.

The provider hands out more than Lyceum asks for (picture, locale, birthdate, phone
number, ...); Lyceum must keep only who the person is, their name and their email.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.db import connection
from django.urls import reverse
from django.utils import timezone

import config.settings as lyceum_settings
from lyceum.accounts.models import ChildConsent, User, UserSession
from lyceum.privacy.export import personal_data_of

from .conftest import OIDCProvider

# The live server needs committed data; serialized_rollback restores the rows data
# migrations made (the audit chain head) after each test flushes the database.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

KEPT_CLAIMS = {"sub", "email", "email_verified", "name"}
# What the provider offers on top, and Lyceum must not keep.
EXTRA_CLAIMS = {"picture", "locale", "birthdate", "gender", "phone_number", "given_name"}
ADULT_BORN = date(1990, 5, 17)
SSO_SIGNUP_PATH = "/accounts/3rdparty/signup/"
# Lyceum's apps as config/settings.py builds them (the server URLs are overridden below).
DEFAULT_SERVERS = {
    "google": ("Google", "https://accounts.google.com"),
    "microsoft": ("Microsoft", "https://login.microsoftonline.com/common/v2.0"),
}


@pytest.fixture
def provider(
    oidc_provider: OIDCProvider, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> OIDCProvider:
    """Configure Lyceum as an operator would, through its environment variables, with
    both apps' server URL pointing at the local provider."""
    for provider_id, (client_id, secret) in oidc_provider.clients.items():
        prefix = f"LYCEUM_{provider_id.upper()}"
        monkeypatch.setenv(f"{prefix}_CLIENT_ID", client_id)
        monkeypatch.setenv(f"{prefix}_CLIENT_SECRET", secret)
        monkeypatch.setenv(f"{prefix}_SERVER_URL", oidc_provider.issuer)
    apps = [
        lyceum_settings._oidc_app(provider_id, name, default_server)
        for provider_id, (name, default_server) in DEFAULT_SERVERS.items()
    ]
    settings.SOCIALACCOUNT_PROVIDERS = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "openid_connect": {**settings.SOCIALACCOUNT_PROVIDERS["openid_connect"], "APPS": apps},
    }
    # The sign-up form that asks a newcomer's date of birth (P31), as config/settings.py
    # sets it.
    settings.SOCIALACCOUNT_FORMS = {"signup": "lyceum.accounts.forms.SocialSignupForm"}
    settings.SOCIALACCOUNT_AUTO_SIGNUP = False
    return oidc_provider


class _Forms(HTMLParser):
    """The POST forms of a page: action and the values of their named inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._current: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._current = {}
            self.forms.append((a.get("action", ""), self._current))
        elif tag in {"input", "button"} and self._current is not None and a.get("name"):
            self._current.setdefault(a["name"], a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def _submit(browser: httpx.Client, page: httpx.Response, **data: str) -> httpx.Response:
    """Fill in and send the page's own form (the POST form that posts back to the page),
    as a browser would: hidden inputs such as the CSRF token included."""
    parser = _Forms()
    parser.feed(page.text)
    for action, inputs in parser.forms:
        target = httpx.URL(urljoin(str(page.url), action or str(page.url)))
        if target.host == page.url.host and target.path == page.url.path:
            return browser.post(target, data={**inputs, **data})
    raise AssertionError(f"no form posting back to {page.url}:\n{page.text}")


def _follow(browser: httpx.Client, response: httpx.Response, hops: list[str]) -> httpx.Response:
    while response.is_redirect:
        url = urljoin(str(response.url), response.headers["location"])
        hops.append(url)
        response = browser.get(url)
    return response


def _through_provider(
    browser: httpx.Client,
    provider_id: str,
    op: OIDCProvider,
    lyceum_url: str,
    hops: list[str],
    process: str = "login",
) -> httpx.Response:
    """The person starts signing in with the provider (or connecting it to their account)
    and signs in there; the Lyceum page they are sent back to."""
    start = f"{lyceum_url}/accounts/oidc/{provider_id}/login/?process={process}"
    page = browser.get(start)
    assert page.status_code == 200
    # allauth asks for a confirmation (a POST) before leaving for the provider.
    page = _follow(browser, _submit(browser, page), hops)

    authorize = urlsplit(hops[0])
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == f"{op.issuer}/authorize/"
    query = parse_qs(authorize.query)
    assert query["client_id"] == [op.clients[provider_id][0]]
    assert query["response_type"] == ["code"]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [f"{lyceum_url}/accounts/oidc/{provider_id}/login/callback/"]

    # At the provider: its own sign-in page.
    assert page.url.path == "/accounts/login/"
    assert page.url.host == "127.0.0.1"
    page = _submit(browser, page, username=op.person.email, password=op.person.password)
    page = _follow(browser, page, hops)

    callback = next(h for h in hops if "/login/callback/" in h)
    assert callback.startswith(f"{lyceum_url}/accounts/oidc/{provider_id}/login/callback/?")
    assert "code" in parse_qs(urlsplit(callback).query)
    return page


def _is_signup_form(page: httpx.Response) -> bool:
    return page.url.path == SSO_SIGNUP_PATH


def sign_in_with(
    provider_id: str, op: OIDCProvider, lyceum_url: str, *, born: date | None = None
) -> httpx.Response:
    """The person signs in with the provider from a fresh browser; the page they end on.

    ``born``: a newcomer, who is asked their date of birth and gives it; without it, someone
    whose account exists, who must not be asked anything."""
    hops: list[str] = []
    with httpx.Client(follow_redirects=False, trust_env=False, timeout=30) as browser:
        page = _through_provider(browser, provider_id, op, lyceum_url, hops)
        if born is None:
            assert not _is_signup_form(page), "an existing account was asked to sign up"
        else:
            assert _is_signup_form(page), page.text
            page = _submit(browser, page, date_of_birth=born.isoformat())
            page = _follow(browser, page, hops)

        # Signed in: a page only signed-in people can see, then again on its own.
        assert page.status_code == 200, page.text
        assert str(page.url) == f"{lyceum_url}/account/profile/"
        again = browser.get(f"{lyceum_url}/account/profile/")
        assert again.status_code == 200
        assert op.person.email in again.text
    return page


def _assert_kept_name_and_email_only(account: SocialAccount, op: OIDCProvider) -> None:
    assert set(account.extra_data) <= KEPT_CLAIMS, account.extra_data
    assert account.extra_data["email"] == op.person.email
    assert account.extra_data["name"] == op.person.name
    assert account.extra_data["sub"] == account.uid
    # Nothing else, at any depth (allauth itself nests claims under "userinfo"/"id_token").
    stored = json.dumps(account.extra_data)
    for offered in ("alice.png", "fr-FR", "1990-05-04", "+33 6", "female", "at_hash"):
        assert offered not in stored


@pytest.mark.parametrize("provider_id", ["google", "microsoft"])
def test_p12_sign_in_takes_name_and_email_only(
    provider_id: str, provider: OIDCProvider, live_server: Any
) -> None:
    page = sign_in_with(provider_id, provider, live_server.url, born=ADULT_BORN)
    assert provider.person.email in page.text

    # The provider did offer more than name and email...
    client_id = provider.clients[provider_id][0]
    released = provider.released_claims(client_id)
    assert released, "the provider released no claims to Lyceum"
    assert set(released[-1]) >= EXTRA_CLAIMS

    # ...and Lyceum made an account from the name and email alone.
    user = User.objects.get(email=provider.person.email)
    assert user.name == provider.person.name
    assert user.display_name == ""
    assert user.pronouns == ""
    assert user.language == "en"  # not the provider's locale (fr-FR)
    assert user.time_zone == "UTC"
    assert not user.has_usable_password()
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == (provider.person.email, True, True)

    account = SocialAccount.objects.get(user=user)
    assert account.provider == provider_id
    _assert_kept_name_and_email_only(account, provider)


@pytest.mark.parametrize("provider_id", ["google", "microsoft"])
def test_p12_returning_person_signs_in_to_the_same_account(
    provider_id: str, provider: OIDCProvider, live_server: Any
) -> None:
    sign_in_with(provider_id, provider, live_server.url, born=ADULT_BORN)
    user = User.objects.get(email=provider.person.email)
    # The person edits their name in Lyceum; signing in again must not undo it.
    User.objects.filter(pk=user.pk).update(name="Alice L.")

    page = sign_in_with(provider_id, provider, live_server.url)

    assert "Alice L." in page.text
    assert User.objects.count() == 1
    assert User.objects.get().name == "Alice L."
    assert SocialAccount.objects.count() == 1
    assert EmailAddress.objects.count() == 1
    # Signing in again stores the fresh claims: still name and email only.
    _assert_kept_name_and_email_only(SocialAccount.objects.get(), provider)


@pytest.mark.parametrize("provider_id", ["google", "microsoft"])
def test_p12_sign_in_joins_the_account_that_already_has_that_email(
    provider_id: str, provider: OIDCProvider, live_server: Any, make_user: Any, password: str
) -> None:
    existing = make_user(email=provider.person.email, name="Alice from the sign-up form")

    page = sign_in_with(provider_id, provider, live_server.url)

    assert provider.person.email in page.text
    assert User.objects.count() == 1
    user = User.objects.get()
    assert user.pk == existing.pk
    assert user.name == "Alice from the sign-up form"  # the provider's name fills new accounts only
    assert user.check_password(password)  # a verified address: the password still works
    account = SocialAccount.objects.get(user=user)
    assert account.provider == provider_id
    _assert_kept_name_and_email_only(account, provider)


# Signing up asks the age (P31) ----------------------------------------------------------

PARENT_EMAIL = "parent.liddell@example.org"


def _years_ago(years: int) -> date:
    today = date.today()
    return today.replace(year=today.year - years, day=min(today.day, 28))


def _form_fields(page: httpx.Response) -> dict[str, str]:
    """The inputs of the page's own form, as a browser would send them."""
    parser = _Forms()
    parser.feed(page.text)
    for action, inputs in parser.forms:
        if urlsplit(urljoin(str(page.url), action or str(page.url))).path == page.url.path:
            return inputs
    raise AssertionError(f"no form posting back to {page.url}")


def _signed_in(browser: httpx.Client, lyceum_url: str) -> bool:
    return browser.get(f"{lyceum_url}/account/profile/").status_code == 200


@pytest.mark.parametrize("provider_id", ["google", "microsoft"])
def test_p31_a_new_sso_user_is_asked_the_date_of_birth_before_the_account_exists(
    provider_id: str, provider: OIDCProvider, live_server: Any
) -> None:
    hops: list[str] = []
    with httpx.Client(follow_redirects=False, trust_env=False, timeout=30) as browser:
        page = _through_provider(browser, provider_id, provider, live_server.url, hops)

        # Back from the provider: a form, not an account.
        assert _is_signup_form(page), page.url
        assert page.status_code == 200
        assert not User.objects.exists()
        assert not SocialAccount.objects.exists()
        assert not _signed_in(browser, live_server.url)

        # The date of birth, as on the sign-up form: the same field, the same "why we ask".
        assert 'type="date" name="date_of_birth"' in page.text
        assert 'autocomplete="bday" required' in page.text
        assert "Why we ask: children under 13 need a parent&#x27;s consent" in page.text
        # Nothing else to type (P04): the name comes filled in, the provider's address is
        # shown and taken as it is, and there is no password.
        assert set(_form_fields(page)) == {"csrfmiddlewaretoken", "name", "date_of_birth"}
        assert 'value="Alice Liddell"' in page.text
        assert f"gives us your email address: {provider.person.email}" in page.text
        assert 'type="password"' not in page.text
        # Each field has its label, and the why-we-ask is read with the date field.
        assert '<label for="id_date_of_birth">Date of birth</label>' in page.text
        assert 'aria-describedby="id_date_of_birth_helptext"' in page.text

        # The same checks as the sign-up form: a date is needed, and a possible one.
        missing = _submit(browser, page, date_of_birth="")
        assert missing.status_code == 200
        assert "This field is required." in missing.text
        future = (date.today() + timedelta(days=3)).isoformat()
        refused = _submit(browser, page, date_of_birth=future)
        assert refused.status_code == 200
        assert "A date of birth cannot be in the future." in refused.text
        assert 'aria-invalid="true"' in refused.text
        assert not User.objects.exists()
        assert not _signed_in(browser, live_server.url)


@pytest.mark.parametrize("provider_id", ["google", "microsoft"])
def test_p31_an_adult_gives_the_date_of_birth_and_is_signed_in(
    provider_id: str, provider: OIDCProvider, live_server: Any, mailoutbox: Any
) -> None:
    hops: list[str] = []
    with httpx.Client(follow_redirects=False, trust_env=False, timeout=30) as browser:
        page = _through_provider(browser, provider_id, provider, live_server.url, hops)
        # A browser that also sends another address changes nothing: the provider's stands.
        sent = _submit(
            browser, page, date_of_birth=ADULT_BORN.isoformat(), email="mallory@example.org"
        )
        page = _follow(browser, sent, hops)
        assert str(page.url) == f"{live_server.url}/account/profile/", page.text
        assert _signed_in(browser, live_server.url)

    user = User.objects.get()
    assert (user.email, user.name) == (provider.person.email, provider.person.name)
    assert user.date_of_birth == ADULT_BORN
    with connection.cursor() as cursor:  # stored encrypted, as from the sign-up form
        cursor.execute("SELECT date_of_birth FROM accounts_user WHERE id = %s", [user.pk])
        (stored,) = cursor.fetchone()
    assert stored.startswith("fernet:") and "1990" not in stored
    assert not ChildConsent.objects.exists()
    assert not user.has_usable_password()
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == (provider.person.email, True, True)
    assert SocialAccount.objects.get(user=user).provider == provider_id
    assert mailoutbox == []  # the provider vouched for the address: nothing to confirm


@pytest.mark.parametrize("provider_id", ["google", "microsoft"])
def test_p31_a_child_signing_up_with_sso_is_held_like_a_form_sign_up(
    provider_id: str, provider: OIDCProvider, live_server: Any, mailoutbox: Any
) -> None:
    born = _years_ago(10)
    waiting = f"{live_server.url}{reverse('accounts:child_waiting')}"
    hops: list[str] = []
    with httpx.Client(follow_redirects=False, trust_env=False, timeout=30) as browser:
        page = _through_provider(browser, provider_id, provider, live_server.url, hops)
        page = _follow(browser, _submit(browser, page, date_of_birth=born.isoformat()), hops)

        # The waiting page, and no session to the site.
        assert str(page.url) == waiting
        assert "Waiting for your parent's consent" in page.text
        assert not _signed_in(browser, live_server.url)
        user = User.objects.get()
        assert user.date_of_birth == born
        assert not UserSession.objects.filter(user=user).exists()
        consent = ChildConsent.objects.get(user=user)
        assert consent.status == ChildConsent.Status.PENDING
        assert timedelta(days=6, hours=23) < consent.deadline - timezone.now() <= timedelta(days=7)

        # The child gives a parent's address from there, as after the sign-up form.
        page = _follow(browser, _submit(browser, page, email=PARENT_EMAIL), hops)
        assert str(page.url) == waiting
        assert "We have emailed your parent" in page.text
        assert not _signed_in(browser, live_server.url)
    assert [m.to for m in mailoutbox] == [[PARENT_EMAIL]]  # nothing to the child
    assert ChildConsent.objects.get(user=user).parent_email == PARENT_EMAIL
    # Kept meanwhile: what the form sign-up keeps, with the link to the provider's account
    # (its id, name and address) in place of a password.
    held = {s.key for s in personal_data_of(user.pk) if s.rows}
    assert held <= {
        "accounts.user",
        "account.emailaddress",
        "accounts.childconsent",
        "privacy.auditevent",
        "privacy.consentrecord",
        "socialaccount.socialaccount",
    }, held

    # Signing in with the provider again: the waiting page, neither the form nor the account.
    hops = []
    with httpx.Client(follow_redirects=False, trust_env=False, timeout=30) as browser:
        page = _through_provider(browser, provider_id, provider, live_server.url, hops)
        assert str(page.url) == waiting
        assert not _signed_in(browser, live_server.url)
    assert User.objects.count() == 1


@pytest.mark.parametrize("provider_id", ["google", "microsoft"])
def test_p31_an_existing_account_signing_in_with_sso_is_not_asked_again(
    provider_id: str, provider: OIDCProvider, live_server: Any, make_user: Any
) -> None:
    existing = make_user(email=provider.person.email, date_of_birth=ADULT_BORN)

    sign_in_with(provider_id, provider, live_server.url)  # fails if asked to sign up
    sign_in_with(provider_id, provider, live_server.url)  # and again, now by its provider id

    assert User.objects.get().pk == existing.pk
    assert SocialAccount.objects.get().user_id == existing.pk


def test_p31_an_account_connecting_sso_is_not_asked(
    provider: OIDCProvider, live_server: Any, make_user: Any, password: str
) -> None:
    """A signed-in person connects Google to their account: nothing is asked, even with
    an address that is not the provider's."""
    user = make_user(email="alice.other@example.org")
    hops: list[str] = []
    with httpx.Client(follow_redirects=False, trust_env=False, timeout=30) as browser:
        page = browser.get(f"{live_server.url}/accounts/login/")
        _follow(browser, _submit(browser, page, login=user.email, password=password), [])
        assert _signed_in(browser, live_server.url)
        page = _through_provider(
            browser, "google", provider, live_server.url, hops, process="connect"
        )
        # The site asks for the password again before connecting, and nothing else.
        assert page.url.path == "/accounts/reauthenticate/", page.url
        page = _follow(browser, _submit(browser, page, password=password), hops)
        assert not any(SSO_SIGNUP_PATH in hop for hop in hops)
        assert page.url.path == "/accounts/3rdparty/", page.url
        assert _signed_in(browser, live_server.url)
    assert SocialAccount.objects.get().user_id == user.pk
    assert User.objects.count() == 1


def test_p31_without_the_form_that_asks_the_age_sso_sign_up_is_closed(
    provider: OIDCProvider, live_server: Any, settings: Any, make_user: Any
) -> None:
    """config/settings.py without SOCIALACCOUNT_FORMS: newcomers cannot sign up through a
    provider at all (rather than unasked), and existing accounts still sign in."""
    del settings.SOCIALACCOUNT_FORMS
    settings.SOCIALACCOUNT_AUTO_SIGNUP = True
    hops: list[str] = []
    with httpx.Client(follow_redirects=False, trust_env=False, timeout=30) as browser:
        page = _through_provider(browser, "google", provider, live_server.url, hops)
        assert not _is_signup_form(page)
        assert "Sign Up Closed" in page.text
        assert not _signed_in(browser, live_server.url)
    assert not User.objects.exists()

    make_user(email=provider.person.email)
    sign_in_with("google", provider, live_server.url)


def test_p04_p31_the_sites_own_sso_sign_up_page(
    provider: OIDCProvider, live_server: Any, settings: Any, tmp_path: Any
) -> None:
    """socialaccount/lyceum_signup.html, once it stands in for allauth's page (a template
    named socialaccount/signup.html in an app before allauth, here a template folder): the
    site's layout, one heading, every field labelled, and the same sign-up."""
    wiring = tmp_path / "socialaccount" / "signup.html"
    wiring.parent.mkdir()
    wiring.write_text('{% extends "socialaccount/lyceum_signup.html" %}\n')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    hops: list[str] = []
    with httpx.Client(follow_redirects=False, trust_env=False, timeout=30) as browser:
        page = _through_provider(browser, "google", provider, live_server.url, hops)
        assert _is_signup_form(page)
        assert "<title>Finish creating your account – " in page.text
        assert page.text.count("<h1>") == 1
        assert "You are creating an account at" in page.text
        assert "with your Google account." in page.text
        assert 'class="skip-link"' in page.text  # the site's layout
        assert set(_form_fields(page)) == {"csrfmiddlewaretoken", "name", "date_of_birth"}
        for field in ("name", "date_of_birth"):
            assert f'<label for="id_{field}">' in page.text
        assert "Why we ask: children under 13" in page.text
        page = _follow(browser, _submit(browser, page, date_of_birth=ADULT_BORN.isoformat()), hops)
        assert str(page.url) == f"{live_server.url}/account/profile/"
    assert User.objects.get().date_of_birth == ADULT_BORN
