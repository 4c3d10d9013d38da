from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from lyceum.privacy.models import AuditEvent, DataExport
from lyceum.privacy.retention import sweep


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _ask(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("privacy:data"))


def test_p41_a_person_gets_their_data_without_staff(
    client, make_user, media, django_capture_on_commit_callbacks
):
    user = make_user(email="ana@example.org", name="Ana Lopes")
    client.force_login(user)
    response = _ask(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    export = DataExport.objects.get(user=user)
    assert export.status == DataExport.Status.READY
    assert export.expires_at is not None
    assert export.ready_at is not None
    assert export.expires_at - export.ready_at == timedelta(days=7)
    # The person is told by email, with the link to the page, not to the file.
    [message] = mail.outbox
    assert message.to == ["ana@example.org"]
    assert "/account/data/" in message.body

    page = client.get(reverse("privacy:data")).content.decode()
    download = reverse("privacy:data_download", args=[export.public_id])
    assert download in page
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    data = json.loads(archive.read("data.json"))
    assert data["person"]["email"] == "ana@example.org"
    actions = set(AuditEvent.objects.filter(subject_id=user.pk).values_list("action", flat=True))
    assert {"privacy.export.requested", "privacy.exported", "privacy.export.downloaded"} <= actions


def test_p41_nobody_else_can_download_a_copy(
    client, make_user, media, django_capture_on_commit_callbacks
):
    owner, other = make_user(), make_user()
    client.force_login(owner)
    _ask(client, django_capture_on_commit_callbacks)
    download = reverse("privacy:data_download", args=[DataExport.objects.get().public_id])
    client.force_login(other)
    assert client.get(download).status_code == 404
    client.logout()
    response = client.get(download)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_p41_a_copy_expires_after_seven_days_and_its_file_is_deleted(
    client, make_user, media, django_capture_on_commit_callbacks
):
    user = make_user()
    client.force_login(user)
    _ask(client, django_capture_on_commit_callbacks)
    export = DataExport.objects.get()
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    download = reverse("privacy:data_download", args=[export.public_id])
    response = client.get(download)
    assert response.status_code == 410
    assert "This copy has expired" in response.content.decode()
    stored = media / export.archive.name
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):  # files go once rows are gone
        run = sweep()
    assert run.results == [{"entry": "privacy.DataExport", "action": "deleted", "count": 1}]
    assert not stored.exists()
    assert not DataExport.objects.exists()


def test_p41_asking_twice_while_a_copy_is_prepared_makes_one(client, make_user, media):
    user = make_user()
    client.force_login(user)
    client.post(reverse("privacy:data"))  # the job waits for the commit, which never comes here
    client.post(reverse("privacy:data"))
    assert DataExport.objects.filter(user=user).count() == 1


def test_p41_the_account_page_leads_to_your_data(client, make_user):
    client.force_login(make_user())
    page = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("privacy:data") in page
