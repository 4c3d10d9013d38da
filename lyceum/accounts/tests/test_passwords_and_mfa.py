from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.core import mail
from django.urls import reverse

from lyceum.privacy.models import AuditEvent


def _totp(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_password_reset_by_email_link(client, make_user):
    user = make_user(email="forgot@example.org")
    client.post(reverse("account_reset_password"), {"email": "forgot@example.org"})
    [message] = mail.outbox
    assert "forgot@example.org" in message.to
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", str(message.body))
    assert link
    form_url = client.get(link.group(1), follow=True).redirect_chain[-1][0]
    new_password = "a brand new pass phrase"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)
    assert AuditEvent.objects.filter(action="password.changed", subject_id=user.pk).exists()


def test_p10_reset_for_an_unknown_address_reveals_nothing(client, db):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    # Nobody learns whether an account exists; the unknown address gets a notice, not a link.
    assert all("/password/reset/key/" not in m.body for m in mail.outbox)


def test_password_change_needs_the_current_password(client, make_user, password):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": "not it",
            "password1": "another pass phrase",
            "password2": "another pass phrase",
        },
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(password)


@pytest.mark.django_db(transaction=True)
def test_p11_any_user_turns_on_totp_and_the_change_is_audit_logged(client, make_user, password):
    user = make_user()
    client.post(reverse("account_login"), {"login": user.email, "password": password})
    # Changing how one signs in asks for the password again first.
    page = client.get(reverse("mfa_activate_totp"))
    assert page.url.startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": password})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    # allauth announces the new factor once its transaction commits, still in the request.
    response = client.post(reverse("mfa_activate_totp"), {"code": _totp(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists()
    assert AuditEvent.objects.filter(action="mfa.added.totp", subject_id=user.pk).exists()


def test_p11_sign_in_with_totp_asks_for_the_code(client, make_user, password, with_totp):
    user = make_user()
    secret = with_totp(user)
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="mfa.failed", subject_id=user.pk).exists()
    client.post(reverse("mfa_authenticate"), {"code": _totp(secret)})
    assert client.session["_auth_user_id"] == str(user.pk)


def test_p13_password_reset_form_has_a_honeypot_that_turns_bots_away(client, make_user):
    make_user(email="forgot@example.org")
    page = client.get(reverse("account_reset_password")).content.decode()
    assert 'name="website"' in page
    assert 'aria-hidden="true"' in page
    response = client.post(
        reverse("account_reset_password"),
        {"email": "forgot@example.org", "website": "http://spam.example"},
    )
    assert response.status_code == 302  # the bot sees the usual answer
    assert mail.outbox == []
