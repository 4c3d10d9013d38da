"""Django's own models in the register."""

from datetime import timedelta

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.utils.translation import gettext_lazy as _

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
