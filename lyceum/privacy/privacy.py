"""The privacy app's own models, and Django's, in the register (core sits below privacy)."""

from datetime import timedelta

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.utils.translation import gettext_lazy as _

from lyceum.privacy.models import AuditEvent, AuditHead, DataExport
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

register.declare(
    Entry(
        model=DataExport,
        subject="user",
        fields={
            "archive": Category.ACCOUNT,
            "status": Category.ACCOUNT,
            "requested_at": Category.ACCOUNT,
            "expires_at": Category.ACCOUNT,
        },
        redacted={"archive": _("the archive itself, which is this copy")},
        purpose=_("The copies of your data you asked for."),
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=Retention(
            period=timedelta(0), anchor_field="expires_at", description=_("seven days")
        ),
        erasure=Erasure(action=ErasureAction.DELETE),
    )
)

register.declare_not_personal([AuditHead], _("the tip of the audit chain: a hash and two counters"))

register.declare(
    Entry(
        model=Session,
        subject=None,
        linked_by=_("the signed-in person's id inside the encoded session data"),
        fields={"session_data": Category.ACCOUNT, "expire_date": Category.ACCOUNT},
        redacted={"session_data": _("the key that keeps you signed in")},
        purpose=_("Keeping you signed in."),
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention(
            period=timedelta(0),
            anchor_field="expire_date",
            description=_("until the session expires (two weeks at most)"),
        ),
        erasure=Erasure(action=ErasureAction.DELETE),
    )
)

register.declare(
    Entry(
        model=LogEntry,
        subject="user",
        fields={
            "object_repr": Category.IDENTITY,
            "change_message": Category.SECURITY,
            "action_time": Category.SECURITY,
        },
        not_personal={"object_id": _("the primary key of the changed row")},
        purpose=_("The back office's history of changes made by staff."),
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention(
            period=timedelta(days=365),
            anchor_field="action_time",
            description=_("one year"),
        ),
        erasure=Erasure(action=ErasureAction.DELETE),
    )
)

register.declare_not_personal(
    [Permission, Group, ContentType], _("Django's catalogue of permissions and models")
)
