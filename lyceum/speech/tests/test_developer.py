"""The developer page (P40): client administrators, with a second factor, manage their API
clients' keys and OAuth2 credentials, choose whether recordings are kept, and see usage."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import Application

from lyceum.orgs.models import Membership, Organisation
from lyceum.orgs.services import membership_add, organisation_create
from lyceum.privacy.models import AuditEvent
from lyceum.speech import services
from lyceum.speech.models import ApiClient, ApiKey, ApiUsage, ReviewRecording

pytestmark = pytest.mark.django_db

KEY = re.compile(r"lyk_[0-9a-f]{12}_[A-Za-z0-9_-]{40,}")


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def acme(make_user: Any, with_totp: Any) -> Any:
    """Two client organisations, each with an administrator who has a second factor."""
    acme = organisation_create(actor=None, name="Acme", kind=Organisation.Kind.COMPANY)
    globex = organisation_create(actor=None, name="Globex", kind=Organisation.Kind.COMPANY)
    admin = make_user(name="Ada Acme")
    other = make_user(name="Gus Globex")
    member = make_user(name="Mo Member")
    membership_add(actor=None, organisation=acme, user=admin, role=Membership.Role.ADMIN)
    membership_add(actor=None, organisation=acme, user=member)
    membership_add(actor=None, organisation=globex, user=other, role=Membership.Role.ADMIN)
    with_totp(admin)
    with_totp(other)
    client = services.api_client_create(actor=admin, organisation=acme, name="Reading app")
    return {"org": acme, "admin": admin, "other": other, "member": member, "client": client}


def page(org: Organisation, client: ApiClient | None = None) -> str:
    if client is None:
        return reverse("developer:clients", kwargs={"slug": org.slug})
    return reverse("developer:client", kwargs={"slug": org.slug, "client_pk": client.pk})


def test_p40_an_administrator_makes_a_client_and_a_key_shown_once(client, acme):
    client.force_login(acme["admin"])
    response = client.post(page(acme["org"]), {"name": "Lab kiosk"})
    made = ApiClient.objects.get(name="Lab kiosk")
    assert response.status_code == 302 and response["Location"] == page(acme["org"], made)
    response = client.post(
        reverse("developer:key_create", kwargs={"slug": "acme", "client_pk": made.pk}),
        {"label": "production", "scopes": ["assess"]},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    (shown,) = KEY.findall(response.content.decode())
    key = ApiKey.objects.get(client=made)
    assert (key.label, key.scopes, key.created_by) == ("production", "assess", acme["admin"])
    assert shown.split("_")[-1] not in key.secret_hash
    # Never again: not on the page, not anywhere in the database.
    again = client.get(page(acme["org"], made)).content.decode()
    assert shown not in again and f"lyk_{key.prefix}_" in again
    assert AuditEvent.objects.filter(
        action="speech.api_key.created", actor_id=acme["admin"].pk
    ).exists()
    # And it works.
    api = client.post("/api/speech/v1/assessments", {"text": "x"}, headers={"X-Api-Key": shown})
    assert api.json()["error"]["code"] == "missing_field"


def test_p40_revoking_a_key_refuses_it_and_is_audit_logged(client, acme):
    new = services.api_key_create(
        actor=acme["admin"], client=acme["client"], label="old", scopes=["assess"]
    )
    client.force_login(acme["admin"])
    url = reverse(
        "developer:key_revoke",
        kwargs={"slug": "acme", "client_pk": acme["client"].pk, "key_pk": new.key.pk},
    )
    assert client.post(url).status_code == 302
    new.key.refresh_from_db()
    assert new.key.revoked_at is not None
    assert AuditEvent.objects.filter(
        action="speech.api_key.revoked", target_id=str(new.key.pk)
    ).exists()
    api = client.post("/api/speech/v1/assessments", {}, headers={"X-Api-Key": new.plaintext})
    assert api.status_code == 401
    assert "revoked" in client.get(page(acme["org"], acme["client"])).content.decode()


def test_p40_another_organisations_administrator_sees_nothing_and_revokes_nothing(client, acme):
    new = services.api_key_create(
        actor=acme["admin"], client=acme["client"], label="k", scopes=["assess"]
    )
    client.force_login(acme["other"])
    kwargs = {"slug": "acme", "client_pk": acme["client"].pk}
    assert client.get(page(acme["org"])).status_code == 404
    assert client.get(page(acme["org"], acme["client"])).status_code == 404
    revoke = reverse("developer:key_revoke", kwargs={**kwargs, "key_pk": new.key.pk})
    assert client.post(revoke).status_code == 404
    # Nor through their own organisation's address.
    globex = Organisation.objects.get(slug="globex")
    own = reverse(
        "developer:key_revoke",
        kwargs={"slug": globex.slug, "client_pk": acme["client"].pk, "key_pk": new.key.pk},
    )
    assert client.post(own).status_code == 404
    assert (
        client.post(
            reverse("developer:key_create", kwargs=kwargs), {"label": "x", "scopes": ["assess"]}
        ).status_code
        == 404
    )
    assert client.post(reverse("developer:oauth_create", kwargs=kwargs)).status_code == 404
    new.key.refresh_from_db()
    assert new.key.revoked_at is None
    assert ApiKey.objects.count() == 1


def test_p40_a_member_who_is_not_an_administrator_gets_not_found(client, acme):
    client.force_login(acme["member"])
    assert client.get(page(acme["org"])).status_code == 404


def test_p11_the_developer_page_needs_a_second_factor(client, acme, make_user):
    no_totp = make_user()
    membership_add(actor=None, organisation=acme["org"], user=no_totp, role=Membership.Role.ADMIN)
    client.force_login(no_totp)
    response = client.get(page(acme["org"], acme["client"]))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_index")
    response = client.post(
        reverse("developer:key_create", kwargs={"slug": "acme", "client_pk": acme["client"].pk}),
        {"label": "x", "scopes": ["assess"]},
    )
    assert response.status_code == 302
    assert not ApiKey.objects.exists()


def test_p40_oauth2_credentials_are_shown_once_and_work(client, acme):
    client.force_login(acme["admin"])
    kwargs = {"slug": "acme", "client_pk": acme["client"].pk}
    response = client.post(reverse("developer:oauth_create", kwargs=kwargs))
    html = response.content.decode()
    found_id = re.search(r'id="new-oauth-id">([^<]+)<', html)
    found_secret = re.search(r'id="new-oauth-secret">([^<]+)<', html)
    assert found_id and found_secret
    client_id, secret = found_id.group(1), found_secret.group(1)
    application = Application.objects.get()
    assert application.client_id == client_id and secret not in application.client_secret
    assert application.authorization_grant_type == "client-credentials"
    assert secret not in client.get(page(acme["org"], acme["client"])).content.decode()
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    token = client.post(
        "/o/token/",
        {"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert token.status_code == 200
    # Replacing the secret revokes the old one.
    client.post(reverse("developer:oauth_create", kwargs=kwargs))
    again = client.post(
        "/o/token/",
        {"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert again.status_code == 401
    client.post(reverse("developer:oauth_revoke", kwargs=kwargs))
    assert not Application.objects.exists()
    assert AuditEvent.objects.filter(action="speech.api_client.oauth_revoked").exists()


def test_p39_recordings_are_kept_only_when_chosen_and_choosing_zero_deletes_them(
    client, acme, media, django_capture_on_commit_callbacks
):
    api_client = acme["client"]
    client.force_login(acme["admin"])
    url = reverse("developer:review", kwargs={"slug": "acme", "client_pk": api_client.pk})
    assert client.post(url, {"review_days": "31"}).status_code == 400
    assert client.post(url, {"review_days": "7"}).status_code == 302
    api_client.refresh_from_db()
    assert api_client.review_days == 7
    recording = services.review_recording_keep(
        client=api_client,
        clip=services.Clip(wav=b"RIFF....", seconds=1.0),
        text="Hello",
        language="en",
        result={"PronScore": 80},
    )
    audio_url = reverse(
        "developer:recording_audio",
        kwargs={"slug": "acme", "client_pk": api_client.pk, "recording_pk": recording.pk},
    )
    assert client.get(audio_url).status_code == 200
    client.force_login(acme["other"])
    assert client.get(audio_url).status_code == 404
    client.force_login(acme["admin"])
    # Shorter: applies to what is kept already.
    client.post(url, {"review_days": "2"})
    recording.refresh_from_db()
    assert recording.delete_after == recording.created_at + timedelta(days=2)
    path = media / recording.audio.name
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"review_days": "0"})
    assert not ReviewRecording.objects.exists()
    assert not path.exists()
    assert AuditEvent.objects.filter(action="speech.api_client.review_changed").count() == 3


def test_delete_every_kept_recording_now(client, acme, media, django_capture_on_commit_callbacks):
    ApiClient.objects.filter(pk=acme["client"].pk).update(review_days=30)
    acme["client"].refresh_from_db()
    recording = ReviewRecording.objects.create(
        client=acme["client"],
        text="Hi",
        language="en",
        delete_after=timezone.now() + timedelta(days=30),
        audio=ContentFile(b"RIFF", name="x.wav"),
    )
    path = media / recording.audio.name
    assert path.exists()
    client.force_login(acme["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(
                "developer:recordings_delete",
                kwargs={"slug": "acme", "client_pk": acme["client"].pk},
            )
        )
    assert not ReviewRecording.objects.exists() and not path.exists()


def test_usage_per_day_as_a_chart_and_a_table(client, acme):
    today = timezone.now().date()
    ApiUsage.objects.create(
        client=acme["client"], day=today, requests=12, refused=2, audio_seconds=90
    )
    ApiUsage.objects.create(
        client=acme["client"], day=today - timedelta(days=1), requests=5, audio_seconds=30
    )
    ApiUsage.objects.create(client=acme["client"], day=today - timedelta(days=40), requests=999)
    client.force_login(acme["admin"])
    html = client.get(page(acme["org"], acme["client"])).content.decode()
    assert html.count("<svg") == 2
    assert "Assessment requests per day" in html and "Minutes of audio assessed per day" in html
    table = html[html.index('id="usage-table"') :]
    assert "<td>12</td><td>2</td><td>1.5</td>" in table
    assert "<td>5</td><td>0</td><td>0.5</td>" in table
    assert "999" not in html  # older than the 30 days shown
    assert "17 requests" in html
