"""The speech tutor's records: practice sentences set for a class, and learners' attempts;
the API's clients, their credentials and usage, its jobs, and recordings kept for review."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lyceum.learning.models import Class
from lyceum.orgs.models import Organisation


class PracticeSentence(models.Model):
    """A sentence an instructor sets for a class to practise reading aloud."""

    klass = models.ForeignKey(
        Class, on_delete=models.CASCADE, related_name="practice_sentences", verbose_name=_("class")
    )
    text = models.CharField(_("sentence"), max_length=300)
    language = models.CharField(_("language"), max_length=8, default="en")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("set on"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("practice sentence")
        verbose_name_plural = _("practice sentences")

    def __str__(self) -> str:
        return self.text


class PracticeAttempt(models.Model):
    """One reading by a learner and its assessment: their personal data (export, erasure).
    The recording itself is never kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_attempts"
    )
    sentence = models.ForeignKey(
        PracticeSentence, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(_("sentence read"), max_length=300)
    language = models.CharField(_("language"), max_length=8, default="en")
    pronunciation = models.PositiveSmallIntegerField(_("pronunciation score"))
    accuracy = models.PositiveSmallIntegerField(_("accuracy score"))
    fluency = models.PositiveSmallIntegerField(_("fluency score"))
    completeness = models.PositiveSmallIntegerField(_("completeness score"))
    result = models.JSONField(_("assessment"), default=dict)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "created_at"])]
        verbose_name = _("practice attempt")
        verbose_name_plural = _("practice attempts")

    def __str__(self) -> str:
        return f"{self.text[:40]} ({self.pronunciation})"


# The speech API (P39, P40). Nothing below says anything about the people who speak: an
# API client is an organisation's program, and the speaker is never known to the platform.

MAX_REVIEW_DAYS = 30  # the longest a client may keep recordings for quality review


class ApiClient(models.Model):
    """A program of a client organisation that calls the speech API."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_clients"
    )
    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Set by the school's staff (the client's plan), not by the client.
    requests_per_minute = models.PositiveIntegerField(_("assessments per minute"), default=60)
    # 0: recordings are assessed and forgotten (the default, P39); otherwise kept this many
    # days for the client's quality review, then deleted.
    review_days = models.PositiveSmallIntegerField(
        _("days recordings are kept for review"),
        default=0,
        validators=[MaxValueValidator(MAX_REVIEW_DAYS)],
    )
    oauth_application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="api_client",
    )

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class ApiKey(models.Model):
    """A key of an API client: shown once, stored as a SHA-256 hash of its secret (P40).

    The key reads ``lyk_<prefix>_<secret>``; the prefix finds the row, the secret proves it.
    """

    class Scope(models.TextChoices):
        ASSESS = "assess", _("Assess recordings")
        USAGE = "usage", _("Read usage figures")

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="keys")
    label = models.CharField(_("label"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.CharField(_("scopes"), max_length=100)  # space-separated, as in OAuth2
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"lyk_{self.prefix}_… ({self.label})"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class ApiUsage(models.Model):
    """One client's use of the API on one day (UTC): counts only."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField(_("day"))
    requests = models.PositiveIntegerField(_("assessment requests"), default=0)
    refused = models.PositiveIntegerField(_("refused requests"), default=0)
    audio_seconds = models.FloatField(_("audio assessed (seconds)"), default=0.0)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["client", "day"], name="one_usage_row_per_client_day")
        ]
        verbose_name = _("API usage")
        verbose_name_plural = _("API usage")

    def __str__(self) -> str:
        return f"{self.client_id} {self.day}: {self.requests}"


class AssessmentJob(models.Model):
    """A long recording assessed in the background; its result waits briefly to be fetched.

    The recording itself is never here: it travels to the worker in the job queue only."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    text = models.CharField(_("reference text"), max_length=1000)
    language = models.CharField(_("language"), max_length=16)
    audio_seconds = models.FloatField(default=0.0)
    result = models.JSONField(null=True, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("assessment job")
        verbose_name_plural = _("assessment jobs")

    def __str__(self) -> str:
        return f"{self.pk} ({self.status})"


def _review_path(instance: ReviewRecording, filename: str) -> str:
    # A random name: whatever the client called the file is never kept.
    return f"speech/review/{uuid.uuid4().hex}.wav"


class ReviewRecording(models.Model):
    """A recording kept, at the client's request, for its quality review, and deleted
    ``review_days`` later (P39). Only the sound: re-encoded from the decoded samples, so no
    tag, name or device information of the original file survives."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="recordings")
    audio = models.FileField(upload_to=_review_path)
    text = models.CharField(_("reference text"), max_length=1000)
    language = models.CharField(_("language"), max_length=16)
    audio_seconds = models.FloatField(default=0.0)
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(_("received"), default=timezone.now)
    delete_after = models.DateTimeField(_("deleted after"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("recording kept for review")
        verbose_name_plural = _("recordings kept for review")

    def __str__(self) -> str:
        return f"{self.client_id} {self.created_at:%Y-%m-%d %H:%M}"
