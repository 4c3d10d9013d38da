"""The speech API (P39, P40), end to end: real recordings synthesised by espeak-ng, the real
engine, the real upload path, credentials made the way the developer page makes them."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from datetime import timedelta
from pathlib import Path
from typing import Any

import av
import jsonschema_rs
import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import Client
from django.utils import timezone

from lyceum.orgs.models import Organisation
from lyceum.orgs.services import organisation_create
from lyceum.privacy import retention
from lyceum.speech import services
from lyceum.speech.engine import audio as audio_io
from lyceum.speech.models import ApiClient, ApiKey, ApiUsage, AssessmentJob, ReviewRecording
from lyceum.speech.tasks import speech_retention

URL = "/api/speech/v1/assessments"
TEXT = "The cat sat on the mat."

pytestmark = pytest.mark.django_db


# Recordings


def synthesise(path: Path, text: str) -> bytes:
    program = shutil.which("espeak-ng")
    assert program, "espeak-ng is needed to make the test recordings"
    subprocess.run([program, "-w", str(path), "--", text], check=True, capture_output=True)
    return path.read_bytes()


@pytest.fixture(scope="session")
def reading(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real reading of TEXT, as espeak-ng writes it (22 kHz WAV)."""
    return synthesise(tmp_path_factory.mktemp("speech") / "reading.wav", TEXT)


def samples_of(data: bytes) -> np.ndarray:
    return audio_io.decode(data, audio_io.Limits())


def wav_of(samples: np.ndarray, rate: int = 16_000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    return out.getvalue()


def flac_with_tags(samples: np.ndarray, tags: dict[str, str]) -> bytes:
    """The recording as FLAC, with tags naming the speaker, as a phone app might write it."""
    out = io.BytesIO()
    container = av.open(out, "w", format="flac")
    container.metadata.update(tags)
    stream = container.add_stream("flac", rate=16_000)
    stream.layout = "mono"  # type: ignore[attr-defined]
    frame = av.AudioFrame.from_ndarray(
        samples.reshape(1, -1).astype(np.int16), format="s16", layout="mono"
    )
    frame.sample_rate = 16_000
    for packet in stream.encode(frame):  # type: ignore[attr-defined]
        container.mux(packet)
    for packet in stream.encode(None):  # type: ignore[attr-defined]
        container.mux(packet)
    container.close()
    return out.getvalue()


# Clients and credentials


def make_client(name: str = "Acme", **fields: Any) -> ApiClient:
    organisation = organisation_create(actor=None, name=name, kind=Organisation.Kind.COMPANY)
    client = services.api_client_create(actor=None, organisation=organisation, name=f"{name} app")
    if fields:
        ApiClient.objects.filter(pk=client.pk).update(**fields)
        client.refresh_from_db()
    return client


def make_key(client: ApiClient, scopes: tuple[str, ...] = ("assess", "usage")) -> str:
    return services.api_key_create(
        actor=None, client=client, label="test", scopes=list(scopes)
    ).plaintext


@pytest.fixture
def api_client() -> ApiClient:
    return make_client()


@pytest.fixture
def key(api_client: ApiClient) -> str:
    return make_key(api_client)


def post(
    client: Client, key: str | None, fields: dict[str, Any], *, bearer: bool = False, **extra: Any
) -> Any:
    body = {
        name: (io.BytesIO(value) if isinstance(value, bytes) else value)
        for name, value in fields.items()
    }
    for value in body.values():
        if isinstance(value, io.BytesIO):
            value.name = "reading.wav"  # type: ignore[attr-defined]
    headers: dict[str, str] = {}
    if key is not None:
        headers = {"Authorization": f"Bearer {key}"} if bearer else {"X-Api-Key": key}
    return client.post(URL, body, headers=headers, **extra)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body


def assert_documented(client: Client, body: Any, component: str) -> None:
    """The answer is what the OpenAPI document says, down to the engine's own schema of an
    assessment (no field missing, none extra)."""
    document = client.get("/api/openapi.json").json()
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    jsonschema_rs.Draft202012Validator(schema).validate(body)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# P39: the recording, the text and the language, and nothing else


def test_p39_a_reading_is_assessed_at_once_by_the_real_engine(client, key, reading, media):
    response = post(client, key, {"audio": reading, "text": TEXT, "language": "en"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "succeeded"
    result = body["result"]
    assert result["ReferenceText"] == TEXT
    assert [w["Word"] for w in result["Words"] if w["ErrorType"] != "Insertion"] == [
        "The",
        "cat",
        "sat",
        "on",
        "the",
        "mat",
    ]
    assert result["CompletenessScore"] > 0
    assert all(0 <= result[k] <= 100 for k in ("AccuracyScore", "FluencyScore", "PronScore"))
    assert int(response["RateLimit-Limit"]) == 60
    assert int(response["RateLimit-Remaining"]) == 59
    assert_documented(client, body, "AssessmentDoneOut")


def test_p39_nothing_is_stored_by_default_and_nothing_touches_the_disk(
    client, key, reading, media, monkeypatch
):
    def no_temporary_file(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the upload was about to be written to a temporary file")

    monkeypatch.setattr(TemporaryFileUploadHandler, "new_file", no_temporary_file)
    response = post(client, key, {"audio": reading, "text": TEXT, "language": "en"})
    assert response.status_code == 200
    assert not AssessmentJob.objects.exists()
    assert not ReviewRecording.objects.exists()
    assert not media.exists() or not any(media.rglob("*"))
    usage = ApiUsage.objects.get()
    assert usage.requests == 1 and usage.refused == 0
    assert usage.audio_seconds == pytest.approx(len(samples_of(reading)) / 16_000, rel=0.01)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"audio": b"x", "text": TEXT, "language": "en", "user_id": "42"}, "unknown_field"),
        ({"audio": b"x", "text": TEXT, "language": "en", "name": "Jane Doe"}, "unknown_field"),
        ({"audio": b"x", "text": TEXT, "language": "en", "photo": b"jpeg"}, "unknown_field"),
        ({"audio": b"x", "text": TEXT}, "missing_field"),
        ({"text": TEXT, "language": "en"}, "missing_field"),
        ({"audio": b"x", "language": "en"}, "missing_field"),
        ({"audio": "not a file", "text": TEXT, "language": "en"}, "wrong_field_type"),
        ({"audio": b"x", "text": [TEXT, TEXT], "language": "en"}, "duplicate_field"),
    ],
)
def test_p39_any_other_field_or_a_missing_one_is_refused_before_anything_is_read(
    client, key, fields, code
):
    body = assert_error(post(client, key, fields), 400, code)
    if code == "unknown_field":
        assert any(name in body["error"]["message"] for name in ("user_id", "name", "photo"))
    assert ApiUsage.objects.get().refused == 1


def test_p39_a_query_string_is_another_field_and_refused(client, key, reading):
    response = client.post(
        f"{URL}?learner=jane",
        {"audio": io.BytesIO(reading), "text": TEXT, "language": "en"},
        headers={"X-Api-Key": key},
    )
    assert_error(response, 400, "unknown_field")


def test_p39_only_multipart_is_accepted(client, key):
    response = client.post(
        URL,
        {"audio": "AAAA", "text": TEXT, "language": "en"},
        content_type="application/json",
        headers={"X-Api-Key": key},
    )
    assert_error(response, 415, "unsupported_media_type")


def test_p39_audio_metadata_never_reaches_storage_even_when_recordings_are_kept(
    client, reading, media
):
    api_client = make_client(review_days=7)
    tagged = flac_with_tags(samples_of(reading), {"artist": "Jane Doe", "title": "Pupil 42"})
    assert b"Jane Doe" in tagged
    response = post(client, make_key(api_client), {"audio": tagged, "text": TEXT, "language": "en"})
    assert response.status_code == 200
    recording = ReviewRecording.objects.get()
    stored = default_storage.open(str(recording.audio.name)).read()
    assert b"Jane Doe" not in stored and b"Pupil 42" not in stored
    assert "reading" not in str(recording.audio.name)  # nor the client's file name
    with wave.open(io.BytesIO(stored)) as w:  # plain 16 kHz mono PCM, nothing else
        assert (w.getnchannels(), w.getframerate(), w.getsampwidth()) == (1, 16_000, 2)
    assert recording.result and recording.result["ReferenceText"] == TEXT


def test_p39_kept_recordings_go_after_the_declared_days(
    client, reading, media, django_capture_on_commit_callbacks
):
    api_client = make_client(review_days=3)
    post(client, make_key(api_client), {"audio": reading, "text": TEXT, "language": "en"})
    recording = ReviewRecording.objects.get()
    assert recording.delete_after - recording.created_at == timedelta(days=3)
    path = Path(default_storage.path(str(recording.audio.name)))
    assert path.exists()
    assert services.speech_expired_delete(now=timezone.now() + timedelta(days=2)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.speech_expired_delete(now=timezone.now() + timedelta(days=4)) == 1
    assert not ReviewRecording.objects.exists()
    assert not path.exists()
    assert services.speech_expired_delete(now=timezone.now() + timedelta(days=4)) == 0


def test_p39_the_privacy_retention_sweep_deletes_kept_recordings_too(
    client, reading, media, django_capture_on_commit_callbacks
):
    api_client = make_client(review_days=1)
    post(client, make_key(api_client), {"audio": reading, "text": TEXT, "language": "en"})
    path = Path(default_storage.path(str(ReviewRecording.objects.get().audio.name)))
    with django_capture_on_commit_callbacks(execute=True):
        retention.sweep(now=timezone.now() + timedelta(days=2))
    assert not ReviewRecording.objects.exists()
    assert not path.exists()


def test_p39_the_periodic_job_is_the_same_idempotent_deletion(api_client):
    old = timezone.now() - timedelta(hours=3)
    AssessmentJob.objects.create(
        client=api_client,
        text=TEXT,
        language="en",
        created_at=old,
        expires_at=old,
        status="succeeded",
    )
    assert speech_retention.call_local() == 1
    assert speech_retention.call_local() == 0


# Long recordings: a job to poll


def test_p39_a_long_recording_gets_a_job_that_only_its_client_can_read(
    client, key, reading, settings, django_capture_on_commit_callbacks
):
    settings.LYCEUM_SPEECH_API_SYNC_SECONDS = 0.5
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, key, {"audio": reading, "text": TEXT, "language": "en"})
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["status"] == "queued"
    assert response["Location"].endswith(f"{URL}/{job['id']}")
    polled = client.get(f"{URL}/{job['id']}", headers={"X-Api-Key": key})
    assert polled.status_code == 200
    body = polled.json()
    assert body["status"] == "succeeded"
    assert body["result"]["ReferenceText"] == TEXT
    assert body["error"] is None
    assert_documented(client, body, "JobOut")
    # Another client, even with a valid key, learns nothing about it.
    other = make_key(make_client("Globex"))
    assert_error(
        client.get(f"{URL}/{job['id']}", headers={"X-Api-Key": other}), 404, "job_not_found"
    )
    assert_error(client.get(f"{URL}/not-a-uuid", headers={"X-Api-Key": key}), 404, "job_not_found")
    # An hour after it finished, the result is gone.
    AssessmentJob.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(client.get(f"{URL}/{job['id']}", headers={"X-Api-Key": key}), 404, "job_not_found")
    services.speech_expired_delete()
    assert not AssessmentJob.objects.exists()


def test_p39_a_job_that_fails_says_why_with_a_stable_code(api_client):
    job = services.assessment_job_create(client=api_client, text=TEXT, language="en", seconds=2.0)
    silence = wav_of(np.zeros(32_000, np.int16))
    services.assessment_job_run(job_id=str(job.pk), wav=silence)
    job.refresh_from_db()
    assert (job.status, job.error_code) == ("failed", "no_speech")
    services.assessment_job_run(job_id=str(job.pk), wav=silence)  # run twice: nothing changes
    job.refresh_from_db()
    assert job.status == "failed"


def test_too_many_long_recordings_at_once_are_refused(client, key, reading, settings):
    settings.LYCEUM_SPEECH_API_SYNC_SECONDS = 0.5
    api_client = ApiClient.objects.get()
    for _ in range(10):
        services.assessment_job_create(client=api_client, text=TEXT, language="en", seconds=2.0)
    response = post(client, key, {"audio": reading, "text": TEXT, "language": "en"})
    assert_error(response, 429, "too_many_jobs")
    assert response["Retry-After"]


# Bad recordings: a clear error, never a crash


def _noise(seconds: float = 2.0) -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.normal(0, 3000, int(seconds * 16_000)).clip(-32000, 32000).astype(np.int16)


BAD_AUDIO = {
    "empty": (b"", 422, "audio_empty"),
    "truncated to its header": ("truncated", 422, "audio_unreadable"),
    "a PDF": (b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\nendobj\n" * 20, 422, "audio_unreadable"),
    "random bytes": (bytes(range(256)) * 64, 422, "audio_unreadable"),
    "silence": ("silence", 422, "no_speech"),
    "noise": ("noise", 422, "no_speech"),
    "a steady tone": ("tone", 422, "no_speech"),
}


@pytest.mark.parametrize("case", BAD_AUDIO)
def test_bad_audio_gets_a_clear_json_error(client, key, reading, case):
    data, status, code = BAD_AUDIO[case]
    if data == "truncated":
        data = reading[:44]
    elif data == "silence":
        data = wav_of(np.zeros(32_000, np.int16))
    elif data == "noise":
        data = wav_of(_noise())
    elif data == "tone":
        tone = 8000 * np.sin(2 * np.pi * 200 * np.arange(48_000) / 16_000)
        data = wav_of(tone.astype(np.int16))
    assert_error(post(client, key, {"audio": data, "text": TEXT, "language": "en"}), status, code)


def test_a_recording_cut_in_the_middle_is_assessed_or_refused_never_a_crash(client, key, reading):
    response = post(
        client, key, {"audio": reading[: len(reading) // 2], "text": TEXT, "language": "en"}
    )
    assert response.status_code in (200, 422)
    assert response["Content-Type"].startswith("application/json")


def test_a_huge_upload_is_refused_before_it_is_read(client, key):
    huge = b"\0" * (audio_io.DEFAULT_MAX_BYTES + 128 * 1024)
    assert_error(
        post(client, key, {"audio": huge, "text": TEXT, "language": "en"}), 413, "audio_too_large"
    )


def test_an_upload_over_the_cap_stops_being_read_at_the_cap(client, key, reading, monkeypatch):
    monkeypatch.setattr(services, "engine_limits", lambda: audio_io.Limits(max_bytes=10_000))
    assert_error(
        post(client, key, {"audio": reading, "text": TEXT, "language": "en"}),
        413,
        "audio_too_large",
    )


def test_a_recording_over_the_length_cap_is_refused(client, key, reading, monkeypatch):
    monkeypatch.setattr(services, "engine_limits", lambda: audio_io.Limits(max_seconds=0.5))
    body = assert_error(
        post(client, key, {"audio": reading, "text": TEXT, "language": "en"}), 422, "audio_too_long"
    )
    assert "0.5" in body["error"]["message"]


@pytest.mark.parametrize(
    ("text", "language", "code"),
    [
        ("", "en", "text_invalid"),
        ("... !!", "en", "text_invalid"),
        ("word " * 201, "en", "text_invalid"),
        ("x" * 1001, "en", "text_invalid"),
        (TEXT, "xx", "unknown_language"),
        ("xqzzkrpt bbbbbbbbb", "en", "alignment_failed"),
    ],
)
def test_bad_text_or_language_gets_a_clear_json_error(client, key, reading, text, language, code):
    body = assert_error(
        post(client, key, {"audio": reading, "text": text, "language": language}), 422, code
    )
    if code == "unknown_language":
        assert "en" in body["error"]["message"]


def test_a_malformed_multipart_body_is_refused(client, key):
    response = client.generic(
        "POST",
        URL,
        b"--nope\r\nthis is not multipart",
        content_type="multipart/form-data; boundary=",
        headers={"X-Api-Key": key},
    )
    assert response.status_code in (400, 415)
    assert response.json()["error"]["code"] in ("malformed_body", "missing_field")


# P40: credentials


def test_p40_keys_are_stored_hashed_and_work_in_either_header(client, api_client, reading):
    new = services.api_key_create(actor=None, client=api_client, label="ci", scopes=["assess"])
    secret = new.plaintext.rsplit("_", 1)[1]
    stored = ApiKey.objects.get(pk=new.key.pk)
    assert secret not in stored.secret_hash and new.plaintext not in str(stored.__dict__)
    for bearer in (False, True):
        response = post(
            client, new.plaintext, {"audio": b"", "text": TEXT, "language": "en"}, bearer=bearer
        )
        assert_error(response, 422, "audio_empty")  # authenticated: the audio is what is wrong
    stored.refresh_from_db()
    assert stored.last_used_at is not None


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Api-Key": "lyk_000000000000_wrong"},
        {"X-Api-Key": "not a key"},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
)
def test_p40_no_or_a_wrong_credential_is_401(client, headers):
    response = client.post(URL, {"text": TEXT}, headers=headers)
    body = assert_error(
        response,
        401,
        "not_authenticated" if not headers or "Basic" in str(headers) else "invalid_credentials",
    )
    assert "Bearer" in response["WWW-Authenticate"]
    assert body


def test_p40_a_revoked_key_is_refused_at_once(client, api_client, key):
    services.api_key_revoke(actor=None, key=ApiKey.objects.get())
    assert_error(
        post(client, key, {"audio": b"", "text": TEXT, "language": "en"}),
        401,
        "invalid_credentials",
    )


def test_p40_a_key_without_the_scope_is_403(client, api_client):
    usage_only = make_key(api_client, scopes=("usage",))
    response = post(client, usage_only, {"audio": b"", "text": TEXT, "language": "en"})
    assert_error(response, 403, "insufficient_scope")
    assert 'scope="assess"' in response["WWW-Authenticate"]
    assess_only = make_key(api_client, scopes=("assess",))
    assert_error(
        client.get("/api/speech/v1/usage", headers={"X-Api-Key": assess_only}),
        403,
        "insufficient_scope",
    )


def test_p40_oauth2_client_credentials(client, api_client, reading):
    application, secret = services.api_client_oauth_create(actor=None, client=api_client)
    token_response = client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "assess"},
        headers={"Authorization": _basic(application.client_id, secret)},
    )
    assert token_response.status_code == 200, token_response.content
    token = token_response.json()["access_token"]
    from oauth2_provider.models import AccessToken

    stored = AccessToken.objects.get()
    assert stored.user_id is None  # no person behind it
    assert token not in stored.token  # only its hash is kept
    response = post(client, token, {"audio": reading, "text": TEXT, "language": "en"}, bearer=True)
    assert response.status_code == 200
    # The token carries only the scope asked for.
    assert_error(
        client.get("/api/speech/v1/usage", headers={"Authorization": f"Bearer {token}"}),
        403,
        "insufficient_scope",
    )
    # Revoking the credentials revokes their tokens.
    services.api_client_oauth_revoke(actor=None, client=api_client)
    response = post(client, token, {"audio": reading, "text": TEXT, "language": "en"}, bearer=True)
    assert_error(response, 401, "invalid_credentials")


def test_p40_no_other_oauth2_grant_is_accepted(client, api_client, make_user, password):
    application, secret = services.api_client_oauth_create(actor=None, client=api_client)
    person = make_user()
    response = client.post(
        "/o/token/",
        {"grant_type": "password", "username": person.email, "password": password},
        headers={"Authorization": _basic(application.client_id, secret)},
    )
    assert response.status_code in (400, 401)
    assert client.get("/o/authorize/").status_code == 404
    assert client.get("/o/applications/").status_code == 404


def _basic(client_id: str, secret: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_p40_rate_limited_per_client_with_retry_after(client, reading):
    limited = make_client(requests_per_minute=2)
    other = make_key(make_client("Globex"))
    key = make_key(limited)
    for _ in range(2):
        assert post(client, key, {"text": TEXT}).status_code == 400
    response = post(client, key, {"text": TEXT})
    assert_error(response, 429, "rate_limited")
    assert 0 < int(response["Retry-After"]) <= 60
    # Per client: another client is not slowed down.
    assert post(client, other, {"text": TEXT}).status_code == 400
    assert ApiUsage.objects.get(client=limited).refused == 3


def test_p13_guessing_keys_is_locked_out(client):
    for _ in range(30):
        assert (
            client.post(URL, {}, headers={"X-Api-Key": "lyk_000000000000_guess"}).status_code == 401
        )
    response = client.post(URL, {}, headers={"X-Api-Key": "lyk_000000000000_guess"})
    assert_error(response, 429, "too_many_failed_attempts")
    assert int(response["Retry-After"]) > 0


def test_usage_figures_for_a_key_with_the_usage_scope(client, key, reading):
    post(client, key, {"audio": reading, "text": TEXT, "language": "en"})
    post(client, key, {"audio": b"", "text": TEXT, "language": "en"})
    response = client.get("/api/speech/v1/usage?days=7", headers={"X-Api-Key": key})
    assert response.status_code == 200
    days = response.json()["days"]
    assert len(days) == 7
    assert days[-1]["requests"] == 2 and days[-1]["refused"] == 1
    assert days[-1]["audio_minutes"] > 0
    assert_error(
        client.get("/api/speech/v1/usage?days=0", headers={"X-Api-Key": key}),
        400,
        "invalid_parameter",
    )


def test_openapi_documents_the_assessment_and_the_credentials(client):
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"][URL]["post"]
    body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["additionalProperties"] is False
    assert set(body["properties"]) == {"audio", "text", "language"}
    assert {"ApiKeyAuth", "BearerAuth"} <= set(schema["components"]["securitySchemes"])
    assessment = schema["components"]["schemas"]["PronunciationAssessment"]
    assert {"AccuracyScore", "FluencyScore", "CompletenessScore", "PronScore", "Words"} <= set(
        assessment["properties"]
    )
    assert assessment["examples"]
    assert {"200", "202", "400", "401", "403", "413", "422", "429"} <= set(operation["responses"])


def test_an_unexpected_engine_failure_is_a_json_500_and_counted(client, key, reading, monkeypatch):
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("decoder exploded")

    monkeypatch.setattr(services, "clip_assess", broken)
    response = post(client, key, {"audio": reading, "text": TEXT, "language": "en"})
    assert_error(response, 500, "internal_error")
    assert "exploded" not in response.content.decode()


def test_the_api_needs_no_csrf_token_its_credentials_are_not_cookies(key, reading):
    browserless = Client(enforce_csrf_checks=True)
    response = post(browserless, key, {"audio": b"", "text": TEXT, "language": "en"})
    assert_error(response, 422, "audio_empty")


def test_the_api_reference_is_served_from_the_site_itself(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn." not in html  # the site's CSP allows no third-party script


def test_an_unknown_address_or_method_of_the_api_is_json_too(client, key):
    body = assert_error(client.get("/api/speech/v1/nothing", HTTP_X_API_KEY=key), 404, "not_found")
    assert "/api/docs" in body["error"]["message"]
    response = client.get("/api/speech/v1/assessments", HTTP_X_API_KEY=key)
    body = assert_error(response, 405, "method_not_allowed")
    assert "POST" in response["Allow"] and "POST" in body["error"]["message"]
    response = client.get("/api/speech/v1/nothing", HTTP_X_API_KEY=key, HTTP_ACCEPT_LANGUAGE="fr")
    assert "n’existe pas" in assert_error(response, 404, "not_found")["error"]["message"]
    assert client.get("/no-such-page/").headers["Content-Type"].startswith("text/html")
