"""Cases an independent review found: races, staff permissions, restricted data kept,
nothing logged after an erasure, stuck copies."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.management import call_command
from django.db import close_old_connections
from django.urls import reverse
from django.utils import timezone

from lyceum import privacy
from lyceum.accounts.models import User, UserSession
from lyceum.privacy.checks import register_problems
from lyceum.privacy.models import (
    AuditEvent,
    DataExport,
    ProcessingLimit,
    RightsRequest,
)
from lyceum.privacy.register import Purpose, Retention, register
from lyceum.privacy.retention import sweep
from lyceum.privacy.services import data_export_request, erasure_cancel, erasure_request

IP = "203.0.113.9"


@pytest.mark.django_db(transaction=True)
def test_p43_asking_to_delete_twice_at_once_makes_one_request(make_user):
    user = make_user()
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            erasure_request(user=User.objects.get(pk=user.pk), actor=None, base_url="/")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert RightsRequest.objects.filter(user=user, kind="erasure").count() == 1


def test_p43_keeping_the_account_withdraws_every_open_deletion(make_user):
    user = make_user()
    first = erasure_request(user=user, actor=user, base_url="/")
    RightsRequest.objects.create(  # as an older race could have left
        kind="erasure", status="in_progress", user=user, due_at=timezone.now()
    )
    erasure_cancel(request=first, actor=user)
    assert not RightsRequest.objects.filter(user=user, status="in_progress").exists()


def test_p15_staff_who_may_only_view_cannot_undo_privacy_choices(client, make_user, with_totp):
    person = make_user()
    rights_request = erasure_request(user=person, actor=person, base_url="/")
    ProcessingLimit.objects.create(user=person, kind="restriction")
    clerk = make_user(email="clerk@school.example", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_rightsrequest", "view_processinglimit"])
    )
    with_totp(clerk)
    client.force_login(clerk)
    client.post(
        reverse("admin:privacy_rightsrequest_changelist"),
        {"action": "keep_account", "_selected_action": [rights_request.pk]},
    )
    client.post(
        reverse("admin:privacy_processinglimit_changelist"),
        {"action": "lift", "_selected_action": [ProcessingLimit.objects.get().pk]},
    )
    person.refresh_from_db()
    assert not person.is_active
    assert ProcessingLimit.objects.get().lifted_at is None


def test_p43_an_account_being_deleted_is_used_for_nothing(make_user):
    user = make_user()
    erasure_request(user=user, actor=user, base_url="/")
    assert {p for p in Purpose if privacy.allows(user, p)} == {
        Purpose.STORAGE,
        Purpose.LEGAL_CLAIMS,
    }


def test_p44_restricted_data_is_kept_past_its_retention(client, make_user, password):
    user = make_user(email="ada@example.org")
    client.post(
        reverse("account_login"),
        {"login": user.email, "password": password},
        REMOTE_ADDR=IP,
    )
    ProcessingLimit.objects.create(user=user, kind="restriction")
    UserSession.objects.update(expire_date=timezone.now() - timedelta(days=1))
    sweep(now=timezone.now() + timedelta(days=100))
    assert UserSession.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(subject_id=user.pk, ip=IP).exists()
    ProcessingLimit.objects.update(lifted_at=timezone.now())
    sweep(now=timezone.now() + timedelta(days=100))
    assert not UserSession.objects.filter(user=user).exists()
    assert not AuditEvent.objects.filter(ip=IP).exists()


def test_p43_with_no_grace_period_nothing_is_logged_about_the_person_afterwards(
    client, make_user, password, settings, django_capture_on_commit_callbacks
):
    settings.LYCEUM_ERASURE_GRACE_DAYS = 0
    user = make_user(email="ada@example.org")
    client.force_login(user)
    response = client.get(reverse("privacy:erasure"))
    client.post(response.url, {"password": password}, REMOTE_ADDR=IP)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("privacy:erasure"), {"confirm": "on"}, REMOTE_ADDR=IP)
    assert "Your data has been erased" in response.content.decode()
    assert not User.objects.filter(pk=user.pk).exists()
    assert not AuditEvent.objects.filter(ip=IP).exists()
    assert [m.subject for m in mail.outbox] == ["Your account has been deleted"]


def test_p43_erase_now_sends_only_the_report(make_user, django_capture_on_commit_callbacks):
    user = make_user(email="ada@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("privacy", "erase", user.email, "--now", stdout=io.StringIO())
    assert [m.subject for m in mail.outbox] == ["Your account has been deleted"]


def test_p41_a_copy_stuck_in_preparation_does_not_block_a_new_one(make_user):
    user = make_user()
    stuck = DataExport.objects.create(user=user)
    DataExport.objects.filter(pk=stuck.pk).update(requested_at=timezone.now() - timedelta(hours=2))
    fresh = data_export_request(user=user, base_url="/")
    assert fresh.pk != stuck.pk
    stuck.refresh_from_db()
    assert stuck.status == DataExport.Status.FAILED


def test_p14_encrypted_fields_refuse_comparisons_that_would_silently_fail(make_user):
    with pytest.raises(ValueError, match="empty string"):
        list(RightsRequest.objects.filter(details="something"))
    assert list(RightsRequest.objects.filter(details="")) == []


def test_p01_an_encrypted_field_can_only_be_anonymised_to_empty(monkeypatch):
    import dataclasses

    entry = register.entries["privacy.RightsRequest"]
    bad = dataclasses.replace(
        entry,
        retention=Retention(
            period=timedelta(days=1), anchor_field="created_at", anonymise={"details": "(gone)"}
        ),
    )
    monkeypatch.setitem(register.entries, "privacy.RightsRequest", bad)
    problems = register_problems()
    assert any("'details' is encrypted" in p for p in problems)
