from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lyceum.core.models import TimeStampedModel


class Organisation(TimeStampedModel):
    """A client of the school: a company training its staff or an educational institution."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        INSTITUTION = "institution", _("Institution")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet["Membership"]):
    def accepted(self) -> MembershipQuerySet:
        return self.filter(accepted_at__isnull=False)


class Membership(TimeStampedModel):
    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        ADMIN = "admin", _("Client administrator")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    # An organisation may invite someone who already has an account: until they accept, the
    # organisation sees nothing of them but the address it typed, and gives them no seat.
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    token = models.CharField(max_length=64, blank=True, db_index=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="one_membership_per_org")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class Contract(TimeStampedModel):
    """What a client bought: seats in some courses for a period, and who controls the data."""

    class Controller(models.TextChoices):
        SCHOOL = "school", _("The school is the controller of the members' data")
        ORGANISATION = (
            "organisation",
            _("The organisation is the controller; the school is its processor"),
        )

    class RecordingRetention(models.TextChoices):
        DAYS_7 = "7d", _("7 days")
        DAYS_14 = "14d", _("14 days")
        UNTIL_ASKED = "asked", _("Until the organisation asks (at most 5 years after the contract)")

    # Recordings kept "until asked" still go this many years after the contract ends.
    RECORDINGS_MAX_YEARS_AFTER_END = 5

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="contracts"
    )
    reference = models.CharField(_("reference"), max_length=60)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    seats = models.PositiveIntegerField(
        _("seats"), help_text=_("How many places in classes the contract pays for.")
    )
    controller = models.CharField(
        _("data controller"),
        max_length=20,
        choices=Controller.choices,
        default=Controller.SCHOOL,
    )
    recording_retention = models.CharField(
        _("recordings of live classes kept"),
        max_length=10,
        choices=RecordingRetention.choices,
        default=RecordingRetention.DAYS_14,
    )
    # Processor mode (P30): members' requests always go to the organisation's administrators;
    # with this, so do the members' own downloads of their data and deletions of their account.
    self_service_via_organisation = models.BooleanField(
        _("members' own downloads and deletions need the organisation's decision"),
        default=False,
        help_text=_(
            "Only when the organisation is the controller. A member who asks for a copy of "
            "their data or deletes their account is told that the organisation's "
            "administrators decide, and the request waits in their queue."
        ),
    )

    class Meta:
        ordering = ["-starts_on", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="contract_ends_after_it_starts",
            ),
            models.UniqueConstraint(
                fields=["organisation", "reference"], name="one_reference_per_org"
            ),
            models.CheckConstraint(
                condition=models.Q(self_service_via_organisation=False)
                | models.Q(controller="organisation"),
                name="self_service_routing_needs_organisation_controller",
            ),
        ]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")

    def __str__(self) -> str:
        return f"{self.organisation} – {self.reference}"

    def is_current(self, on: date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.starts_on <= on <= self.ends_on

    def recording_kept_for(self, recorded_on: date) -> timedelta:
        """How long a recording made on ``recorded_on`` is kept under this contract."""
        if self.recording_retention == self.RecordingRetention.DAYS_7:
            return timedelta(days=7)
        if self.recording_retention == self.RecordingRetention.DAYS_14:
            return timedelta(days=14)
        ends, years = self.ends_on, self.RECORDINGS_MAX_YEARS_AFTER_END
        try:
            last = ends.replace(year=ends.year + years)
        except ValueError:  # 29 February, in a year that has none
            last = ends.replace(year=ends.year + years, day=28)
        return last - recorded_on
