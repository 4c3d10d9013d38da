from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from lyceum.accounts.models import User
from lyceum.privacy.models import AuditEvent


def _signup(client, **overrides):
    data = {
        "name": "Maria Ivanenko",
        "date_of_birth": "1994-03-08",
        "email": "maria@example.org",
        "password1": "a long pass phrase",
    }
    data.update(overrides)
    return client.post(reverse("account_signup"), data)


def test_p04_p31_signup_asks_only_name_email_password_and_date_of_birth(client, db):
    page = client.get(reverse("account_signup")).content.decode()
    form = page[page.index('action="/accounts/signup/"') :]
    form = form[: form.index("</form>")]
    names = set(re.findall(r'<input[^>]*name="([^"]+)"', form)) - {"csrfmiddlewaretoken"}
    # The honeypot is there for bots only; people never see it. The date of birth is the
    # law's (P31), and the form says why it is asked.
    assert names == {"name", "date_of_birth", "email", "password1", "website"}
    assert "Why we ask: children under 13" in form
    assert "<select" not in form
    assert "<textarea" not in form


def test_p04_signup_creates_an_unverified_account_and_sends_a_confirmation(client, db):
    response = _signup(client)
    assert response.status_code == 302
    user = User.objects.get(email="maria@example.org")
    assert user.name == "Maria Ivanenko"
    assert EmailAddress.objects.get(user=user).verified is False
    assert len(mail.outbox) == 1
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    # Mandatory verification: no sign-in before the address is confirmed.
    response = client.post(
        reverse("account_login"), {"login": "maria@example.org", "password": "a long pass phrase"}
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")


def test_p10_passwords_are_hashed_with_argon2_and_never_emailed(client, db):
    _signup(client)
    user = User.objects.get(email="maria@example.org")
    assert user.password.startswith("argon2$argon2id$")
    assert "a long pass phrase" not in user.password
    assert all("a long pass phrase" not in m.body for m in mail.outbox)


def test_p10_weak_password_is_refused_with_a_reason(client, db):
    response = _signup(client, password1="12345678")
    assert response.status_code == 200
    assert not User.objects.filter(email="maria@example.org").exists()
    assert "too short" in response.content.decode() or "too common" in response.content.decode()


def test_p13_honeypot_filled_creates_no_account(client, db):
    response = _signup(client, website="http://spam.example")
    assert response.status_code == 302  # the bot is told nothing
    assert not User.objects.filter(email="maria@example.org").exists()
    assert mail.outbox == []


def test_p15_sign_in_and_failed_sign_in_are_audit_logged(client, make_user, password):
    user = make_user(email="ok@example.org")
    client.post(reverse("account_login"), {"login": "ok@example.org", "password": "wrong"})
    client.post(reverse("account_login"), {"login": "ok@example.org", "password": password})
    actions = list(AuditEvent.objects.filter(subject_id=user.pk).values_list("action", flat=True))
    assert actions == ["signin.failed", "signin"]
    assert AuditEvent.objects.get(action="signin").ip == "127.0.0.1"


def test_p13_repeated_wrong_passwords_lock_the_account_with_a_clear_message(
    client, make_user, password
):
    make_user(email="target@example.org")
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "target@example.org", "password": "nope"})
    response = client.post(
        reverse("account_login"), {"login": "target@example.org", "password": password}
    )
    # Even the right password is refused while the lock lasts.
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_p13_signups_are_rate_limited_per_address(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = {"signup": "2/h/ip"}
    for i in range(2):
        _signup(client, email=f"bot{i}@example.org")
    response = _signup(client, email="bot9@example.org")
    assert response.status_code == 429
    assert not User.objects.filter(email="bot9@example.org").exists()


def test_sign_out_ends_the_session(client, make_user):
    user = make_user()
    client.force_login(user)
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="signout", subject_id=user.pk).exists()


@pytest.mark.parametrize("path", ["/account/profile/", "/organisations/"])
def test_account_pages_need_sign_in(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
