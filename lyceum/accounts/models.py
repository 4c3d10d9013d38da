from __future__ import annotations

import uuid
import zoneinfo
from datetime import date
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lyceum.core.fields import EncryptedCharField, EncryptedTextField


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


class EncryptedDateField(EncryptedTextField):
    """A date encrypted at rest (P14), such as a date of birth: stored as its ISO form, so
    it can be neither searched nor sorted, only read back."""

    def to_python(self, value: Any) -> date | None:
        if value is None or value == "":
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError as error:
            raise ValidationError(_("Enter a valid date."), code="invalid") from error

    def get_prep_value(self, value: Any) -> Any:
        parsed = self.to_python(value)
        return super().get_prep_value(parsed.isoformat() if parsed else None)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> date | None:
        return self.to_python(super().from_db_value(value, expression, connection))

    def value_to_string(self, obj: models.Model) -> str:
        value = self.to_python(self.value_from_object(obj))
        return value.isoformat() if value else ""

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        return models.Field.formfield(self, **{"form_class": forms.DateField, **kwargs})


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account. Sign-up needs only name, email and password (P04)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Empty only for a pseudonymous student (P29), who signs in with a personal code.
    email = models.EmailField(_("email address"), unique=True, null=True, blank=True)
    name = models.CharField(_("full name"), max_length=150)
    display_name = models.CharField(
        _("display name"),
        max_length=80,
        blank=True,
        help_text=_(
            "Shown to classmates and instructors instead of your full name, if you prefer."
        ),
    )
    pronouns = models.CharField(
        _("pronouns"),
        max_length=40,
        blank=True,
        help_text=_("So that instructors and classmates address you as you wish."),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of the site and of the emails we send you."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("Lesson times are shown in this time zone."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("staff"), default=False, help_text=_("Works for the school and can use the back office.")
    )
    is_instructor = models.BooleanField(_("instructor"), default=False)
    is_dpo = models.BooleanField(_("data protection officer"), default=False)
    is_pseudonymous = models.BooleanField(
        _("pseudonymous"),
        default=False,
        help_text=_("Joined a class under a pseudonym, without an email address."),
    )
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # Asked at sign-up (P31): under LYCEUM_CHILD_AGE the account waits for consent. Empty for
    # accounts made by a school or an organisation, and for those made before it was asked.
    date_of_birth = EncryptedDateField(_("date of birth"), null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email__isnull=False) | models.Q(is_pseudonymous=True),
                name="email_unless_pseudonymous",
            )
        ]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.shown_name

    @property
    def shown_name(self) -> str:
        """The name other people see; none once the account is being deleted (P43)."""
        if not self.is_active:
            return str(_("Former member"))
        return self.display_name or self.name or (self.email or "").split("@")[0]

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.shown_name


class UserSession(AbstractBaseSession):
    """A browser session, indexed by its person so erasure can revoke it at once (P43)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sessions",
    )

    class Meta:
        verbose_name = _("sign-in session")
        verbose_name_plural = _("sign-in sessions")

    @classmethod
    def get_session_store_class(cls) -> type[Any]:
        from lyceum.accounts.sessions import SessionStore

        return SessionStore


class PseudonymKey(models.Model):
    """How a pseudonymous student signs in: a personal code ``HANDLE-SECRET``. The handle
    finds the key; only a hash of the secret is kept, so a lost code is replaced, never shown
    again."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pseudonym_key"
    )
    handle = models.CharField(max_length=8, unique=True)
    secret_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pseudonym sign-in code")
        verbose_name_plural = _("pseudonym sign-in codes")

    def __str__(self) -> str:
        return self.handle


class ChildConsent(models.Model):
    """Why the account of a child may be used (P31): a parent's consent, given by email and
    confirmed again in a second, later email ("email plus"), or the consent of the school
    that invited the child. Until then the account is held and keeps only what asking for
    consent needs; without consent by ``deadline`` it is erased.

    One row per child account, also for students a school enrolled under a pseudonym (the
    school answers for them, whatever their age). The audit log keeps every step."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for consent")
        GIVEN = "given", _("Consent given")
        WITHDRAWN = "withdrawn", _("Consent withdrawn")

    class Method(models.TextChoices):
        PARENT_EMAIL_PLUS = (
            "parent_email_plus",
            _("A parent, by email, confirmed again in a second, later email"),
        )
        SCHOOL = "school", _("The school that invited the child")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="child_consent"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    method = models.CharField(
        _("how consent was given"), max_length=20, choices=Method.choices, blank=True
    )
    parent_email = EncryptedCharField(_("parent's email address"), max_length=254, blank=True)
    # A keyed hash of the address, so that a parent who asks for a new link is found without
    # the address ever being stored readable.
    parent_email_digest = models.CharField(max_length=64, blank=True, db_index=True)
    school = models.CharField(
        _("school whose consent covers the account"), max_length=200, blank=True
    )
    school_class = models.CharField(
        _("class the school invited the child to"), max_length=200, blank=True
    )
    requested_at = models.DateTimeField(_("account created"), default=timezone.now)
    deadline = models.DateTimeField(_("erased if there is no consent by"), db_index=True)
    requests_sent = models.PositiveSmallIntegerField(_("requests emailed to the parent"), default=0)
    request_sent_at = models.DateTimeField(
        _("request emailed to the parent"), null=True, blank=True
    )
    first_confirmed_at = models.DateTimeField(_("first confirmation"), null=True, blank=True)
    second_due_at = models.DateTimeField(
        _("second confirmation email due"), null=True, blank=True, db_index=True
    )
    second_sent_at = models.DateTimeField(
        _("second confirmation email sent"), null=True, blank=True
    )
    given_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("consent withdrawn"), null=True, blank=True)
    paused_at = models.DateTimeField(_("collection stopped by the parent"), null=True, blank=True)
    # Changes whenever a link must stop working: a step used, another parent address.
    nonce = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("parental or school consent")
        verbose_name_plural = _("parental and school consents")
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.get_method_display() or '-'})"

    @property
    def holds_account(self) -> bool:
        """Is the child kept out of their account (no consent in force, or paused)?"""
        return self.status != self.Status.GIVEN or self.paused_at is not None
