"""Browser tests: Debian's Chromium driven by Playwright against a running Lyceum.

Most tests use pytest-django's ``live_server`` (WSGI, in a thread of this process, so
settings overrides and the ORM apply to it). Websockets need ASGI: ``lyceum_asgi``
starts ``lyceum serve`` in a subprocess with its own scratch SQLite database.
"""

from __future__ import annotations

import email
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import (
    Browser,
    BrowserContext,
    CDPSession,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    sync_playwright,
)
from pytest_django.fixtures import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path("/tmp/lyceum-shots")
TOTP_PERIOD = 30  # allauth's default MFA_TOTP_PERIOD
TIMEOUT_MS = 15_000

DEMO_LEARNER = "learner@lyceum.example"
DEMO_PASSWORD = "lyceum-demo-2026"  # printed by `lyceum demo`, refused in production


# Browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail("Browser tests need Chromium: apt-get install chromium (or `make browser`)")
    # Playwright's sync API keeps an asyncio loop running on the test thread, so Django
    # would refuse every ORM call a test makes (fixtures, assertions, database flushes) as
    # "called from an async context". Set only while the browser tests' driver is alive.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as p:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield p


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Fresh, isolated browser profiles (own cookies and storage), closed after the test."""
    contexts: list[BrowserContext] = []

    def make(*, silent_websockets: bool = False, **options: object) -> BrowserContext:
        options.setdefault("locale", "en-GB")
        context = browser.new_context(**options)  # type: ignore[arg-type]
        context.set_default_timeout(TIMEOUT_MS)
        if silent_websockets:
            # A stand-in that accepts and never speaks, for servers without websockets.
            context.route_web_socket(re.compile(r"/ws/"), lambda ws: None)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    """A page for ``live_server``, which is WSGI: signed-in pages' live-notification
    socket gets a silent stand-in instead of retrying against a 404 all test long."""
    return new_context(silent_websockets=True).new_page()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot for people to look at; not an assertion."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    """Fill in and send the sign-in page's email and password."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In", exact=True).click()


def watch_page_problems(page: Page) -> list[str]:
    """Console errors (a Content-Security-Policy refusal is one) and uncaught exceptions
    the page reports from now on; an empty list means the page ran cleanly."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    def on_page_error(error: Error) -> None:
        problems.append(f"exception: {error.message}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    return problems


# Passkeys and security keys --------------------------------------------------------------


@dataclass
class VirtualAuthenticator:
    """A platform authenticator (like a phone's or laptop's) that Chromium simulates for
    one page through DevTools: it holds discoverable credentials, verifies the person
    (as a PIN or fingerprint would) and consents by itself, with no dialog."""

    cdp: CDPSession
    authenticator_id: str

    def credentials(self) -> list[dict[str, Any]]:
        """The credentials it holds (``WebAuthn.Credential``: rpId, isResidentCredential,
        signCount, userHandle...)."""
        result = self.cdp.send(
            "WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id}
        )
        return list(result["credentials"])


def add_virtual_authenticator(page: Page) -> VirtualAuthenticator:
    """Give ``page`` a virtual authenticator that answers its WebAuthn requests.

    WebAuthn runs only in a secure context whose host matches the relying party ID, which
    allauth takes from the request's host: http://localhost qualifies (``live_server``'s
    default), a bare IP address does not.
    """
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    result = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return VirtualAuthenticator(cdp, str(result["authenticatorId"]))


# Two-factor codes ------------------------------------------------------------------------


def totp_code(secret: str, *, after: int | None = None, min_left: float = 4.0) -> tuple[str, int]:
    """The code an authenticator app shows now, and its period number.

    Waits for the next period when fewer than ``min_left`` seconds remain (so the code
    does not expire between typing and the server checking it), or while the period
    is not later than ``after`` (for a code that must differ from one already used).
    """
    while True:
        now = time.time()
        counter = int(now) // TOTP_PERIOD
        left = TOTP_PERIOD - now % TOTP_PERIOD
        if left >= min_left and (after is None or counter > after):
            return format_hotp_value(hotp_value(secret, counter)), counter
        time.sleep(left + 0.1)


# Mail ------------------------------------------------------------------------------------


@dataclass
class MailFolder:
    """The folder ``FolderBackend`` writes one ``.eml`` per message into."""

    path: Path

    def messages(self) -> list[Path]:
        return sorted(self.path.glob("*.eml"))

    def newest(self, timeout: float = 10.0) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while not (files := self.messages()):
            if time.monotonic() > deadline:
                raise AssertionError(f"No message was written to {self.path}")
            time.sleep(0.1)
        message = email.message_from_bytes(files[-1].read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message

    def newest_link(self, pattern: str = r"/accounts/confirm-email/[^/\s]+/") -> str:
        """The first link in the newest message whose path matches ``pattern``."""
        message = self.newest()
        body = message.get_body(preferencelist=("plain", "html"))
        assert body is not None, "the message has no text part"
        text = body.get_content()
        match = re.search(rf"https?://[^\s\"'<>]*?{pattern}", text)
        assert match, f"no link matching {pattern!r} in:\n{text}"
        return match.group(0)


@pytest.fixture
def mail_folder(settings: Settings, tmp_path: Path) -> MailFolder:
    """Mail goes the production way (queued job, then FolderBackend) into a scratch folder.

    pytest-django swaps EMAIL_BACKEND for locmem; this puts the real path back.
    """
    folder = tmp_path / "mail"
    settings.EMAIL_BACKEND = "lyceum.core.mail.QueuedBackend"
    settings.LYCEUM_DELIVERY_BACKEND = "lyceum.core.mail.FolderBackend"
    settings.LYCEUM_MAIL_DIR = folder
    return MailFolder(folder)


# A real ASGI server (websockets) ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _lyceum_env(var_dir: Path) -> dict[str, str]:
    # Nothing of this test process's configuration leaks into the server.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LYCEUM_", "DJANGO_"))
        and k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SECRET_KEY"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "LYCEUM_ENV": "development",
            "LYCEUM_VAR_DIR": str(var_dir),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
    )
    return env


@pytest.fixture(scope="module")
def lyceum_asgi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``lyceum serve`` (uvicorn, Channels) on a free port, with the demo school loaded.

    Its own SQLite file under a scratch var/ folder; yields the base URL.
    """
    var_dir = tmp_path_factory.mktemp("lyceum-asgi")
    env = _lyceum_env(var_dir)
    lyceum = [sys.executable, "-m", "lyceum.cli"]
    port = _free_port()
    log_path = var_dir / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [*lyceum, "serve", "--no-jobs", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        # serve migrates the fresh database before it listens.
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                raise AssertionError(f"lyceum serve exited:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{base_url}/health/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"lyceum serve did not answer:\n{log_path.read_text()}")
            time.sleep(0.2)
        demo = subprocess.run(
            [*lyceum, "demo"], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert demo.returncode == 0, demo.stdout + demo.stderr
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
