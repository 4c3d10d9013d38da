"""Rectification (P42): what the profile does not edit goes through a request staff answer."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

from lyceum.privacy.models import AuditEvent, RightsRequest


def _ask(client, capture, text="My diploma shows Lovelase; it should be Lovelace."):
    with capture(execute=True):
        return client.post(reverse("privacy:rectification"), {"details": text})


def test_p42_a_correction_request_reaches_staff_who_answer_it(
    client, make_user, dpo_client, django_capture_on_commit_callbacks, settings
):
    person = make_user(email="ada@example.org", name="Ada Lovelace")
    learner = type(client)()
    learner.force_login(person)
    response = _ask(learner, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    request = RightsRequest.objects.get(user=person)
    assert (request.kind, request.status) == ("rectification", "verified")
    to_staff = next(m for m in mail.outbox if m.to == [settings.LYCEUM_SCHOOL["dpo_email"]])
    assert f"/admin/privacy/rightsrequest/{request.pk}/change/" in to_staff.body
    assert "Lovelase" not in to_staff.body  # the details stay in the back office
    assert any(m.to == ["ada@example.org"] for m in mail.outbox)

    change = reverse("admin:privacy_rightsrequest_change", args=[request.pk])
    assert "Lovelase" in dpo_client.get(change).content.decode()
    assert AuditEvent.objects.filter(action="staff.viewed", subject_id=person.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        dpo_client.post(change, {"status": "done", "outcome": "Corrected on your diploma."})
    request.refresh_from_db()
    assert request.status == "done" and request.handled_by == dpo_client.dpo
    answered = mail.outbox[-1]
    assert answered.to == ["ada@example.org"]
    assert "Corrected on your diploma." in answered.body
    event = AuditEvent.objects.get(action="privacy.rectification.done")
    assert (event.actor_id, event.subject_id) == (dpo_client.dpo.pk, person.pk)
    page = learner.get(reverse("privacy:rectification")).content.decode()
    assert "Corrected on your diploma." in page and "Done" in page


def test_p42_an_empty_or_too_short_request_is_refused_and_nothing_is_lost(
    client, make_user, django_capture_on_commit_callbacks
):
    client.force_login(make_user())
    response = _ask(client, django_capture_on_commit_callbacks, text="typo")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ensure this value has at least 10 characters" in page
    assert "typo</textarea>" in page  # what was typed is still there
    assert not RightsRequest.objects.exists()


def test_p42_people_see_only_their_own_requests(
    client, make_user, django_capture_on_commit_callbacks
):
    client.force_login(make_user(email="ada@example.org"))
    _ask(client, django_capture_on_commit_callbacks)
    client.force_login(make_user(email="bob@example.org"))
    assert "Lovelase" not in client.get(reverse("privacy:rectification")).content.decode()


def test_p15_staff_without_the_privacy_role_cannot_open_requests(
    client, make_user, with_totp, django_capture_on_commit_callbacks
):
    person = make_user()
    client.force_login(person)
    _ask(client, django_capture_on_commit_callbacks)
    staff = make_user(email="clerk@school.example", is_staff=True)
    with_totp(staff)
    client.force_login(staff)
    request = RightsRequest.objects.get()
    url = reverse("admin:privacy_rightsrequest_change", args=[request.pk])
    assert client.get(url).status_code == 403
