"""The privacy app's own models in the register."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from lyceum.privacy.models import AuditEvent, AuditHead
from lyceum.privacy.register import (
    Category,
    Entry,
    Erasure,
    ErasureAction,
    LegalBasis,
    Retention,
    register,
)

register.declare(
    Entry(
        model=AuditEvent,
        subject="subject_id",
        fields={
            "actor_id": Category.SECURITY,
            "ip": Category.TECHNICAL,
            "user_agent": Category.TECHNICAL,
        },
        not_personal={
            "changed_fields": _("names of the fields that changed, never their values"),
            "origin_salt": _("a random salt, erased with the IP address it protects"),
        },
        purpose=_(
            "Security and accountability: a tamper-evident record of sign-ins, failed sign-ins "
            "and changes to accounts, and of who looked at or changed personal data."
        ),
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention(
            period=timedelta(days=90),
            anchor_field="created_at",
            description=_("IP address and browser: 90 days; the event itself: 6 years"),
        ),
        erasure=Erasure(
            action=ErasureAction.ANONYMISE,
            replacements={"ip": None, "user_agent": "", "origin_salt": ""},
        ),
    )
)

register.declare_not_personal([AuditHead], _("the tip of the audit chain: a hash and two counters"))
