"""Erasure (P43, P19, P48): nothing of the person remains outside declared legal holds."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from lyceum.accounts.models import User, UserSession
from lyceum.core.fields import encrypted_fields
from lyceum.privacy.audit import audit_verify
from lyceum.privacy.models import (
    ErasureLedger,
    LegalHold,
    RetentionRun,
    RightsRequest,
)
from lyceum.privacy.retention import sweep
from lyceum.privacy.services import erasures_due
from lyceum.privacy.tests.conftest import DISPLAY, EMAIL, IP, NAME


def _needles() -> list[str]:
    return [
        EMAIL,
        NAME,
        DISPLAY,
        IP,
        "Quillfeather",
        "zeb.second@example.org",
        "zeb.parent@example.org",
    ]


def _text(value: object) -> str:
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        return value.decode(errors="ignore")
    return str(value)


def _database_residue() -> list[tuple[str, str, str]]:
    """(table, first column, needle) for every row of every table holding a needle, read as
    raw SQL; encrypted columns are read through their models, decrypted."""
    found: list[tuple[str, str, str]] = []
    needles = [n.lower() for n in _needles()]
    for table in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                text = " ".join(_text(v) for v in row).lower()
                found.extend((table, str(row[0]), n) for n in needles if n in text)
    for model, names in encrypted_fields():
        for values in model._base_manager.values("pk", *names):
            text = " ".join(str(values[n]) for n in names).lower()
            found.extend((model._meta.db_table, str(values["pk"]), n) for n in needles if n in text)
    return found


def _held(found: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    from django.apps import apps

    holds = {(apps.get_model(h.entry)._meta.db_table, h.object_id) for h in LegalHold.objects.all()}
    return [hit for hit in found if (hit[0], hit[1]) not in holds]


def _media_residue() -> list[str]:
    """Files under MEDIA_ROOT holding a needle, looking inside ZIP archives too."""
    hits: list[str] = []
    for path in settings.MEDIA_ROOT.rglob("*"):
        if not path.is_file():
            continue
        contents = [path.read_bytes()]
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                contents += [archive.read(name) for name in archive.namelist()]
        for data in contents:
            hits.extend(str(path) for n in _needles() if n.lower().encode() in data.lower())
    return hits


@pytest.mark.django_db(transaction=True)
def test_p43_erasure_leaves_nothing_of_the_person_in_any_table_or_file(full_person):
    assert _database_residue(), "the scan must see the person before erasure"
    assert _media_residue(), "the export archive holds the person before erasure"
    out = io.StringIO()
    call_command("privacy", "erase", EMAIL, "--now", stdout=out)
    report = json.loads(out.getvalue())

    assert report["status"] == "done"
    erased = {item["entry"]: item for item in report["erased"]}
    assert erased["accounts.User"]["count"] == 1
    assert erased["privacy.AuditEvent"]["action"] == "anonymise"
    assert erased["privacy.DataExport"]["count"] == 1
    kept = {item["entry"]: item for item in report["kept"]}
    assert set(kept) == {"privacy.RightsRequest"}
    assert kept["privacy.RightsRequest"]["reason"]
    assert kept["privacy.RightsRequest"]["until"] > timezone.now().isoformat()

    assert _held(_database_residue()) == []
    assert _media_residue() == []
    assert not User.objects.filter(email=EMAIL).exists()
    assert ErasureLedger.objects.count() == 1
    # What stays holds nothing but kind, status and dates; the chain still verifies.
    kept_request = RightsRequest.objects.get(kind=RightsRequest.Kind.RECTIFICATION)
    assert kept_request.user is None and kept_request.details == ""
    assert audit_verify().ok


@pytest.mark.django_db(transaction=True)
def test_p19_legal_hold_rows_go_when_their_hold_ends(full_person):
    call_command("privacy", "erase", EMAIL, "--now", stdout=io.StringIO())
    # The correction asked for, and the erasure request itself: proof that both were answered.
    holds = list(LegalHold.objects.all())
    assert {h.entry for h in holds} == {"privacy.RightsRequest"} and len(holds) == 2
    until = holds[0].until
    early = sweep(now=until - timedelta(days=1))
    # Other people's rows may reach their own retention meanwhile; no held row goes early.
    assert not [r for r in early.results if r["entry"] == "privacy.RightsRequest"]
    assert RightsRequest.objects.count() == 2
    run = sweep(now=until + timedelta(seconds=1))
    assert {"entry": "privacy.RightsRequest", "action": "hold_ended", "count": 2} in run.results
    assert not RightsRequest.objects.exists()
    assert not LegalHold.objects.exists()


def _reauthenticated(client, user, password):
    client.force_login(user)
    response = client.get(reverse("privacy:erasure"))
    assert response.status_code == 302 and "reauthenticate" in response.url
    client.post(response.url, {"password": password})


def test_p43_deleting_needs_the_password_again_and_shows_what_goes_and_what_stays(
    client, make_user, password
):
    user = make_user(name="Ada Lovelace")
    client.force_login(user)
    response = client.get(reverse("privacy:erasure"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    client.post(response.url, {"password": password})
    page = client.get(reverse("privacy:erasure")).content.decode()
    assert "What will be erased" in page
    assert "What we must keep, and why" in page
    assert "Users" in page and "Deleted" in page


def test_p43_a_deleted_account_is_out_of_use_at_once_and_can_be_kept_during_grace(
    client, make_user, password, django_capture_on_commit_callbacks
):
    user = make_user(email="ada@example.org", name="Ada Lovelace")
    other_browser = type(client)()
    other_browser.force_login(user)
    _reauthenticated(client, user, password)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("privacy:erasure"), {"confirm": "on"})
    assert response.status_code == 200
    assert "Your account is being deleted" in response.content.decode()
    user.refresh_from_db()
    assert not user.is_active
    assert str(user) == "Former member"  # hidden from others
    assert not UserSession.objects.filter(user=user).exists()  # signed out everywhere
    assert other_browser.get(reverse("accounts:profile")).status_code == 302
    refused = client.post(
        reverse("account_login"), {"login": user.email, "password": password}, follow=True
    )
    assert "This account is being deleted, so nobody can sign in to it." in refused.content.decode()
    assert "_auth_user_id" not in client.session

    rights_request = RightsRequest.objects.get(user=user, kind=RightsRequest.Kind.ERASURE)
    expected = timezone.now() + timedelta(days=settings.LYCEUM_ERASURE_GRACE_DAYS)
    assert rights_request.scheduled_for is not None
    assert abs(rights_request.scheduled_for - expected) < timedelta(minutes=1)
    message = mail.outbox[-1]
    assert message.to == ["ada@example.org"]
    assert "Users" in message.body and "Changed your mind?" in message.body
    keep_link = next(line for line in message.body.splitlines() if "/delete/keep/" in line)
    keep_path = keep_link.split("testserver")[-1]
    assert "Keep my account" in client.get(keep_path).content.decode()
    user.refresh_from_db()
    assert not user.is_active  # following the link changes nothing: the button does
    with django_capture_on_commit_callbacks(execute=True):
        client.post(keep_path)
    user.refresh_from_db()
    assert user.is_active
    rights_request.refresh_from_db()
    assert rights_request.status == RightsRequest.Status.WITHDRAWN
    signed_in = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert signed_in.status_code == 302 and client.session.get("_auth_user_id") == str(user.pk)
    assert client.get(keep_path).status_code == 404  # used once


def test_p43_the_erasure_happens_when_the_grace_period_ends_and_a_report_is_sent(
    client, make_user, password, django_capture_on_commit_callbacks
):
    user = make_user(email="ada@example.org", name="Ada Lovelace", language="fr")
    _reauthenticated(client, user, password)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("privacy:erasure"), {"confirm": "on"})
    assert erasures_due() == 0  # not yet
    RightsRequest.objects.update(scheduled_for=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert erasures_due() == 1
    assert not User.objects.filter(pk=user.pk).exists()
    report = mail.outbox[-1]
    assert report.to == ["ada@example.org"]
    assert "Votre compte a été supprimé" in report.subject  # in the person's language
    rights_request = RightsRequest.objects.get(kind=RightsRequest.Kind.ERASURE)
    assert rights_request.status == RightsRequest.Status.DONE
    assert rights_request.report["status"] == "done"
    assert rights_request.user is None


def test_p43_confirming_is_required(client, make_user, password):
    user = make_user()
    _reauthenticated(client, user, password)
    response = client.post(reverse("privacy:erasure"), {})
    assert response.status_code == 200
    assert "Tick the box to confirm" in response.content.decode()
    user.refresh_from_db()
    assert user.is_active


def test_p43_a_forged_or_foreign_keep_link_does_nothing(client, make_user):
    assert client.get(reverse("privacy:erasure_keep", args=["forged"])).status_code == 404
    assert client.post(reverse("privacy:erasure_keep", args=["forged"])).status_code == 404


def test_p43_erase_command_without_now_schedules_and_prints_the_plan(make_user):
    user = make_user(email="ada@example.org")
    out = io.StringIO()
    call_command("privacy", "erase", "ADA@example.org", stdout=out)
    report = json.loads(out.getvalue())
    assert report["status"] == "scheduled"
    assert any(item["entry"] == "accounts.User" for item in report["erased"])
    user.refresh_from_db()
    assert not user.is_active


def test_p51_the_ledger_holds_no_personal_data(make_user):
    user = make_user(email="ada@example.org", name="Ada Lovelace")
    call_command("privacy", "erase", user.email, "--now", stdout=io.StringIO())
    line = ErasureLedger.objects.get()
    # A hash of the account's random public id: not its number, nor anything about the person.
    assert len(line.subject_digest) == 64
    for known in (str(user.pk), str(user.public_id), user.email, user.name):
        assert known.lower() not in line.subject_digest or len(known) < 4
        assert hashlib.sha256(known.encode()).hexdigest() != line.subject_digest
    assert RetentionRun.objects.count() == 0


def test_p19_a_hold_can_run_from_each_rows_own_date(make_user, monkeypatch):
    """Like invoices kept ten years from their date: an old row whose period is over goes
    at once; a recent one is held until its own date plus the period."""
    import dataclasses

    from lyceum.privacy.register import register
    from lyceum.privacy.services import rectification_request

    entry = register.entries["privacy.RightsRequest"]
    per_row = dataclasses.replace(
        entry,
        erasure=dataclasses.replace(
            entry.erasure, hold_for=timedelta(days=365), hold_from="created_at"
        ),
    )
    monkeypatch.setitem(register.entries, "privacy.RightsRequest", per_row)
    user = make_user(email="ada@example.org")
    old = rectification_request(user=user, details="An old request.", base_url="/")
    recent = rectification_request(user=user, details="A recent request.", base_url="/")
    two_years_ago = timezone.now() - timedelta(days=730)
    RightsRequest.objects.filter(pk=old.pk).update(created_at=two_years_ago)
    out = io.StringIO()
    call_command("privacy", "erase", user.email, "--now", stdout=out)
    report = json.loads(out.getvalue())
    assert not RightsRequest.objects.filter(pk=old.pk).exists()
    hold = LegalHold.objects.get(object_id=str(recent.pk))
    assert abs(hold.until - (recent.created_at + timedelta(days=365))) < timedelta(seconds=1)
    [kept] = report["kept"]
    assert kept["count"] == 2  # the recent request and the erasure request itself
