"""The personal-data register (P01): what every model holds about people, and why.

Each app declares its models in its own ``privacy.py`` (imported when the app is
ready). The register is built once at start-up and never changes afterwards; the
privacy engine (export, erasure, restriction, retention) and the generated policy
read it, and ``lyceum privacy check`` fails when a model that holds personal data
is not declared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    IDENTITY = "identity", _("Identity (name)")
    CONTACT = "contact", _("Contact details")
    ACCOUNT = "account", _("Account and sign-in")
    PREFERENCES = "preferences", _("Preferences")
    SECURITY = "security", _("Security records")
    TECHNICAL = "technical", _("Device and connection (IP address, browser)")
    MEMBERSHIP = "membership", _("Organisation membership")
    LEARNING = "learning", _("Learning records (enrolments, attendance)")
    CONTENT = "content", _("Messages and files you wrote or shared")


class LegalBasis(models.TextChoices):
    """GDPR Art. 6(1)."""

    CONSENT = "consent", _("Consent (GDPR Art. 6(1)(a))")
    CONTRACT = "contract", _("Performance of a contract (GDPR Art. 6(1)(b))")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation (GDPR Art. 6(1)(c))")
    VITAL_INTERESTS = "vital_interests", _("Vital interests (GDPR Art. 6(1)(d))")
    PUBLIC_TASK = "public_task", _("Public task (GDPR Art. 6(1)(e))")
    LEGITIMATE_INTERESTS = "legitimate_interests", _("Legitimate interests (GDPR Art. 6(1)(f))")


class Purpose(models.TextChoices):
    """What personal data is used for; ``privacy.allows(subject, purpose)`` answers per purpose."""

    STORAGE = "storage", _("Storing the data")
    LEGAL_CLAIMS = "legal_claims", _("Establishing, exercising or defending legal claims")
    SERVICE = "service", _("Providing the courses and services you use")
    SECURITY = "security", _("Security alerts and protecting accounts")
    COMMUNICATION = "communication", _("Messages about your courses and account")
    PREFERENCES = "preferences", _("Preferences: remembering your choices on this site")
    ANALYTICS = "analytics", _("Analytics: measuring how the site is used")
    MARKETING = "marketing", _("Marketing: news and offers")
    PROFILING = "profiling", _("Profiling: recommendations based on your activity")


# Purposes resting on legitimate interests, to which a person may object (GDPR Art. 21).
OBJECTABLE = (Purpose.ANALYTICS, Purpose.MARKETING, Purpose.PROFILING)
# Purposes that need the person's consent, recorded in the consent ledger (P06): the cookie
# categories beyond the necessary ones.
CONSENT_PURPOSES = (Purpose.PREFERENCES, Purpose.ANALYTICS, Purpose.MARKETING)
# What restricted data may still be used for (GDPR Art. 18(2)).
ALLOWED_WHEN_RESTRICTED = (Purpose.STORAGE, Purpose.LEGAL_CLAIMS)


class ErasureAction(models.TextChoices):
    DELETE = "delete", _("Deleted")
    ANONYMISE = "anonymise", _("Anonymised")
    HOLD = "hold", _("Kept under a legal hold")


@dataclass(frozen=True)
class Retention:
    """How long rows are kept: ``period`` after the moment in ``anchor_field`` (None: as long
    as the account exists)."""

    period: timedelta | None
    anchor_field: str | None = None
    description: str | Promise = ""
    # Past the period, rows are deleted, or only these fields take these values (e.g. the IP
    # address of an audit event, while the event itself stays).
    anonymise: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Recipient:
    """A processor that receives personal data, and exactly which fields (P18)."""

    name: str
    fields: tuple[str, ...]
    purpose: str | Promise
    # Called by a job after a person's erasure, with the values of ``fields`` the processor
    # received (one dict per row); it must tell the processor to erase them (P48) and raise
    # when the processor did not confirm, so the job retries.
    erase: Callable[[list[dict[str, Any]]], None] | None = None


@dataclass(frozen=True)
class Erasure:
    action: ErasureAction
    # For ANONYMISE: the value each personal field takes (fields not listed are left alone).
    replacements: Mapping[str, object] = field(default_factory=dict)
    # For HOLD: why the rows stay, and for how long: after the erasure, or after each row's
    # own date in ``hold_from`` (an invoice is kept 10 years from its date, not from the day
    # its buyer left). Rows whose hold has already ended are deleted.
    reason: str | Promise = ""
    hold_for: timedelta | None = None
    hold_from: str | None = None


@dataclass(frozen=True)
class Entry:
    """One model that holds personal data."""

    model: type[models.Model]
    # ORM path from a row to its person's user id ("pk" for the user itself). None when no
    # column links the row to the person; ``linked_by`` then says how the engine finds it.
    subject: str | None
    fields: Mapping[str, Category]
    purpose: str | Promise
    legal_basis: LegalBasis
    retention: Retention
    # What erasure does to the rows: deleted (with their files) unless declared otherwise.
    erasure: Erasure = field(default_factory=lambda: Erasure(action=ErasureAction.DELETE))
    recipients: tuple[Recipient, ...] = ()
    # Personal-looking fields that are not personal here, with the reason (e.g. a hash).
    not_personal: Mapping[str, str | Promise] = field(default_factory=dict)
    linked_by: str | Promise = ""
    # Rows about the person that ``subject`` does not reach (e.g. audit events where they
    # acted, or back-office history about them): a filter for their user id.
    also: Callable[[int], models.Q] | None = None
    # What erasure does to the rows ``also`` reaches when they are other people's data (an
    # instructor erased: the attendance they took belongs to their learners): these fields
    # take these values, and only the person's own rows (``subject``) get ``erasure``.
    also_replacements: Mapping[str, object] = field(default_factory=dict)
    # Declared fields shown in an export only as this explanation, never as their value:
    # secrets whose disclosure would let someone else into the account.
    redacted: Mapping[str, str | Promise] = field(default_factory=dict)
    # Fields that belong to whoever a column names, shown in a person's export only on their
    # own rows: {field: column holding the owner's user id}, e.g. the IP address of an audit
    # event is the actor's, not the data of the person the event is about.
    owned_by: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.model._meta.label

    def rows_of(self, user_id: int) -> models.QuerySet[Any]:
        """This entry's rows about one person."""
        condition = models.Q(pk__in=[])
        if self.subject is not None:
            condition |= models.Q(**{self.subject: user_id})
        if self.also is not None:
            condition |= self.also(user_id)
        return self.model._base_manager.filter(condition)

    def own_rows_of(self, user_id: int) -> models.QuerySet[Any]:
        """The rows erasure applies ``erasure`` to: all of ``rows_of``, or only the person's
        own rows when the others are kept for their owners (``also_replacements``)."""
        if not self.also_replacements or self.subject is None:
            return self.rows_of(user_id)
        return self.model._base_manager.filter(**{self.subject: user_id})

    def others_of(self, user_id: int) -> models.QuerySet[Any]:
        """Rows about the person that belong to others (see ``also_replacements``)."""
        if not self.also_replacements or self.also is None or self.subject is None:
            return self.model._base_manager.none()
        return self.model._base_manager.filter(self.also(user_id)).exclude(
            **{self.subject: user_id}
        )

    @property
    def file_fields(self) -> list[str]:
        return [
            f.name
            for f in self.model._meta.concrete_fields
            if isinstance(f, models.FileField) and f.name in self.fields
        ]


@dataclass(frozen=True)
class NotPersonal:
    model: type[models.Model]
    reason: str | Promise

    @property
    def label(self) -> str:
        return self.model._meta.label


@dataclass
class Register:
    entries: dict[str, Entry] = field(default_factory=dict)
    not_personal: dict[str, NotPersonal] = field(default_factory=dict)

    def declare(self, entry: Entry) -> None:
        self._refuse_twice(entry.label)
        self.entries[entry.label] = entry

    def declare_not_personal(
        self, models_: Iterable[type[models.Model]], reason: str | Promise
    ) -> None:
        for model in models_:
            declaration = NotPersonal(model=model, reason=reason)
            self._refuse_twice(declaration.label)
            self.not_personal[declaration.label] = declaration

    def covers(self, model: type[models.Model]) -> bool:
        label = model._meta.label
        return label in self.entries or label in self.not_personal

    def _refuse_twice(self, label: str) -> None:
        if label in self.entries or label in self.not_personal:
            raise ValueError(f"{label} is declared twice in the personal-data register.")


register = Register()
