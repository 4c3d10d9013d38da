from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from lyceum.privacy.models import AuditEvent


def test_p11_p13_the_back_office_has_no_password_only_door(client, make_user, password, with_totp):
    staff = make_user(email="boss@example.org", is_staff=True, is_superuser=True)
    with_totp(staff)
    response = client.post("/admin/login/", {"username": "boss@example.org", "password": password})
    # Django's own admin sign-in is replaced by the site's: lock-outs and the second factor.
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/accounts/user/").status_code == 302


@pytest.mark.parametrize(
    "path",
    [
        "/admin/account/emailaddress/",
        "/admin/mfa/authenticator/",
        "/admin/socialaccount/socialaccount/",
        "/admin/socialaccount/socialtoken/",
        "/admin/socialaccount/socialapp/",
    ],
)
def test_p15_no_unaudited_back_office_pages_for_addresses_or_second_factors(
    client, make_user, with_totp, path
):
    staff = make_user(is_staff=True, is_superuser=True)
    with_totp(staff)
    client.force_login(staff)
    assert client.get(path).status_code == 404


def test_p15_listing_and_searching_people_is_audit_logged(client, make_user, with_totp):
    staff = make_user(is_staff=True, is_superuser=True)
    with_totp(staff)
    make_user(email="findme@example.org")
    client.force_login(staff)
    page = client.get("/admin/accounts/user/", {"q": "findme"})
    assert "findme@example.org" in page.content.decode()
    event = AuditEvent.objects.get(action="staff.listed")
    assert (event.actor_id, event.changed_fields) == (staff.pk, ["search"])


def test_p15_a_refused_view_is_not_logged_as_a_view(client, make_user, with_totp):
    staff = make_user(is_staff=True)  # staff without the permission to see accounts
    with_totp(staff)
    person = make_user()
    client.force_login(staff)
    assert client.get(f"/admin/accounts/user/{person.pk}/change/").status_code == 403
    assert not AuditEvent.objects.filter(action="staff.viewed").exists()


def test_p15_only_a_superuser_hands_out_back_office_roles(client, make_user, with_totp):
    from django.contrib.auth.models import Permission

    staff = make_user(is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_user", "view_user"])
    )
    with_totp(staff)
    person = make_user(name="Person")
    client.force_login(staff)
    form = {
        "name": "Person",
        "display_name": "",
        "pronouns": "",
        "language": "en",
        "time_zone": "UTC",
    }
    response = client.post(
        f"/admin/accounts/user/{person.pk}/change/", {**form, "roles": ["superuser"]}
    )
    assert response.status_code == 200  # refused: not a choice for this staff member
    client.post(f"/admin/accounts/user/{person.pk}/change/", {**form, "roles": ["instructor"]})
    person.refresh_from_db()
    assert person.is_instructor
    assert not person.is_superuser
    assert not person.is_staff


def test_emails_speak_the_persons_language_and_sign_as_the_school(client, make_user, settings):
    make_user(email="olena@example.org", language="uk")
    client.post(reverse("account_reset_password"), {"email": "olena@example.org"})
    [message] = mail.outbox
    assert settings.LYCEUM_SCHOOL["name"] in message.subject
    assert "Ви отримали" in message.body or "пароль" in message.body
    assert "testserver!" not in message.body
