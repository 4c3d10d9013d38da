"""What a person meets in a real browser: sign-up, confirmation, two-factor sign-in,
language, live notifications, keyboard and small screens."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, CDPSession, Page, expect
from pytest_django.live_server_helper import LiveServer

from lyceum.accounts.models import User

from .conftest import DEMO_LEARNER, DEMO_PASSWORD, MailFolder, screenshot, sign_in, totp_code

pytestmark = pytest.mark.e2e

NAME = "Maria Ivanenko"
EMAIL = "maria@example.org"
PASSWORD = "a long pass phrase for maria"


def _fill_signup(page: Page, *, name: str = NAME, email: str = EMAIL) -> None:
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Date of birth").fill("1994-03-08")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)


def test_p04_p11_signup_confirm_totp_and_french(
    page: Page, live_server: LiveServer, mail_folder: MailFolder
) -> None:
    base = live_server.url

    # Home page, then the header's "Create an account".
    page.goto(base)
    expect(page).to_have_title(re.compile("Welcome"))
    screenshot(page, "home")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Create an account"
    ).click()
    expect(page).to_have_url(f"{base}/accounts/signup/")
    screenshot(page, "signup")

    # P04: the only things asked are name, email and password, and the date of birth the
    # law makes us ask (P31), saying why.
    form = page.locator('main form[action="/accounts/signup/"]')
    visible_fields = form.locator("input:visible, select:visible, textarea:visible")
    names = [visible_fields.nth(i).get_attribute("name") for i in range(visible_fields.count())]
    assert names == ["name", "date_of_birth", "email", "password1"]
    expect(form).to_contain_text("Why we ask: children under 13")

    _fill_signup(page)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Your Email Address")

    # Mandatory verification: no way in before the address is confirmed.
    sign_in(page, base, EMAIL, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Your Email Address")

    # The confirmation link from the message, then its Confirm button.
    link = mail_folder.newest_link()
    assert link.startswith(base), link
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Email Address")
    expect(page.get_by_role("main")).to_contain_text(EMAIL)
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".messages")).to_contain_text(f"You have confirmed {EMAIL}")

    # Signed in, the profile page; two-factor authentication is off.
    sign_in(page, base, EMAIL, PASSWORD)
    expect(page).to_have_url(f"{base}/account/profile/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My account")
    expect(page.get_by_label("Full name")).to_have_value(NAME)
    security = page.get_by_role("region", name="Security")
    expect(security).to_contain_text("Two-factor authentication: off")
    screenshot(page, "profile")

    # Turn on an authenticator app (TOTP) from the profile's link.
    security.get_by_role("link", name="Two-factor authentication").click()
    expect(page).to_have_url(f"{base}/accounts/2fa/")
    expect(page.get_by_role("main")).to_contain_text("An authenticator app is not active.")
    screenshot(page, "2fa")
    page.get_by_role("link", name="Activate").click()
    # allauth asks for the password again before a second factor is added, even right
    # after signing in (only an explicit re-authentication counts).
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Access")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activate Authenticator App")
    expect(page.get_by_role("img", name=re.compile(r"^[A-Z2-7]{32}$"))).to_be_visible()
    secret = page.get_by_label("Authenticator secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    screenshot(page, "2fa-activate")

    # A wrong code is refused, the right one accepted.
    code, _ = totp_code(secret)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    page.get_by_label("Authenticator code").fill(wrong)
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("main")).to_contain_text("Incorrect code.")
    code, _ = totp_code(secret)
    page.get_by_label("Authenticator code").fill(code)
    page.get_by_role("button", name="Activate").click()

    # Recovery codes are shown at once.
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery Codes")
    recovery = page.get_by_label("Unused codes").input_value().split()
    assert len(recovery) == 10
    assert all(re.fullmatch(r"[0-9a-f]{8}", c) for c in recovery), recovery
    screenshot(page, "2fa-recovery-codes")

    # Sign out from the header.
    page.get_by_role("button", name="Sign out").click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()

    # Signing in again asks for a code after the password.
    sign_in(page, base, EMAIL, PASSWORD)
    expect(page).to_have_url(f"{base}/accounts/2fa/authenticate/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    code_box = page.get_by_placeholder("Code")
    code_box.fill(wrong)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("main")).to_contain_text("Incorrect code.")
    # The code the app shows now. allauth marks a code used at sign-in, not at activation,
    # so this is accepted even in the period the app was activated in.
    code, _ = totp_code(secret)
    code_box.fill(code)
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(f"{base}/account/profile/")
    expect(page.get_by_role("region", name="Security")).to_contain_text(
        "Two-factor authentication: on"
    )

    # The header's language switcher: the page comes back in French.
    header = page.get_by_role("banner")
    header.get_by_label("Language").select_option("fr")
    header.get_by_role("button", name="Change").click()
    expect(page).to_have_url(f"{base}/account/profile/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("banner").get_by_role("combobox")).to_have_value("fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    screenshot(page, "profile-fr")
    page.locator('main a[href="/accounts/2fa/"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Authentification à deux facteurs")
    expect(page.get_by_role("main")).to_contain_text("Application d'authentification")
    screenshot(page, "2fa-fr")
    # The choice is kept with the account, not only in this browser.
    assert User.objects.get(email=EMAIL).language == "fr"


def test_p13_honeypot_turns_bots_away_quietly(
    page: Page, live_server: LiveServer, mail_folder: MailFolder
) -> None:
    page.goto(f"{live_server.url}/accounts/signup/")
    honeypot = page.locator('input[name="website"]')
    expect(honeypot).to_have_count(1)
    expect(honeypot).to_be_hidden()
    expect(honeypot).to_have_attribute("aria-hidden", "true")

    # Tab through the whole page: every field a person fills is reached, the honeypot never.
    reached: list[str] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return e === document.body ? '' : (e.name || e.textContent.trim()); }"
        )
        if focused == "Sign Up":
            break
        reached.append(focused)
    else:
        pytest.fail(f"Tab never reached the Sign Up button: {reached}")
    assert "website" not in reached
    # A date field takes one Tab per part (day, month, year): each field counts once.
    fields = {"name", "date_of_birth", "email", "password1"}
    assert list(dict.fromkeys(n for n in reached if n in fields)) == [
        "name",
        "date_of_birth",
        "email",
        "password1",
    ]

    # A bot fills every input in the markup, hidden or not.
    _fill_signup(page, name="Spam Bot", email="bot@example.org")
    honeypot.evaluate("input => { input.value = 'https://spam.example'; }")
    page.get_by_role("button", name="Sign Up").click()
    # It is told what a person is told...
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Your Email Address")
    # ...but no account exists and no message was sent.
    assert not User.objects.filter(email="bot@example.org").exists()
    assert mail_folder.messages() == []


def _watch_websocket_handshakes(context: BrowserContext, page: Page) -> list[int]:
    """Statuses of the websocket handshakes this page completes (Chromium's DevTools)."""
    statuses: list[int] = []
    cdp: CDPSession = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.on(
        "Network.webSocketHandshakeResponseReceived",
        lambda event: statuses.append(int(event["response"]["status"])),
    )
    return statuses


def test_live_notification_when_the_account_signs_in_elsewhere(
    new_context: Callable[..., BrowserContext], lyceum_asgi: str
) -> None:
    # Browser A: signed in, its page listening on /ws/notifications/.
    context_a = new_context()
    page_a = context_a.new_page()
    handshakes = _watch_websocket_handshakes(context_a, page_a)
    sign_in(page_a, lyceum_asgi, DEMO_LEARNER, DEMO_PASSWORD)
    expect(page_a.get_by_role("heading", level=1)).to_have_text("My account")
    expect(page_a.locator("#live-notifications .toast")).to_have_count(0)
    for _ in range(100):
        if 101 in handshakes:
            break
        page_a.wait_for_timeout(100)
    assert 101 in handshakes, f"the notifications socket did not open: {handshakes}"

    # Browser B: the same account signs in.
    page_b = new_context().new_page()
    sign_in(page_b, lyceum_asgi, DEMO_LEARNER, DEMO_PASSWORD)
    expect(page_b.get_by_role("heading", level=1)).to_have_text("My account")

    # A is told at once, in its live region.
    toast = page_a.locator("#live-notifications .toast")
    expect(toast).to_have_count(1)
    expect(toast).to_have_text(
        "Someone just signed in to your account. If it was not you, change your password."
    )
    expect(toast).to_be_visible()
    region = page_a.locator("#live-notifications")
    expect(region).to_have_attribute("role", "status")
    expect(region).to_have_attribute("aria-live", "polite")
    screenshot(page_a, "live-notification")


def test_keyboard_and_mobile(
    new_context: Callable[..., BrowserContext], live_server: LiveServer
) -> None:
    page = new_context().new_page()
    page.goto(live_server.url)

    # The first Tab stop is the skip link, shown when focused; it moves focus to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab continues inside the content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.getElementById('main').contains(document.activeElement)")

    # A 375 px wide phone: no sideways scrolling, the navigation still there.
    phone = new_context(
        viewport={"width": 375, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    ).new_page()
    for path, shot in (("/", "mobile-home"), ("/accounts/signup/", "mobile-signup")):
        phone.goto(live_server.url + path)
        width = phone.evaluate("() => document.scrollingElement.scrollWidth")
        assert width <= 375, f"{path} scrolls sideways: {width}px wide"
        nav = phone.get_by_role("navigation", name="Main")
        expect(nav).to_be_visible()
        expect(nav.get_by_role("link", name="Sign in")).to_be_in_viewport()
        expect(nav.get_by_role("link", name="Create an account")).to_be_in_viewport()
        # The end of the content keeps clear of the footer.
        gap = phone.evaluate(
            "() => document.querySelector('footer').getBoundingClientRect().top"
            " - document.getElementById('main').lastElementChild.getBoundingClientRect().bottom"
        )
        assert gap >= 16, f"{path}: the content touches the footer ({gap}px apart)"
        screenshot(phone, shot)
