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
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lyceum.core.fields import EncryptedTextField


class AuditEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(
        null=True, blank=True, db_index=True, help_text=_("Who acted (user id).")
    )
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


class RightsRequest(models.Model):
    """A person's request to use a right (GDPR Arts. 15-21), with its state and outcome.

    Self-service requests by signed-in people go straight through; the others wait at the
    request desk (P47): received, verified (the requester's identity, and a representative's
    authority), in progress, then done or refused, within a month of receipt, extended at
    most once by up to two months with the reason told (GDPR Art. 12(3)). When another
    controller decides about the subject's data (an organisation, the school being its
    processor), the request waits in that organisation's queue instead (P30)."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("Access to your data")
        RECTIFICATION = "rectification", _("Correction of your data")
        ERASURE = "erasure", _("Deletion of your account")
        RESTRICTION = "restriction", _("Restriction of processing")
        OBJECTION = "objection", _("Objection to processing")
        PORTABILITY = "portability", _("A copy of your data to take elsewhere")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        VERIFIED = "verified", _("Identity verified")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Channel(models.TextChoices):
        SELF_SERVICE = "self_service", _("On the site, signed in")
        FORM = "form", _("The public request form")
        STAFF = "staff", _("By email or letter, entered by staff")

    class Verification(models.TextChoices):
        ACCOUNT = "account", _("Signed in to the account")
        EMAIL = "email", _("Confirmed the email address the request came from")
        DOCUMENT = "document", _("Identity document seen (no copy kept)")
        KNOWLEDGE = "knowledge", _("Answered questions only the person could answer")
        AUTHORISATION = "authorisation", _("The person's signed authorisation (representative)")
        ORGANISATION = "organisation", _("Confirmed by the person's organisation")
        OTHER = "other", _("Other evidence (see the note)")

    OPEN = (Status.RECEIVED, Status.VERIFIED, Status.IN_PROGRESS)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    channel = models.CharField(
        _("received through"), max_length=20, choices=Channel.choices, default=Channel.SELF_SERVICE
    )
    # The subject's account, when there is one. Kept (without the person) after an erasure,
    # as the record that it was done.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rights_requests",
    )
    # Who asked, when not a signed-in person asking about themselves: encrypted (P14).
    requester_name = EncryptedTextField(_("requester's name"), blank=True)
    requester_email = EncryptedTextField(_("requester's email address"), blank=True)
    on_behalf = models.BooleanField(_("asks for someone else"), default=False)
    representative_of = EncryptedTextField(_("acting for (company or organisation)"), blank=True)
    subject_name = EncryptedTextField(_("name of the person concerned"), blank=True)
    subject_email = EncryptedTextField(_("email address of the person concerned"), blank=True)
    language = models.CharField(_("language of the answer"), max_length=8, blank=True)
    details = EncryptedTextField(_("what should change"), blank=True)
    outcome = EncryptedTextField(_("answer"), blank=True)
    created_at = models.DateTimeField(_("received"), default=timezone.now)
    due_at = models.DateTimeField(_("due"), db_index=True)
    email_confirmed_at = models.DateTimeField(_("address confirmed"), null=True, blank=True)
    verified_at = models.DateTimeField(_("identity verified"), null=True, blank=True)
    verification_method = models.CharField(
        _("verified by"), max_length=20, choices=Verification.choices, blank=True
    )
    verification_note = EncryptedTextField(_("evidence"), blank=True)
    extended_at = models.DateTimeField(_("extended"), null=True, blank=True)
    extension_reason = EncryptedTextField(_("reason for the extension"), blank=True)
    first_reminder_at = models.DateTimeField(null=True, blank=True)
    second_reminder_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    scheduled_for = models.DateTimeField(_("carried out on"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("handled by"),
    )
    # The controller who decides, when it is not the school: an organisation (P30). Named
    # by content type and key, since the privacy core knows no app above it.
    controller_type = models.ForeignKey(
        "contenttypes.ContentType",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    controller_id = models.PositiveBigIntegerField(null=True, blank=True)
    # The copy of the data sent in answer to an access or portability request.
    export = models.ForeignKey(
        DataExport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What was sent: [{"name", "size", "sent_at", "expires_at", "downloaded_at"}], never data.
    files_sent = models.JSONField(default=list, blank=True)
    # The erasure report: entries, counts, reasons and dates; never the data itself.
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("rights request")
        verbose_name_plural = _("rights requests")
        indexes = [
            models.Index(fields=["kind", "status", "scheduled_for"]),
            models.Index(fields=["controller_type", "controller_id", "status"]),
        ]
        permissions = [("work_request_desk", "Can work the request desk")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("desk:detail", args=[self.public_id])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def reference(self) -> str:
        """What the requester quotes: the first block of the public id."""
        return str(self.public_id).split("-")[0].upper()

    @property
    def routed(self) -> bool:
        """Decided by another controller (an organisation), not by the school (P30)."""
        return self.controller_id is not None


class ProcessingLimit(models.Model):
    """A restriction of all processing (Art. 18) or an objection to one purpose (Art. 21).

    Active while ``lifted_at`` is empty; lifted rows stay as the history."""

    class Kind(models.TextChoices):
        RESTRICTION = "restriction", _("Restriction")
        OBJECTION = "objection", _("Objection")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="processing_limits"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    purpose = models.CharField(_("purpose"), max_length=20, blank=True)
    reason = EncryptedTextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("since"), default=timezone.now)
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("restriction or objection")
        verbose_name_plural = _("restrictions and objections")
        indexes = [models.Index(fields=["user", "lifted_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.purpose}".strip()

    @property
    def purpose_label(self) -> str:
        from lyceum.privacy.register import Purpose

        return str(Purpose(self.purpose).label) if self.purpose else ""


class LegalHold(models.Model):
    """A row kept after its person's erasure because the law requires it (P19).

    Names the row by model and key only; the retention sweep erases the row when the hold
    ends."""

    entry = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    until = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    request = models.ForeignKey(
        RightsRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="holds"
    )

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        constraints = [
            models.UniqueConstraint(fields=["entry", "object_id"], name="one_hold_per_row")
        ]

    def __str__(self) -> str:
        return f"{self.entry} #{self.object_id} until {self.until:%Y-%m-%d}"


class ErasureLedger(models.Model):
    """One line per erased person, holding no personal data: a hash of their account's random
    public id. A restored backup is checked against it, so an erased person never comes back
    (P51)."""

    subject_digest = models.CharField(max_length=64, unique=True)
    erased_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("erasure ledger line")
        verbose_name_plural = _("erasure ledger")

    def __str__(self) -> str:
        return f"erasure of {self.erased_at:%Y-%m-%d %H:%M}"


class ProcessorNotice(models.Model):
    """Telling a processor to erase what it holds about an erased person (P48)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONFIRMED = "confirmed", _("Confirmed")
        FAILED = "failed", _("Failed")

    request = models.ForeignKey(RightsRequest, on_delete=models.CASCADE, related_name="notices")
    processor = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # What the processor must erase (JSON), encrypted, and emptied once it confirms.
    payload = EncryptedTextField(blank=True)

    class Meta:
        verbose_name = _("notice to a processor")
        verbose_name_plural = _("notices to processors")

    def __str__(self) -> str:
        return f"{self.processor}: {self.status}"


class RetentionRun(models.Model):
    """One retention sweep (P49): what kind of data, how many rows, when; never contents."""

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    dry_run = models.BooleanField(default=False)
    # [{"entry": "accounts.UserSession", "action": "deleted", "count": 12}, ...]
    results = models.JSONField(default=list)
    total = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")

    def __str__(self) -> str:
        return f"retention {self.started_at:%Y-%m-%d %H:%M}: {self.total}"


class ConsentRecord(models.Model):
    """One choice in the consent ledger (P06, P07): append-only, the newest per purpose is in
    force. The subject is a person, or a visitor known only by a random first-party id."""

    class Method(models.TextChoices):
        BANNER = "banner", _("Cookie banner")
        BROWSER_SIGNAL = (
            "browser_signal",
            _("Browser signal (Global Privacy Control, Do Not Track)"),
        )
        FORM = "form", _("Your consent settings")
        SCHOOL = "school", _("Your school")
        PARENT = "parent", _("A parent")
        IMPORT = "import", _("Imported")
        SIGNUP = "signup", _("Creating your account")
        NOTICE = "notice", _("The notice of a policy change")
        CARRIED_OVER = "carried_over", _("A refusal made on this browser before signing in")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="consents",
    )
    visitor_id = models.CharField(max_length=32, blank=True, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=20)
    given = models.BooleanField(_("given"))
    method = models.CharField(_("how"), max_length=20, choices=Method.choices)
    notice_version = models.CharField(_("notice version"), max_length=40)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "purpose", "created_at"])]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self) -> str:
        return f"{self.purpose}: {'given' if self.given else 'refused'}"

    @property
    def purpose_label(self) -> str:
        from lyceum.privacy.register import Purpose

        if self.purpose == self.POLICY:
            return str(_("The privacy policy (read and accepted)"))
        return str(Purpose(self.purpose).label)

    # The purpose of a record that says a person accepted (at sign-up) or acknowledged (after
    # a material change) the privacy policy whose version is ``notice_version``.
    POLICY = "policy"


class PolicyVersion(models.Model):
    """One published version of the privacy and cookie policies (P02, P03).

    ``facts`` is what the policies were generated from (the register and the operator's
    settings); ``documents`` the text as published, per language, so that an old version
    reads exactly as it did on the day, whatever the code has become since."""

    version = models.CharField(_("version"), max_length=40, unique=True)
    published_at = models.DateTimeField(_("published"), default=timezone.now, db_index=True)
    material = models.BooleanField(
        _("material change"),
        default=False,
        help_text=_("Everyone signed in is shown a notice until they acknowledge it."),
    )
    summary = models.TextField(_("what changed"), blank=True)
    digest = models.CharField(max_length=64)
    facts = models.JSONField(default=dict)
    documents = models.JSONField(default=dict)

    class Meta:
        ordering = ["-published_at", "-pk"]
        get_latest_by = "published_at"
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")

    def __str__(self) -> str:
        return self.version
