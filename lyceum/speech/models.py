"""The speech tutor's records: practice sentences set for a class, and learners' attempts.

(The API's clients, keys and usage are added by the API.)"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lyceum.learning.models import Class


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
