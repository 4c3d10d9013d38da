"""Processors told (P48): erasure reaches a real HTTP endpoint standing for a processor."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from lyceum.accounts.models import User
from lyceum.privacy.models import ProcessorNotice, RightsRequest
from lyceum.privacy.processors import webhook
from lyceum.privacy.register import Recipient, register
from lyceum.privacy.services import erasure_carry_out, erasure_request

SECRET = "shared-with-the-processor"


class Processor(ThreadingHTTPServer):
    """A mailing-list provider's erasure endpoint: records what it is asked, answers ``status``."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/gdpr/erase"


class _Handler(BaseHTTPRequestHandler):
    server: Processor

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def processor(monkeypatch) -> Iterator[Processor]:
    server = Processor()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    entry = register.entries["accounts.User"]
    mailing_list = Recipient(
        name="Mailing list provider",
        fields=("email", "name"),
        purpose="Sending the newsletter",
        erase=webhook(server.url, SECRET),
    )
    monkeypatch.setitem(
        register.entries, "accounts.User", dataclasses.replace(entry, recipients=(mailing_list,))
    )
    yield server
    server.shutdown()
    server.server_close()


def _erase(user: User, capture: Any) -> RightsRequest:
    with capture(execute=True):
        rights_request = erasure_request(user=user, actor=user, base_url="http://testserver/")
    with capture(execute=True):
        erasure_carry_out(request_id=rights_request.pk)
    return rights_request


def test_p48_erasure_tells_the_processor_exactly_what_it_holds(
    processor, make_user, django_capture_on_commit_callbacks
):
    user = make_user(email="ada@example.org", name="Ada Lovelace")
    rights_request = _erase(user, django_capture_on_commit_callbacks)
    [(headers, body)] = processor.received
    assert json.loads(body) == {
        "event": "erasure",
        "rows": [{"email": "ada@example.org", "name": "Ada Lovelace"}],
    }
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Lyceum-Signature"] == f"sha256={expected}"
    notice = ProcessorNotice.objects.get(request=rights_request)
    assert notice.processor == "Mailing list provider"
    assert notice.status == ProcessorNotice.Status.CONFIRMED
    assert notice.payload == ""  # nothing of the person is kept once the processor confirmed
    rights_request.refresh_from_db()
    assert rights_request.report["processors"] == ["Mailing list provider"]


def test_p48_a_processor_that_does_not_confirm_is_left_for_staff_to_try_again(
    processor, make_user, django_capture_on_commit_callbacks, dpo_client
):
    processor.status = 503
    user = make_user(email="ada@example.org")
    rights_request = _erase(user, django_capture_on_commit_callbacks)
    assert processor.received  # it was asked
    notice = ProcessorNotice.objects.get(request=rights_request)
    assert notice.status == ProcessorNotice.Status.FAILED
    assert "503" in notice.last_error
    assert not User.objects.filter(pk=user.pk).exists()  # the erasure itself stands
    with connection.cursor() as cursor:  # kept for the next try, encrypted
        cursor.execute("SELECT payload FROM privacy_processornotice")
        assert b"ada@example.org" not in str(cursor.fetchone()[0]).encode()

    # The processor is back; the DPO tries again from the back office.
    processor.status = 200
    dpo_client.post(
        reverse("admin:privacy_processornotice_changelist"),
        {"action": "try_again", "_selected_action": [notice.pk]},
    )
    notice.refresh_from_db()
    assert notice.status == ProcessorNotice.Status.CONFIRMED
    assert json.loads(processor.received[-1][1])["rows"] == [
        {"email": "ada@example.org", "name": "Test Person"}
    ]
    assert notice.payload == ""
