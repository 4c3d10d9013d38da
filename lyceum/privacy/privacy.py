"""The privacy app's own models, and Django's, in the register (core sits below privacy)."""

from datetime import timedelta

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lyceum.privacy.models import (
    AuditEvent,
    AuditHead,
    ConsentRecord,
    DataExport,
    ErasureLedger,
    LegalHold,
    PolicyVersion,
    ProcessingLimit,
    ProcessorNotice,
    RetentionRun,
    RightsRequest,
)
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
        also=lambda user_id: Q(actor_id=user_id),
        fields={
            "created_at": Category.SECURITY,
            "action": Category.SECURITY,
            "actor_id": Category.SECURITY,
            "ip": Category.TECHNICAL,
            "user_agent": Category.TECHNICAL,
        },
        owned_by={"ip": "actor_id", "user_agent": "actor_id"},
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
            description=_(
                "IP address and browser: 90 days; the record of what happened, without them, "
                "as long as the log must stay verifiable"
            ),
            anonymise={"ip": None, "user_agent": "", "origin_salt": ""},
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
    )
)

register.declare_not_personal([AuditHead], _("the tip of the audit chain: a hash and two counters"))

register.declare(
    Entry(
        model=RightsRequest,
        subject="user",
        fields={
            "kind": Category.ACCOUNT,
            "status": Category.ACCOUNT,
            "channel": Category.ACCOUNT,
            "details": Category.ACCOUNT,
            "outcome": Category.ACCOUNT,
            "created_at": Category.ACCOUNT,
            "due_at": Category.ACCOUNT,
            "completed_at": Category.ACCOUNT,
            # The request desk (P47): who asked (the person, or their representative), about
            # whom, and how their identity was checked.
            "requester_name": Category.IDENTITY,
            "requester_email": Category.CONTACT,
            "representative_of": Category.IDENTITY,
            "subject_name": Category.IDENTITY,
            "subject_email": Category.CONTACT,
            "email_confirmed_at": Category.SECURITY,
            "verification_method": Category.SECURITY,
            "verification_note": Category.SECURITY,
            "extension_reason": Category.ACCOUNT,
        },
        not_personal={
            "handled_by": _("the member of staff who answered"),
            "report": _("what an erasure did: kinds of data, counts and dates"),
            "export": _("the copy of your data sent in answer, which has its own entry"),
            "files_sent": _("names, sizes and dates of the files sent in answer"),
        },
        purpose=_("Answering the requests you make about your data, and showing that we did."),
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=Retention(
            period=timedelta(days=3 * 365), anchor_field="created_at", description=_("three years")
        ),
        erasure=Erasure(
            action=ErasureAction.HOLD,
            replacements={
                "details": "",
                "outcome": "",
                "requester_name": "",
                "requester_email": "",
                "subject_name": "",
                "subject_email": "",
                "verification_note": "",
                "extension_reason": "",
            },
            reason=_(
                "We must be able to show that we answered your requests (GDPR Art. 5(2)). "
                "What you wrote in them is erased; only their kind, status and dates stay."
            ),
            hold_for=timedelta(days=3 * 365),
        ),
    )
)

register.declare(
    Entry(
        model=ProcessingLimit,
        subject="user",
        fields={
            "kind": Category.PREFERENCES,
            "purpose": Category.PREFERENCES,
            "reason": Category.PREFERENCES,
            "created_at": Category.PREFERENCES,
            "lifted_at": Category.PREFERENCES,
        },
        purpose=_("Respecting the restrictions and objections you asked for."),
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=Retention(period=None, description=_("as long as you keep your account")),
    )
)

register.declare_not_personal(
    [ErasureLedger], _("hashes of erased accounts' random identifiers, which identify nobody")
)
register.declare(
    Entry(
        model=ProcessorNotice,
        subject=None,
        linked_by=_(
            "what an erased person's processors must erase, kept encrypted until each "
            "processor confirms, then emptied"
        ),
        fields={"payload": Category.CONTACT},
        not_personal={
            "last_error": _("the processor's technical answer"),
            "request": _("the erasure it belongs to"),
        },
        purpose=_("Telling processors to erase your data when you delete your account."),
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=Retention(
            period=timedelta(days=90),
            anchor_field="updated_at",
            description=_("until the processor confirms; 90 days at most"),
            anonymise={"payload": ""},
        ),
        erasure=Erasure(action=ErasureAction.ANONYMISE, replacements={"payload": ""}),
    )
)

register.declare_not_personal(
    [LegalHold, RetentionRun],
    _("the privacy engine's bookkeeping: kinds of data, counts, dates and row numbers"),
)

register.declare(
    Entry(
        model=LogEntry,
        subject="user",
        also=lambda user_id: Q(
            # The content type is cached, so the query uses the log's (type, object) index.
            content_type=ContentType.objects.get_by_natural_key("accounts", "user"),
            object_id=str(user_id),
        ),
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
    )
)

register.declare_not_personal(
    [Permission, Group, ContentType], _("Django's catalogue of permissions and models")
)

register.declare(
    Entry(
        model=ConsentRecord,
        subject="user",
        fields={
            "purpose": Category.PREFERENCES,
            "given": Category.PREFERENCES,
            "method": Category.PREFERENCES,
            "notice_version": Category.PREFERENCES,
            "created_at": Category.PREFERENCES,
            "user_agent": Category.TECHNICAL,
            "visitor_id": Category.TECHNICAL,
        },
        purpose=_(
            "Proof of the choices you made about cookies, analytics and marketing, and "
            "honouring them."
        ),
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        linked_by=_("your account, or the random id of your browser for visitors"),
        retention=Retention(
            period=timedelta(days=395),
            anchor_field="created_at",
            description=_("13 months, after which you are asked again"),
        ),
    )
)

register.declare_not_personal(
    [PolicyVersion], _("the published versions of the privacy and cookie policies")
)
