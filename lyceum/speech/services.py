"""Writes of the speech API: clients and their credentials, usage counts, jobs, recordings kept
for review. Each is atomic; the changes client administrators make are audit-logged."""

from __future__ import annotations

import io
import logging
import re
import wave
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application

from lyceum.accounts.models import User
from lyceum.orgs.models import Organisation
from lyceum.privacy.audit import audit_record
from lyceum.speech.clients import NewKey, key_generate
from lyceum.speech.engine import audio as audio_io
from lyceum.speech.engine import pool as engine_pool
from lyceum.speech.engine.languages import UnknownLanguage, resolve
from lyceum.speech.engine.lexicon import TextError, split_reference
from lyceum.speech.models import (
    ApiClient,
    ApiKey,
    ApiUsage,
    AssessmentJob,
    ReviewRecording,
)

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 1000
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,3}$")
# A finished job's result is kept this long for its client to fetch, then deleted.
JOB_RESULT_KEPT = timedelta(hours=1)
# A job neither finished nor failed after this long was lost by its worker.
JOB_LOST_AFTER = timedelta(minutes=30)


# Clients and credentials (P40)


@transaction.atomic
def api_client_create(*, actor: User | None, organisation: Organisation, name: str) -> ApiClient:
    client = ApiClient.objects.create(organisation=organisation, name=name)
    audit_record(action="speech.api_client.created", actor=actor, target=client)
    return client


@transaction.atomic
def api_key_create(
    *, actor: User | None, client: ApiClient, label: str, scopes: list[str]
) -> NewKey:
    """A new key, stored as a hash; the plaintext is returned once, to be shown once (P40)."""
    allowed = {s.value for s in ApiKey.Scope}
    chosen = sorted(set(scopes) & allowed)
    if not chosen:
        raise ValueError("A key needs at least one scope.")
    prefix, secret_hash, plaintext = key_generate()
    key = ApiKey.objects.create(
        client=client,
        label=label,
        prefix=prefix,
        secret_hash=secret_hash,
        scopes=" ".join(chosen),
        created_by=actor,
    )
    audit_record(
        action="speech.api_key.created", actor=actor, target=key, changed_fields=["scopes"]
    )
    return NewKey(key=key, plaintext=plaintext)


@transaction.atomic
def api_key_revoke(*, actor: User | None, key: ApiKey) -> ApiKey:
    """Revoke a key: refused from the next call on (P40). Revoking twice changes nothing."""
    locked = ApiKey.objects.select_for_update().get(pk=key.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(
            action="speech.api_key.revoked",
            actor=actor,
            target=locked,
            changed_fields=["revoked_at"],
        )
    return locked


@transaction.atomic
def api_client_oauth_create(*, actor: User | None, client: ApiClient) -> tuple[Application, str]:
    """OAuth2 credentials for the client (confidential, client-credentials grant), replacing
    any it had (their tokens stop working). Returns the secret, shown once: only its hash is
    stored."""
    locked = ApiClient.objects.select_for_update().get(pk=client.pk)
    if locked.oauth_application_id is not None:
        Application.objects.filter(pk=locked.oauth_application_id).delete()
    secret = generate_client_secret()
    application = Application.objects.create(
        name=f"{locked.organisation.name}: {locked.name}"[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=True,
        user=None,
    )
    locked.oauth_application = application
    locked.save(update_fields=["oauth_application"])
    audit_record(
        action="speech.api_client.oauth_created",
        actor=actor,
        target=locked,
        changed_fields=["oauth_application"],
    )
    client.oauth_application = application
    return application, secret


@transaction.atomic
def api_client_oauth_revoke(*, actor: User | None, client: ApiClient) -> None:
    """Delete the client's OAuth2 credentials and every token issued with them."""
    locked = ApiClient.objects.select_for_update().get(pk=client.pk)
    if locked.oauth_application_id is None:
        return
    Application.objects.filter(pk=locked.oauth_application_id).delete()
    audit_record(
        action="speech.api_client.oauth_revoked",
        actor=actor,
        target=locked,
        changed_fields=["oauth_application"],
    )
    client.oauth_application = None


@transaction.atomic
def api_client_review_set(*, actor: User | None, client: ApiClient, days: int) -> ApiClient:
    """How long the client's recordings are kept for its quality review (0: not at all, P39).

    A shorter period applies at once to the recordings kept already; 0 deletes them."""
    locked = ApiClient.objects.select_for_update().get(pk=client.pk)
    if locked.review_days == days:
        return locked
    locked.review_days = days
    locked.save(update_fields=["review_days"])
    audit_record(
        action="speech.api_client.review_changed",
        actor=actor,
        target=locked,
        changed_fields=["review_days"],
    )
    latest = F("created_at") + timedelta(days=days)
    ReviewRecording.objects.filter(client=locked, delete_after__gt=latest).update(
        delete_after=latest
    )
    _delete_recordings(
        ReviewRecording.objects.filter(client=locked, delete_after__lte=timezone.now())
    )
    client.review_days = days
    return locked


@transaction.atomic
def review_recordings_delete(*, actor: User | None, client: ApiClient) -> int:
    """Delete every recording the client kept for review, now."""
    count = _delete_recordings(ReviewRecording.objects.filter(client=client))
    audit_record(action="speech.review_recordings.deleted", actor=actor, target=client)
    return count


def _delete_recordings(rows: Any) -> int:
    names = [name for name in rows.values_list("audio", flat=True) if name]
    count, _per_model = rows.delete()
    transaction.on_commit(lambda: _delete_files(names))
    return count


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


# Usage (counts only: nothing about the speaker)


def usage_record(*, client: ApiClient, seconds: float = 0.0, refused: bool = False) -> None:
    """Count one assessment request of the client today (UTC): race-safe, with F()."""
    day = timezone.now().date()
    row, _created = ApiUsage.objects.get_or_create(client=client, day=day)
    ApiUsage.objects.filter(pk=row.pk).update(
        requests=F("requests") + 1,
        refused=F("refused") + (1 if refused else 0),
        audio_seconds=F("audio_seconds") + seconds,
    )


# Assessing (P39): the recording is read from memory and never stored unless the client
# opted in to review, and then only its sound, re-encoded.


@dataclass(frozen=True)
class Clip:
    """A recording ready to assess: plain 16 kHz mono WAV made from the decoded samples (no
    tag or metadata of the original file is in it), and its length."""

    wav: bytes
    seconds: float


def engine_limits() -> audio_io.Limits:
    return audio_io.Limits()


def clip_prepare(*, data: bytes, text: str, language: str) -> Clip:
    """Check the text and language, decode the recording and check that it holds speech.

    Raises the engine's errors (each with a ``code``), so a bad request is refused before any
    job is queued."""
    if len(text) > MAX_TEXT_CHARS:
        raise TextError(f"The reference text is longer than {MAX_TEXT_CHARS} characters.")
    split_reference(text)
    if not LANGUAGE_TAG.match(language):
        raise UnknownLanguage(f"{language[:20]!r} is not a language tag.")
    resolve(language)
    limits = engine_limits()
    samples = audio_io.decode(audio_io.read_input(data, limits), limits)
    if not audio_io.has_speech(samples):
        raise audio_io.NoSpeech("No speech was heard: the recording is silent or holds only noise.")
    return Clip(wav=wav_bytes(samples), seconds=samples.size / audio_io.SAMPLE_RATE)


def wav_bytes(samples: np.ndarray) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(audio_io.SAMPLE_RATE)
        writer.writeframes(samples.astype("<i2").tobytes())
    return out.getvalue()


def clip_assess(*, client: ApiClient, clip: Clip, text: str, language: str) -> dict[str, Any]:
    """The assessment of a prepared clip; keeps the recording if the client opted in."""
    limits = audio_io.Limits(max_seconds=engine_limits().max_seconds + 1.0)
    result = engine_pool.assess(clip.wav, text, language, limits=limits).to_dict()
    if client.review_days:
        review_recording_keep(client=client, clip=clip, text=text, language=language, result=result)
    return result


def sync_seconds() -> float:
    return float(settings.LYCEUM_SPEECH_API_SYNC_SECONDS)


def review_recording_keep(
    *, client: ApiClient, clip: Clip, text: str, language: str, result: dict[str, Any]
) -> ReviewRecording:
    """Keep the recording for the client's quality review, until ``review_days`` from now."""
    now = timezone.now()
    recording = ReviewRecording(
        client=client,
        text=text,
        language=language,
        audio_seconds=clip.seconds,
        result=result,
        created_at=now,
        delete_after=now + timedelta(days=client.review_days),
    )
    recording.audio.save("recording.wav", ContentFile(clip.wav), save=False)
    try:
        recording.save()
    except Exception:
        default_storage.delete(str(recording.audio.name))  # no file without its row
        raise
    return recording


@transaction.atomic
def assessment_job_create(
    *, client: ApiClient, text: str, language: str, seconds: float
) -> AssessmentJob:
    now = timezone.now()
    return AssessmentJob.objects.create(
        client=client,
        text=text,
        language=language,
        audio_seconds=seconds,
        created_at=now,
        expires_at=now + JOB_LOST_AFTER + JOB_RESULT_KEPT,
    )


def assessment_job_run(*, job_id: str, wav: bytes) -> None:
    """The worker's part: assess, then keep the result an hour for the client to fetch.

    Idempotent: a job already taken by a worker is left alone."""
    taken = AssessmentJob.objects.filter(pk=job_id, status=AssessmentJob.Status.QUEUED).update(
        status=AssessmentJob.Status.RUNNING
    )
    if not taken:
        return
    job = AssessmentJob.objects.select_related("client").get(pk=job_id)
    clip = Clip(wav=wav, seconds=job.audio_seconds)
    result: dict[str, Any] | None = None
    code = ""
    try:
        result = clip_assess(client=job.client, clip=clip, text=job.text, language=job.language)
    except Exception as error:  # a job never dies silently: its client is told
        code = getattr(error, "code", "") or "internal_error"
        if code in ("internal_error", "model_missing"):
            logger.exception("Assessment job %s failed", job_id)
    now = timezone.now()
    AssessmentJob.objects.filter(pk=job_id).update(
        status=AssessmentJob.Status.SUCCEEDED
        if result is not None
        else AssessmentJob.Status.FAILED,
        result=result,
        error_code=code,
        finished_at=now,
        expires_at=now + JOB_RESULT_KEPT,
    )


def speech_expired_delete(*, now: datetime | None = None) -> int:
    """Delete the jobs and recordings past their time; fail jobs their worker lost.
    Idempotent: run it as often as wanted."""
    now = now or timezone.now()
    with transaction.atomic():
        AssessmentJob.objects.filter(
            status__in=[AssessmentJob.Status.QUEUED, AssessmentJob.Status.RUNNING],
            created_at__lt=now - JOB_LOST_AFTER,
        ).update(
            status=AssessmentJob.Status.FAILED,
            error_code="internal_error",
            finished_at=now,
            expires_at=now + JOB_RESULT_KEPT,
        )
        jobs, _per_model = AssessmentJob.objects.filter(expires_at__lt=now).delete()
        recordings = _delete_recordings(ReviewRecording.objects.filter(delete_after__lt=now))
    return jobs + recordings
