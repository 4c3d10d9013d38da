"""Every write to learning: keyword-only, atomic, audit-logged in the same transaction."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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
    new_code,
    new_token,
)
from lyceum.orgs.models import Contract, Membership
from lyceum.privacy.audit import audit_record

INVITATION_LIFETIME = timedelta(days=14)


class LearningError(Exception):
    """A request that cannot be carried out; the message is for the person who asked."""


# Courses, classes, lessons ----------------------------------------------------------------


@transaction.atomic
def course_create(
    *,
    actor: User | None,
    title: str,
    level: str,
    language: str = "en",
    description: str = "",
    self_enrolment: bool = False,
    slug: str = "",
) -> Course:
    course = Course.objects.create(
        title=title,
        slug=slug or slugify(title),
        level=level,
        language=language,
        description=description,
        self_enrolment=self_enrolment,
    )
    audit_record(action="course.created", actor=actor, target=course)
    return course


@transaction.atomic
def class_create(
    *,
    actor: User | None,
    course: Course,
    title: str,
    instructors: Iterable[User] = (),
    capacity: int = 12,
    time_zone: str = "UTC",
    schedule: str = "",
    starts_on: date | None = None,
    ends_on: date | None = None,
    organisation: Any = None,
    allows_pseudonyms: bool = False,
) -> Class:
    klass = Class.objects.create(
        course=course,
        title=title,
        capacity=capacity,
        time_zone=time_zone,
        schedule=schedule,
        starts_on=starts_on,
        ends_on=ends_on,
        organisation=organisation,
        allows_pseudonyms=allows_pseudonyms,
        code=_unused_code(),
    )
    klass.instructors.set(list(instructors))
    audit_record(action="class.created", actor=actor, target=klass)
    return klass


def _unused_code() -> str:
    while True:
        code = new_code()
        if not Class.objects.filter(code=code).exists():
            return code


@transaction.atomic
def class_code_renew(*, actor: User, klass: Class) -> Class:
    """A new class code: the old one, if it leaked, lets nobody else join."""
    klass.code = _unused_code()
    klass.save(update_fields=["code", "updated_at"])
    audit_record(action="class.code.renewed", actor=actor, target=klass, changed_fields=["code"])
    return klass


@transaction.atomic
def class_update(*, actor: User, klass: Class, data: dict[str, Any]) -> list[str]:
    fields = (
        "title",
        "capacity",
        "time_zone",
        "schedule",
        "starts_on",
        "ends_on",
        "allows_pseudonyms",
    )
    changed = [f for f in fields if f in data and getattr(klass, f) != data[f]]
    for name in changed:
        setattr(klass, name, data[name])
    if changed:
        klass.save(update_fields=[*changed, "updated_at"])
        audit_record(action="class.updated", actor=actor, target=klass, changed_fields=changed)
    return changed


def local_to_aware(day: date, at: Any, time_zone: str) -> datetime:
    """A wall-clock time in a time zone (as an instructor types it) as an aware instant."""
    return datetime.combine(day, at).replace(tzinfo=zoneinfo.ZoneInfo(time_zone))


@transaction.atomic
def lesson_schedule(
    *,
    actor: User,
    klass: Class,
    starts_at: datetime,
    duration: int,
    topic: str,
    homework: str = "",
    weeks: int = 1,
) -> list[Lesson]:
    """One lesson, or the same lesson weekly for ``weeks`` weeks at the same local time (so a
    series keeps its wall-clock hour across a change to or from daylight saving time)."""
    if timezone.is_naive(starts_at):
        raise ValueError("starts_at must be aware")
    local = starts_at.astimezone(zoneinfo.ZoneInfo(klass.time_zone))
    lessons = []
    for week in range(weeks):
        day = local.date() + timedelta(weeks=week)
        at = local_to_aware(day, local.time().replace(tzinfo=None), klass.time_zone)
        lessons.append(
            Lesson(klass=klass, starts_at=at, duration=duration, topic=topic, homework=homework)
        )
    created = Lesson.objects.bulk_create(lessons)
    for lesson in created:
        audit_record(action="lesson.scheduled", actor=actor, target=lesson)
    return created


@transaction.atomic
def lesson_update(*, actor: User, lesson: Lesson, data: dict[str, Any]) -> list[str]:
    fields = ("starts_at", "duration", "topic", "homework", "is_cancelled")
    changed = [f for f in fields if f in data and getattr(lesson, f) != data[f]]
    for name in changed:
        setattr(lesson, name, data[name])
    if changed:
        lesson.save(update_fields=[*changed, "updated_at"])
        audit_record(action="lesson.updated", actor=actor, target=lesson, changed_fields=changed)
    return changed


# Enrolment --------------------------------------------------------------------------------


def _seats_used(contract: Contract) -> int:
    return contract.enrolments.filter(status=Enrolment.Status.ACTIVE).count()


@transaction.atomic
def enrol(
    *,
    actor: User | None,
    klass: Class,
    user: User,
    source: Enrolment.Source,
    contract: Contract | None = None,
) -> Enrolment:
    """Enrol a person in a class. The class's row (and the contract's, for a seat) is locked
    first, so parallel requests can never enrol more people than there is room for."""
    klass = Class.objects.select_for_update().get(pk=klass.pk)
    if Enrolment.objects.filter(klass=klass, user=user, status=Enrolment.Status.ACTIVE).exists():
        raise LearningError(_("%(name)s is already in this class.") % {"name": user.shown_name})
    if not user.is_active:
        raise LearningError(_("This account is closed."))
    if klass.ends_on is not None and klass.ends_on < timezone.localdate():
        raise LearningError(_("This class has ended."))
    active = klass.enrolments.filter(status=Enrolment.Status.ACTIVE).count()
    if active >= klass.capacity:
        raise LearningError(_("This class is full."))
    if contract is not None:
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        _check_seat(contract=contract, klass=klass, user=user)
    # A new row for each stay in the class: an earlier stay keeps its own dates and how it
    # was paid for, so a client never sees what a member did there before it paid.
    enrolment = Enrolment.objects.create(klass=klass, user=user, source=source, contract=contract)
    audit_record(action="enrolment.created", actor=actor, target=enrolment, subject=user)
    return enrolment


def _check_seat(*, contract: Contract, klass: Class, user: User) -> None:
    if not contract.is_current():
        raise LearningError(_("The contract %(ref)s is not running.") % {"ref": contract.reference})
    if not contract.courses.filter(pk=klass.course_id).exists():
        raise LearningError(
            _("The contract %(ref)s does not cover this course.") % {"ref": contract.reference}
        )
    if klass.organisation_id not in (None, contract.organisation_id):
        raise LearningError(_("This class is run for another organisation."))
    member = Membership.objects.accepted().filter(organisation=contract.organisation_id, user=user)
    if not member.exists():
        raise LearningError(
            _("%(name)s is not a member of the organisation.") % {"name": user.shown_name}
        )
    if _seats_used(contract) >= contract.seats:
        raise LearningError(
            _("Every seat of the contract %(ref)s is taken.") % {"ref": contract.reference}
        )


@transaction.atomic
def seats_assign(
    *, actor: User, contract: Contract, klass: Class, users: list[User]
) -> list[Enrolment]:
    """Give each of ``users`` a seat of the contract in the class: all of them, or none."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    free = contract.seats - _seats_used(contract)
    if len(users) > free:
        raise LearningError(
            ngettext(
                "Only %(free)d seat is left, for %(asked)d people.",
                "Only %(free)d seats are left, for %(asked)d people.",
                free,
            )
            % {"free": free, "asked": len(users)}
        )
    return [
        enrol(
            actor=actor,
            klass=klass,
            user=user,
            source=Enrolment.Source.CONTRACT,
            contract=contract,
        )
        for user in users
    ]


@transaction.atomic
def enrolment_withdraw(*, actor: User | None, enrolment: Enrolment) -> Enrolment:
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.status != Enrolment.Status.WITHDRAWN:
        enrolment.status = Enrolment.Status.WITHDRAWN
        enrolment.withdrawn_at = timezone.now()
        enrolment.save(update_fields=["status", "withdrawn_at", "updated_at"])
        audit_record(
            action="enrolment.withdrawn",
            actor=actor,
            target=enrolment,
            subject=enrolment.user_id,
            changed_fields=["status"],
        )
    return enrolment


def self_enrol(*, user: User, klass: Class) -> Enrolment:
    if not (klass.course.self_enrolment and klass.course.is_published):
        raise LearningError(_("This course is not open to self-enrolment."))
    if klass.organisation_id is not None:
        raise LearningError(_("This class is run for one organisation only."))
    return enrol(actor=user, klass=klass, user=user, source=Enrolment.Source.SELF)


@transaction.atomic
def enrolment_share_contact(*, user: User, enrolment: Enrolment, shares: bool) -> None:
    if enrolment.shares_contact != shares:
        enrolment.shares_contact = shares
        enrolment.save(update_fields=["shares_contact", "updated_at"])
        audit_record(
            action="enrolment.contact_sharing",
            actor=user,
            target=enrolment,
            subject=user,
            changed_fields=["shares_contact"],
        )


# Invitations ------------------------------------------------------------------------------


@transaction.atomic
def class_invitation_create(
    *, actor: User, klass: Class, email: str = "", base_url: str = ""
) -> ClassInvitation:
    """A link to share (no address), or an invitation emailed to one address."""
    invitation = ClassInvitation.objects.create(
        klass=klass,
        email=email.strip().lower(),
        is_personal=bool(email.strip()),
        created_by=actor,
        expires_at=timezone.now() + INVITATION_LIFETIME,
        token=new_token(),
    )
    audit_record(action="class.invitation.created", actor=actor, target=invitation)
    if invitation.email:
        link = base_url.rstrip("/") + reverse("learning:join", args=[invitation.token])
        existing = User.objects.filter(email__iexact=invitation.email).first()
        language = existing.language if existing else translation.get_language()
        with translation.override(language):
            subject = _("You are invited to %(class)s") % {"class": klass}
            body = render_to_string(
                "learning/invitation_email.txt",
                {
                    "klass": klass,
                    "link": link,
                    "inviter": actor,
                    "expires_at": invitation.expires_at,
                    "school": settings.LYCEUM_SCHOOL,
                },
            )
        transaction.on_commit(lambda: send_mail(subject, body, None, [invitation.email]))
    return invitation


def invitation_usable(token: str) -> ClassInvitation | None:
    return (
        ClassInvitation.objects.select_related("klass__course")
        .filter(token=token, revoked_at=None, expires_at__gt=timezone.now())
        # A personal invitation works once, and never once its address is erased.
        .exclude(Q(is_personal=True) & (Q(accepted_by__isnull=False) | Q(email="")))
        .first()
    )


@transaction.atomic
def class_invitation_accept(*, invitation: ClassInvitation, user: User) -> Enrolment:
    if (
        invitation.is_personal
        and not EmailAddress.objects.filter(
            user=user, email__iexact=invitation.email, verified=True
        ).exists()
    ):
        raise LearningError(
            _(
                "This invitation was sent to another address. Sign in with the account of "
                "the address it was sent to."
            )
        )
    enrolment = enrol(
        actor=user, klass=invitation.klass, user=user, source=Enrolment.Source.INVITATION
    )
    _school_consent(user=user, klass=invitation.klass)
    if invitation.is_personal:
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_by", "updated_at"])
    return enrolment


@transaction.atomic
def class_invitation_revoke(*, actor: User, invitation: ClassInvitation) -> None:
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])
    audit_record(action="class.invitation.revoked", actor=actor, target=invitation)


@transaction.atomic
def pseudonym_join(*, klass: Class, pseudonym: str) -> tuple[User, str, Enrolment]:
    """A student joins with the class code under a pseudonym (P29): an account without an
    email address, and a personal code to sign in with next time."""
    from lyceum.accounts.services import pseudonym_create

    if not klass.allows_pseudonyms:
        raise LearningError(_("This class does not take students under a pseudonym."))
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    user, code = pseudonym_create(
        actor=None, pseudonym=pseudonym, time_zone=klass.time_zone, language=language
    )
    enrolment = enrol(actor=user, klass=klass, user=user, source=Enrolment.Source.PSEUDONYM)
    _school_consent(user=user, klass=klass)
    return user, code, enrolment


def _school_consent(*, user: User, klass: Class) -> None:
    """Joining through a teacher's or an institution's invitation or class code: the school
    answers for a child waiting for consent, and for a student under a pseudonym (P31)."""
    from lyceum.accounts.children import school_consent_record

    organisation = klass.organisation
    school = organisation.name if organisation is not None else settings.LYCEUM_SCHOOL["name"]
    school_consent_record(user=user, school=school, school_class=str(klass))


# Attendance -------------------------------------------------------------------------------


def stays_at(lesson: Lesson) -> QuerySet[Enrolment]:
    """The enrolments in the lesson's class that lasted over its start (those who have left
    since included, so their attendance can still be corrected)."""
    return lesson.klass.enrolments.filter(joined_at__lte=lesson.starts_at).filter(
        Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=lesson.starts_at)
    )


@transaction.atomic
def attendance_record(
    *,
    actor: User | None,
    lesson: Lesson,
    marks: dict[int, str],
    source: Attendance.Source = Attendance.Source.INSTRUCTOR,
) -> int:
    """Record attendance for the lesson, ``{user id: status}``; only the class's enrolled
    learners can be marked, at a lesson that has started and is not cancelled. Returns how
    many records changed."""
    if lesson.is_cancelled:
        raise LearningError(_("This lesson is cancelled: it has no attendance."))
    if lesson.starts_at > timezone.now():
        raise LearningError(_("This lesson has not started yet."))
    covering = set(stays_at(lesson).values_list("user_id", flat=True))
    enrolled = covering | set(
        lesson.klass.enrolments.filter(status=Enrolment.Status.ACTIVE).values_list(
            "user_id", flat=True
        )
    )
    if unknown := set(marks) - enrolled:
        raise LearningError(
            _("%(count)d of these people are not in this class.") % {"count": len(unknown)}
        )
    valid = set(Attendance.Status.values)
    if bad := {s for s in marks.values() if s not in valid}:
        raise LearningError(_("Unknown attendance: %(values)s") % {"values": ", ".join(bad)})
    # A learner added after this lesson whose attendance is taken now: it counts for them
    # (unless an earlier stay of theirs covers it already).
    Enrolment.objects.filter(
        klass=lesson.klass,
        user_id__in=set(marks) - covering,
        status=Enrolment.Status.ACTIVE,
        joined_at__gt=lesson.starts_at,
    ).update(joined_at=lesson.starts_at)
    existing = {a.user_id: a for a in Attendance.objects.filter(lesson=lesson)}
    changed = 0
    for user_id, status in marks.items():
        record = existing.get(user_id)
        if record is None:
            record = Attendance.objects.create(
                lesson=lesson, user_id=user_id, status=status, source=source, recorded_by=actor
            )
        elif record.status != status:
            record.status, record.source, record.recorded_by = status, source, actor
            record.save(update_fields=["status", "source", "recorded_by", "updated_at"])
        else:
            continue
        changed += 1
        audit_record(
            action="attendance.recorded",
            actor=actor,
            target=record,
            subject=user_id,
            changed_fields=["status"],
        )
    return changed


# Calendar feed ----------------------------------------------------------------------------


def calendar_feed_of(user: User) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def calendar_feed_reset(*, user: User) -> CalendarFeed:
    """A new secret address: the old one stops working at once."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    feed.token = new_token()
    feed.save(update_fields=["token", "updated_at"])
    audit_record(action="calendar_feed.reset", actor=user, target=feed, subject=user)
    return feed


# The class space --------------------------------------------------------------------------

MAX_FILE_SIZE = 10 * 1024 * 1024
ALLOWED_FILE_TYPES = {
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
    ".m4a": "audio/mp4",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
}
# The first bytes each kind of file must start with: a name alone proves nothing.
_SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
    "audio/wav": (b"RIFF",),
    "audio/ogg": (b"OggS",),
    "audio/mpeg": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
    "application/zip": (b"PK\x03\x04",),
}


def file_type_of(name: str, head: bytes) -> str:
    """The content type of an upload, checked against its first bytes; raises LearningError
    for a type the class space does not take, or content that is not what its name says."""
    import os

    extension = os.path.splitext(name)[1].lower()
    content_type = ALLOWED_FILE_TYPES.get(extension)
    if content_type is None:
        raise LearningError(
            _("Files of this type cannot be shared here. Allowed: %(types)s.")
            % {"types": ", ".join(sorted(ALLOWED_FILE_TYPES))}
        )
    office = extension in (".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp")
    family = "application/zip" if office else content_type  # office documents are zip files
    signatures = _SIGNATURES.get(family)
    if signatures and not head.startswith(signatures):
        raise LearningError(_("The file’s content does not match its name."))
    riff_kind = {"image/webp": b"WEBP", "audio/wav": b"WAVE"}.get(content_type)
    if riff_kind and head[8:12] != riff_kind:
        raise LearningError(_("The file’s content does not match its name."))
    if content_type in ("text/plain", "text/csv") and b"\x00" in head:
        raise LearningError(_("The file’s content does not match its name."))
    return content_type


def _checked(upload: Any, max_size: int) -> str:
    """The content type of an upload that is not empty, not too large, and what its name
    says; raises LearningError otherwise."""
    if upload.size > max_size:
        raise LearningError(
            _("The file is too large: %(size)d MB at most.") % {"size": max_size // (1024 * 1024)}
        )
    if upload.size == 0:
        raise LearningError(_("The file is empty."))
    head = upload.read(16)
    upload.seek(0)
    return file_type_of(upload.name, head)


def _store(field: Any, upload: Any) -> None:
    """Saved under a random name: the name a person gave is never a path on the server."""
    extension = upload.name.rsplit(".", 1)[-1].lower()
    field.save(f"{new_token()[:16]}.{extension}", upload, save=False)


def _delete_with_file(obj: Any, field: Any) -> None:
    name = field.name or ""
    obj.delete()
    if name:
        transaction.on_commit(lambda: field.storage.delete(name))


@transaction.atomic
def class_file_upload(*, actor: User, klass: Class, upload: Any) -> ClassFile:
    content_type = _checked(upload, MAX_FILE_SIZE)
    shown = upload.name.replace("/", "_").replace("\\", "_")[-200:]
    shared = ClassFile(
        klass=klass, uploader=actor, name=shown, size=upload.size, content_type=content_type
    )
    _store(shared.file, upload)
    shared.save()
    audit_record(action="class.file.shared", actor=actor, target=shared)
    return shared


@transaction.atomic
def class_file_delete(*, actor: User, shared: ClassFile) -> None:
    audit_record(action="class.file.deleted", actor=actor, target=shared)
    _delete_with_file(shared, shared.file)


@transaction.atomic
def class_message_post(*, actor: User, klass: Class, body: str) -> ClassMessage:
    message = ClassMessage.objects.create(klass=klass, author=actor, body=body.strip())
    audit_record(action="class.message.posted", actor=actor, target=message)
    return message


@transaction.atomic
def class_message_delete(*, actor: User, message: ClassMessage) -> None:
    audit_record(action="class.message.deleted", actor=actor, target=message)
    message.delete()


@transaction.atomic
def announcement_post(*, actor: User, klass: Class, title: str, body: str) -> Announcement:
    announcement = Announcement.objects.create(
        klass=klass, author=actor, title=title.strip(), body=body.strip()
    )
    audit_record(action="class.announcement.posted", actor=actor, target=announcement)
    return announcement


# Materials --------------------------------------------------------------------------------

MAX_MATERIAL_SIZE = 25 * 1024 * 1024


@transaction.atomic
def material_add(
    *,
    actor: User,
    course: Course,
    title: str,
    lesson: Lesson | None = None,
    url: str = "",
    upload: Any = None,
) -> Material:
    """A link or a document for a course, or for one of its lessons."""
    if bool(url) == bool(upload):
        raise LearningError(_("Give either a link or a file."))
    material = Material(course=course, lesson=lesson, title=title.strip(), url=url)
    if upload is not None:
        _checked(upload, MAX_MATERIAL_SIZE)
        _store(material.file, upload)
    material.save()
    audit_record(action="material.added", actor=actor, target=material)
    return material


@transaction.atomic
def material_delete(*, actor: User, material: Material) -> None:
    audit_record(action="material.deleted", actor=actor, target=material)
    _delete_with_file(material, material.file)
