"""The audit log (P15, P16): append-only and hash-chained.

Each event's hash covers the previous event's hash and every field of the event,
so an edited, inserted or removed row breaks the chain. The request's IP address
and user agent are personal data with their own retention: they are covered
through ``origin_digest`` = SHA-256(salt, ip, user agent). Erasing them blanks the
three together, which the chain allows, and nothing else can be changed unseen.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, help_text=_("Who acted (user id)."))
    action = models.CharField(max_length=80, db_index=True)
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    subject_id = models.BigIntegerField(
        null=True, blank=True, db_index=True, help_text=_("Whose data it concerns (user id).")
    )
    changed_fields = models.JSONField(default=list, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    origin_salt = models.CharField(max_length=32, blank=True)
    origin_digest = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"#{self.pk} {self.action}"


class AuditHead(models.Model):
    """The chain's tip: one row, locked while an event is appended, so appends are serial."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit chain at event {self.last_id}"


class DataExport(models.Model):
    """A person's copy of their data (P41): built by a job, downloadable for 7 days."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    archive = models.FileField(upload_to="private/exports/", blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("copy of your data")
        verbose_name_plural = _("copies of your data")

    def __str__(self) -> str:
        return f"export {self.public_id}"
