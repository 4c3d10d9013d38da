"""Security keys and passkeys (WebAuthn) in a real browser: Chromium's virtual
authenticator answers allauth's WebAuthn requests, as a laptop's or phone's would."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from .conftest import (
    VirtualAuthenticator,
    add_virtual_authenticator,
    screenshot,
    sign_in,
    watch_page_problems,
)

pytestmark = pytest.mark.e2e


def _base_url(live_server: LiveServer) -> str:
    """WebAuthn needs a secure context whose host can be the relying party ID (allauth
    takes it from the request's host): http://localhost is one, an IP address is not."""
    base = live_server.url
    assert urlsplit(base).hostname == "localhost", base
    return base


def _add_key(page: Page, base: str, password: str, *, name: str, passwordless: bool) -> None:
    """Add a key from the page allauth offers, as its owner would; the browser's
    authenticator creates the credential."""
    heading = page.get_by_role("heading", level=1)
    page.goto(f"{base}/accounts/2fa/webauthn/add/")
    # Adding a second factor needs the password again, even right after signing in.
    expect(heading).to_have_text("Confirm Access")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Confirm").click()
    expect(heading).to_have_text("Add Security Key")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Passwordless").set_checked(passwordless)
    screenshot(page, f"webauthn-add-{'passkey' if passwordless else 'key'}")
    page.get_by_role("button", name="Add", exact=True).click()
    # The first second factor comes with recovery codes, shown at once.
    expect(heading).to_have_text("Recovery Codes")


def _key_row(page: Page, base: str, name: str) -> Any:
    page.goto(f"{base}/accounts/2fa/webauthn/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Security Keys")
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_have_count(1)
    return row


def _expect_signed_out(page: Page) -> None:
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()


def _only_credential(authenticator: VirtualAuthenticator) -> dict[str, Any]:
    credentials = authenticator.credentials()
    assert len(credentials) == 1, credentials
    credential = credentials[0]
    assert credential["rpId"] == "localhost", credential
    return credential


def _stored_key(user: Any, credential: dict[str, Any]) -> Authenticator:
    """The person's one WebAuthn authenticator row, checked to hold the browser's credential."""
    key = Authenticator.objects.get(user=user, type=Authenticator.Type.WEBAUTHN)
    stored_id = key.wrap().authenticator_data.credential_data.credential_id
    assert stored_id == base64.b64decode(credential["credentialId"])
    return key


def _b64(text: str) -> bytes:
    """Chromium's credentials are base64 without padding."""
    return base64.b64decode(text + "=" * (-len(text) % 4))


def test_p11_security_key_is_a_second_factor(
    page: Page, live_server: LiveServer, make_user: Callable[..., Any], password: str
) -> None:
    base = _base_url(live_server)
    heading = page.get_by_role("heading", level=1)
    problems = watch_page_problems(page)
    authenticator = add_virtual_authenticator(page)
    user = make_user(name="Olena Koval")

    sign_in(page, base, user.email, password)
    expect(page).to_have_url(f"{base}/account/profile/")
    expect(page.get_by_role("region", name="Security")).to_contain_text(
        "Two-factor authentication: off"
    )

    _add_key(page, base, password, name="Olena's laptop", passwordless=False)

    # Listed, not as a passkey, not used yet.
    row = _key_row(page, base, "Olena's laptop")
    expect(row).not_to_contain_text("Passkey")
    expect(row).to_contain_text("Not used.")
    screenshot(page, "webauthn-list")
    # The browser holds the credential, not discoverable; the server keeps its public half.
    credential = _only_credential(authenticator)
    assert credential["isResidentCredential"] is False
    key = _stored_key(user, credential)
    assert key.wrap().name == "Olena's laptop"
    # Chromium answers credProps without "rk" for a credential created with residentKey
    # "discouraged" (so allauth lists the key as "Unspecified"); never "passwordless".
    assert key.wrap().is_passwordless is not True
    assert key.last_used_at is None

    # Signing in again: after the password, allauth asks for the second factor.
    page.get_by_role("button", name="Sign out").click()
    _expect_signed_out(page)
    sign_in(page, base, user.email, password)
    expect(page).to_have_url(f"{base}/accounts/2fa/authenticate/")
    expect(heading).to_have_text("Two-Factor Authentication")
    screenshot(page, "webauthn-authenticate")
    page.get_by_role("button", name="Use a security key").click()

    # The key answered: signed in.
    expect(page).to_have_url(f"{base}/account/profile/")
    expect(heading).to_have_text("My account")
    expect(page.get_by_role("region", name="Security")).to_contain_text(
        "Two-factor authentication: on"
    )
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert _only_credential(authenticator)["signCount"] > credential["signCount"]

    # Nothing was refused by the Content-Security-Policy or failed in the scripts.
    assert problems == []


def test_p11_passkey_signs_in_without_a_password(
    page: Page, live_server: LiveServer, make_user: Callable[..., Any], password: str
) -> None:
    base = _base_url(live_server)
    heading = page.get_by_role("heading", level=1)
    problems = watch_page_problems(page)
    authenticator = add_virtual_authenticator(page)
    user = make_user(name="Taras Melnyk")

    sign_in(page, base, user.email, password)
    expect(page).to_have_url(f"{base}/account/profile/")
    _add_key(page, base, password, name="Taras's phone", passwordless=True)
    expect(_key_row(page, base, "Taras's phone")).to_contain_text("Passkey")

    # A passkey lives on the authenticator (resident) and names the person it is for.
    credential = _only_credential(authenticator)
    assert credential["isResidentCredential"] is True
    # allauth names the person by their id in base 36 ("a" for 10).
    assert _b64(credential["userHandle"]).decode() == user_pk_to_url_str(user)
    key = _stored_key(user, credential)
    assert key.wrap().is_passwordless is True

    page.get_by_role("button", name="Sign out").click()
    _expect_signed_out(page)
    page.goto(f"{base}/accounts/login/")
    expect(heading).to_have_text("Sign In")
    screenshot(page, "webauthn-login")
    # No email, no password: the passkey alone.
    expect(page.get_by_label("Email")).to_have_value("")
    expect(page.get_by_label("Password")).to_have_value("")
    page.get_by_role("button", name="Sign in with a passkey").click()

    # Signed in at once: a passkey is already two factors, so no code is asked.
    expect(page).to_have_url(f"{base}/account/profile/")
    expect(heading).to_have_text("My account")
    expect(page.get_by_label("Full name")).to_have_value("Taras Melnyk")
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert _only_credential(authenticator)["signCount"] > credential["signCount"]

    assert problems == []
