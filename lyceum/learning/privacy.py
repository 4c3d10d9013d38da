"""Learning in the register: enrolments, attendance, invitations, calendar feeds, and what
members write and share in their class's space (P28)."""

from datetime import timedelta

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lyceum.accounts.models import User
from lyceum.learning.models import (
    Announcement,
    Attendance,
    CalendarFeed,
    Class,
    ClassFile,
    ClassInvitation,
    ClassMessage,
    Course,
    Enrolment,
    Lesson,
    Material,
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

_TEACHING = _("Teaching you: your classes, their lessons and your progress.")
_THREE_YEARS = Retention(
    period=timedelta(days=3 * 365),
    anchor_field="created_at",
    description=_("three years, for your certificates and your organisation's reports"),
)

register.declare(
    Entry(
        model=Enrolment,
        subject="user",
        fields={
            "klass": Category.LEARNING,
            "status": Category.LEARNING,
            "source": Category.LEARNING,
            "contract": Category.LEARNING,
            "shares_contact": Category.PREFERENCES,
            "created_at": Category.LEARNING,
            "joined_at": Category.LEARNING,
            "withdrawn_at": Category.LEARNING,
        },
        purpose=_TEACHING,
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention(
            period=timedelta(days=3 * 365),
            anchor_field="withdrawn_at",
            description=_(
                "while you are in the class, then three years, for your certificates and your "
                "organisation's reports"
            ),
        ),
    )
)

register.declare(
    Entry(
        model=Attendance,
        subject="user",
        also=lambda user_id: Q(recorded_by_id=user_id),
        fields={
            "lesson": Category.LEARNING,
            "status": Category.LEARNING,
            "source": Category.LEARNING,
            "recorded_by": Category.LEARNING,
            "created_at": Category.LEARNING,
        },
        owned_by={"status": "user_id", "lesson": "user_id", "source": "user_id"},
        purpose=_(
            "Attendance at your lessons: your own report, your instructors' class report, and "
            "the usage report of the organisation that pays for your place."
        ),
        legal_basis=LegalBasis.CONTRACT,
        retention=_THREE_YEARS,
        # An instructor's erasure leaves their learners' attendance, without their name.
        also_replacements={"recorded_by": None},
    )
)

register.declare(
    Entry(
        model=ClassInvitation,
        subject="accepted_by",
        # Invitations they sent, and those sent to their address that they have not used.
        also=lambda user_id: (
            Q(created_by_id=user_id)
            | Q(email__in=User.objects.filter(pk=user_id).exclude(email=None).values("email"))
        ),
        fields={
            "email": Category.CONTACT,
            "klass": Category.LEARNING,
            "created_by": Category.LEARNING,
            "created_at": Category.LEARNING,
        },
        redacted={},
        not_personal={"token": _("a random secret of the invitation link")},
        purpose=_("Inviting you to a class."),
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention(
            period=timedelta(days=90),
            anchor_field="expires_at",
            description=_("90 days after the invitation expires"),
        ),
        erasure=Erasure(
            action=ErasureAction.ANONYMISE,
            replacements={"email": "", "accepted_by": None, "created_by": None},
        ),
    )
)

register.declare(
    Entry(
        model=CalendarFeed,
        subject="user",
        fields={"token": Category.SECURITY, "created_at": Category.SECURITY},
        redacted={"token": _("the secret address of your calendar feed")},
        purpose=_("Your timetable in your own calendar application."),
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention(
            period=None, description=_("until you revoke it or close your account")
        ),
    )
)

register.declare(
    Entry(
        model=ClassMessage,
        subject="author",
        fields={
            "body": Category.CONTENT,
            "klass": Category.LEARNING,
            "created_at": Category.CONTENT,
        },
        purpose=_("Talking with the members of your class."),
        legal_basis=LegalBasis.CONTRACT,
        retention=_THREE_YEARS,
        # The conversation stays for the others, but no longer under the person's name.
        erasure=Erasure(action=ErasureAction.ANONYMISE, replacements={"author": None}),
    )
)

register.declare(
    Entry(
        model=Announcement,
        subject="author",
        fields={
            "title": Category.CONTENT,
            "body": Category.CONTENT,
            "klass": Category.LEARNING,
            "created_at": Category.CONTENT,
        },
        purpose=_("Instructors' announcements to their classes."),
        legal_basis=LegalBasis.CONTRACT,
        retention=_THREE_YEARS,
        erasure=Erasure(action=ErasureAction.ANONYMISE, replacements={"author": None}),
    )
)

register.declare(
    Entry(
        model=ClassFile,
        subject="uploader",
        fields={
            "file": Category.CONTENT,
            "name": Category.CONTENT,
            "klass": Category.LEARNING,
            "created_at": Category.CONTENT,
        },
        not_personal={
            "size": _("the file's size"),
            "content_type": _("the file's type"),
        },
        purpose=_("Files you share with your class."),
        legal_basis=LegalBasis.CONTRACT,
        retention=_THREE_YEARS,
    )
)

register.declare_not_personal(
    [Course, Class, Lesson, Material], _("the school's courses, classes, lessons and materials")
)
