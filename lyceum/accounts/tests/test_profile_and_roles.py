from __future__ import annotations

import re

from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from lyceum.accounts.services import user_roles_set
from lyceum.core.roles import Role
from lyceum.privacy.models import AuditEvent


def test_p42_owner_edits_profile_and_the_audit_names_fields_not_values(client, make_user):
    user = make_user(name="Old Name")
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {
            "name": "New Name",
            "display_name": "Nina",
            "pronouns": "she/her",
            "language": "en",
            "time_zone": "Europe/Kyiv",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.name, user.display_name, user.time_zone) == ("New Name", "Nina", "Europe/Kyiv")
    event = AuditEvent.objects.get(action="profile.updated")
    assert event.changed_fields == ["display_name", "name", "pronouns", "time_zone"]
    stored = str(AuditEvent.objects.values().get(pk=event.pk))
    assert "New Name" not in stored
    assert "Nina" not in stored


def test_profile_rejects_unknown_time_zone_and_keeps_input(client, make_user):
    user = make_user(name="Keep Me")
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {"name": "Changed", "language": "en", "time_zone": "Mars/Olympus"},
    )
    assert response.status_code == 200
    assert 'value="Changed"' in response.content.decode()
    user.refresh_from_db()
    assert user.name == "Keep Me"


def test_p04_optional_profile_fields_say_why_they_are_asked(client, make_user):
    client.force_login(make_user())
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Shown to classmates and instructors" in page
    assert "So that instructors and classmates address you" in page
    assert page.count("(optional)") == 2


def test_profile_shows_times_in_the_persons_time_zone(client, make_user):
    user = make_user(time_zone="Asia/Tokyo")
    client.force_login(user)
    response = client.get(reverse("accounts:profile"))
    assert response.context["TIME_ZONE"] == "Asia/Tokyo"


def test_p15_role_changes_are_audit_logged(make_user):
    admin = make_user(is_staff=True, is_superuser=True)
    user = make_user()
    user_roles_set(actor=admin, user=user, roles={Role.INSTRUCTOR, Role.DPO})
    user.refresh_from_db()
    assert user.is_instructor and user.is_dpo and user.is_staff
    event = AuditEvent.objects.get(action="roles.changed")
    assert (event.actor_id, event.subject_id) == (admin.pk, user.pk)
    assert event.changed_fields == ["is_dpo", "is_instructor", "is_staff"]


def test_p11_staff_without_second_factor_cannot_open_the_back_office(client, make_user):
    staff = make_user(is_staff=True)
    client.force_login(staff)
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302
    assert response.url == reverse("mfa_index")
    page = client.get(response.url).content.decode()
    assert "need two-factor authentication" in page


def test_p11_p15_staff_with_totp_see_records_and_each_view_is_logged(client, make_user, with_totp):
    staff = make_user(is_staff=True, is_superuser=True)
    with_totp(staff)
    person = make_user(email="someone@example.org")
    client.force_login(staff)
    assert client.get("/admin/accounts/user/").status_code == 200
    response = client.get(f"/admin/accounts/user/{person.pk}/change/")
    assert response.status_code == 200
    assert "someone@example.org" in response.content.decode()
    event = AuditEvent.objects.get(action="staff.viewed")
    assert (event.actor_id, event.subject_id) == (staff.pk, person.pk)


def test_p15_staff_edit_goes_through_the_service_and_is_logged(client, make_user, with_totp):
    staff = make_user(is_staff=True, is_superuser=True)
    with_totp(staff)
    person = make_user(name="Before")
    client.force_login(staff)
    response = client.post(
        f"/admin/accounts/user/{person.pk}/change/",
        {
            "name": "After",
            "display_name": "",
            "pronouns": "",
            "language": "fr",
            "time_zone": "UTC",
            "roles": ["instructor"],
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.name == "After" and person.is_instructor and person.language == "fr"
    actions = set(AuditEvent.objects.filter(subject_id=person.pk).values_list("action", flat=True))
    assert {"profile.updated", "roles.changed"} <= actions


def test_learner_cannot_open_the_back_office(client, make_user):
    client.force_login(make_user())
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_email_change_needs_the_password_again_and_the_new_address_verified(
    client, make_user, password
):
    user = make_user(email="old@example.org")
    client.force_login(user)
    # A session alone (a stolen one, say) cannot change the address.
    response = client.post(reverse("account_email"), {"action_add": "", "email": "new@example.org"})
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email="new@example.org").exists()

    client.post(reverse("account_reauthenticate"), {"password": password})
    client.post(reverse("account_email"), {"action_add": "", "email": "new@example.org"})
    user.refresh_from_db()
    # The old address stays in use until the new one is confirmed.
    assert user.email == "old@example.org"
    assert EmailAddress.objects.get(email="new@example.org").verified is False
    assert AuditEvent.objects.filter(action="email.added", subject_id=user.pk).exists()

    key = re.search(r"/accounts/confirm-email/([^/\s]+)/", str(mail.outbox[-1].body))
    assert key
    assert mail.outbox[-1].to == ["new@example.org"]
    client.post(reverse("account_confirm_email", args=[key.group(1)]))
    user.refresh_from_db()
    assert user.email == "new@example.org"
    # The old address is told, so that a takeover does not go unnoticed.
    assert any("old@example.org" in m.to for m in mail.outbox[1:])
