"""Scale-out: two web processes and a separate job worker on one PostgreSQL and one Redis.

What runs on one process must be seen by the others: a job queued by a web process is
run by the worker, and a live notification sent by one web process reaches a page whose
websocket is held by the other.
"""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest
from allauth.account.models import EmailAddress
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from lyceum.accounts.models import User

from .conftest import Cluster, SmtpServer, Web, backends_available

pytestmark = [
    pytest.mark.scale,
    pytest.mark.skipif(
        not backends_available(),
        reason="scale-out test needs DATABASE_URL=postgres://... and REDIS_URL",
    ),
]

HTTP_TIMEOUT = 15.0
MAIL_TIMEOUT = 30.0
NOTIFY_TIMEOUT = 10.0


def _browser(web: Web) -> httpx.Client:
    # One client per web process: cookies ignore ports, so two sites on 127.0.0.1 would
    # otherwise share a session.
    return httpx.Client(base_url=web.base_url, timeout=HTTP_TIMEOUT, trust_env=False)


def _csrf_token(page: httpx.Response) -> str:
    assert page.status_code == 200, (page.status_code, page.text[:2000])
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, page.text[:2000]
    return found.group(1)


def _post_form(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    token = _csrf_token(client.get(path))
    return client.post(path, data={"csrfmiddlewaretoken": token, **data})


def _sign_in(client: httpx.Client, email: str, password: str) -> str:
    response = _post_form(client, "/accounts/login/", {"login": email, "password": password})
    assert response.status_code == 302, (response.status_code, response.text[:2000])
    assert response.headers["location"] == "/account/profile/"
    session = client.cookies.get("sessionid")
    assert session, "signing in set no session cookie"
    return session


def test_a_job_queued_by_one_web_process_is_run_by_the_separate_worker(
    cluster: Cluster, smtp_server: SmtpServer
) -> None:
    web_a, web_b = cluster.start_webs("web-a", "web-b")
    email = "ada@example.org"
    passphrase = "a long scale-out pass phrase"

    # Sign up on B: the confirmation email is queued in Redis, and no worker runs yet.
    with _browser(web_b) as browser:
        response = _post_form(
            browser,
            "/accounts/signup/",
            {
                "name": "Ada Lovelace",
                "email": email,
                "password1": passphrase,
                "date_of_birth": "1990-12-10",
            },
        )
    assert response.status_code == 302, (response.status_code, response.text[:2000])
    assert response.headers["location"] == "/accounts/confirm-email/"
    user = User.objects.get(email=email)  # B wrote to the database the test reads
    assert EmailAddress.objects.get(user=user).verified is False
    assert cluster.huey_pending() == 1
    time.sleep(0.5)
    assert smtp_server.received_so_far() == [], "mail was delivered before any worker ran"

    # The worker starts only now, and delivers it through SMTP.
    started = time.monotonic()
    worker = cluster.start_worker()
    received = smtp_server.wait_for_message(cluster.remaining(MAIL_TIMEOUT))
    assert received is not None, (
        f"no mail {time.monotonic() - started:.0f} s after starting the worker "
        f"(worker running: {worker.running()}, jobs pending: {cluster.huey_pending()})"
    )
    print(f"worker delivered the mail {time.monotonic() - started:.1f} s after it started")
    assert received.recipients == [email]
    assert cluster.huey_pending() == 0
    body = received.text()
    link = re.search(r"http://127\.0\.0\.1:\d+(/accounts/confirm-email/[^/\s]+/)", body)
    assert link, body

    # The link works on the other web process: the key and the account are shared.
    with _browser(web_a) as browser:
        confirmed = _post_form(browser, link.group(1), {})
    assert confirmed.status_code == 302, (confirmed.status_code, confirmed.text[:2000])
    assert EmailAddress.objects.get(user=user).verified is True
    assert smtp_server.received_so_far() == []  # one sign-up, one message


def test_a_notification_sent_by_one_web_process_reaches_a_socket_on_the_other(
    cluster: Cluster, make_user, password: str
) -> None:
    web_a, web_b = cluster.start_webs("web-a", "web-b")
    cluster.start_worker()  # the whole topology runs, though sign-ins queue no job
    person = make_user(email="grace@example.org", name="Grace Hopper")
    other = make_user(email="alan@example.org", name="Alan Turing")

    with _browser(web_a) as on_a, _browser(web_b) as on_b, _browser(web_a) as other_on_a:
        session_a = _sign_in(on_a, person.email, password)
        other_session = _sign_in(other_on_a, other.email, password)
        origin = Origin(web_a.base_url)

        def socket_on_a(session: str) -> ClientConnection:
            return connect(
                f"{web_a.ws_url}/ws/notifications/",
                origin=origin,
                additional_headers={"Cookie": f"sessionid={session}"},
                proxy=None,
                open_timeout=cluster.remaining(NOTIFY_TIMEOUT),
                close_timeout=2,
            )

        # Without a session the socket is refused: the one below really is signed in.
        with pytest.raises(InvalidStatus), socket_on_a("none"):
            pass

        with socket_on_a(session_a) as page, socket_on_a(other_session) as others_page:
            started = time.monotonic()
            _sign_in(on_b, person.email, password)
            try:
                message = json.loads(page.recv(timeout=cluster.remaining(NOTIFY_TIMEOUT)))
            except TimeoutError:
                waited = time.monotonic() - started
                pytest.fail(f"the socket on web A got nothing {waited:.0f} s after the sign-in")
            print(f"notification crossed processes in {time.monotonic() - started:.2f} s")
            assert message["kind"] == "signin"
            assert "signed in to your account" in message["text"]
            # Another person's page on the same process hears nothing of it.
            with pytest.raises(TimeoutError):
                others_page.recv(timeout=0.5)
