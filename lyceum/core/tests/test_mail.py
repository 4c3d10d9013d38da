from __future__ import annotations

import email
import socket
import time
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.core.mail import send_mail
from django.db import transaction


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[email.message.Message] = []

    def handle_message(self, message: email.message.Message) -> None:
        self.messages.append(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def queued_mail(settings):
    settings.EMAIL_BACKEND = "lyceum.core.mail.QueuedBackend"
    return settings


def test_p20_mail_goes_through_a_real_smtp_server(
    smtp_server, queued_mail, db, django_capture_on_commit_callbacks
):
    controller, inbox = smtp_server
    queued_mail.LYCEUM_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    queued_mail.EMAIL_HOST, queued_mail.EMAIL_PORT = controller.hostname, controller.port
    with django_capture_on_commit_callbacks(execute=True):
        send_mail("Votre inscription", "Bonjour Léa", None, ["lea@example.org"])
    deadline = time.monotonic() + 5
    while not inbox.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    [received] = inbox.messages
    assert received["To"] == "lea@example.org"
    assert received["Subject"] == "Votre inscription"
    assert "Bonjour Léa" in received.get_payload(decode=True).decode()


def test_embedded_default_writes_each_message_to_the_mail_folder(
    queued_mail, tmp_path, db, django_capture_on_commit_callbacks
):
    queued_mail.LYCEUM_DELIVERY_BACKEND = "lyceum.core.mail.FolderBackend"
    queued_mail.LYCEUM_MAIL_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        send_mail("Welcome", "Hello", None, ["a@example.org"])
        send_mail("Welcome", "Hello", None, ["b@example.org"])
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2
    recipients = {
        email.message_from_bytes(f.read_bytes(), policy=policy.default)["To"] for f in files
    }
    assert recipients == {"a@example.org", "b@example.org"}


def test_rolled_back_change_sends_no_mail(
    queued_mail, tmp_path, db, django_capture_on_commit_callbacks
):
    queued_mail.LYCEUM_DELIVERY_BACKEND = "lyceum.core.mail.FolderBackend"
    queued_mail.LYCEUM_MAIL_DIR = tmp_path
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        send_mail("Never", "Never", None, ["a@example.org"])
        raise RuntimeError
    assert callbacks == []
    assert list(tmp_path.glob("*.eml")) == []
