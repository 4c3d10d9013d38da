"""Courses, classes, lessons, enrolments, attendance, and each class's space."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.conf.global_settings import LANGUAGES as ALL_LANGUAGES
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lyceum.accounts.models import validate_time_zone
from lyceum.core.codes import random_code
from lyceum.core.fields import EncryptedTextField
from lyceum.core.models import TimeStampedModel
from lyceum.learning.embeds import VideoEmbed, video_embed
from lyceum.orgs.models import Contract, Organisation


def new_code(length: int = 8) -> str:
    return random_code(length)


def new_token() -> str:
    return secrets.token_urlsafe(32)


class Course(TimeStampedModel):
    class Level(models.TextChoices):
        """The Common European Framework of Reference's levels."""

        A1 = "A1", _("A1 – Beginner")
        A2 = "A2", _("A2 – Elementary")
        B1 = "B1", _("B1 – Intermediate")
        B2 = "B2", _("B2 – Upper intermediate")
        C1 = "C1", _("C1 – Advanced")
        C2 = "C2", _("C2 – Proficient")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    level = models.CharField(_("level"), max_length=2, choices=Level.choices)
    language = models.CharField(
        _("language taught"), max_length=8, choices=ALL_LANGUAGES, default="en"
    )
    self_enrolment = models.BooleanField(
        _("open to self-enrolment"),
        default=False,
        help_text=_("Anyone signed in may join a class of this course that has room."),
    )
    is_published = models.BooleanField(_("published"), default=True)
    contracts = models.ManyToManyField(
        Contract,
        blank=True,
        related_name="courses",
        verbose_name=_("covered by contracts"),
    )

    class Meta:
        ordering = ["title"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.title


class Class(TimeStampedModel):
    """A cohort of a course: its instructors, schedule, capacity and space."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="classes")
    title = models.CharField(_("name"), max_length=200)
    code = models.CharField(
        _("class code"),
        max_length=12,
        unique=True,
        default=new_code,
        help_text=_("Students invited under a pseudonym join with this code."),
    )
    instructors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="classes_taught",
        verbose_name=_("instructors"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="classes",
        verbose_name=_("organisation"),
        help_text=_("A class run for one client only."),
    )
    capacity = models.PositiveIntegerField(_("capacity"), default=12)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    schedule = models.CharField(
        _("schedule"),
        max_length=200,
        blank=True,
        help_text=_("For example: Mondays and Wednesdays, 18:00–19:30."),
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    allows_pseudonyms = models.BooleanField(
        _("students may join under a pseudonym"),
        default=False,
        help_text=_("With the class code, without an email address."),
    )

    class Meta:
        ordering = ["course__title", "title"]
        verbose_name = _("class")
        verbose_name_plural = _("classes")

    def __str__(self) -> str:
        return f"{self.course} – {self.title}"


class Lesson(TimeStampedModel):
    klass = models.ForeignKey(
        Class, on_delete=models.CASCADE, related_name="lessons", verbose_name=_("class")
    )
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    duration = models.PositiveSmallIntegerField(_("duration (minutes)"), default=60)
    topic = models.CharField(_("topic"), max_length=200)
    homework = models.TextField(_("homework"), blank=True)
    is_cancelled = models.BooleanField(_("cancelled"), default=False)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(duration__gt=0), name="lesson_has_duration")
        ]
        indexes = [models.Index(fields=["klass", "starts_at"])]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def __str__(self) -> str:
        return f"{self.klass} – {self.topic}"

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration)


class Material(TimeStampedModel):
    """A document or link for a course or one of its lessons (the school's, not a person's)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="materials")
    lesson = models.ForeignKey(
        Lesson, on_delete=models.CASCADE, null=True, blank=True, related_name="materials"
    )
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("link"), blank=True)
    file = models.FileField(_("file"), upload_to="materials/%Y/%m/", blank=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")

    def __str__(self) -> str:
        return self.title

    @property
    def video(self) -> VideoEmbed | None:
        return video_embed(self.url)


class Enrolment(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Enrolled")
        WITHDRAWN = "withdrawn", pgettext_lazy("enrolment", "Withdrawn")

    class Source(models.TextChoices):
        SELF = "self", _("Self-enrolment")
        CONTRACT = "contract", _("A seat of a client's contract")
        INVITATION = "invitation", _("An instructor's invitation")
        PURCHASE = "purchase", _("A purchase")
        PSEUDONYM = "pseudonym", _("The class code, under a pseudonym")
        STAFF = "staff", _("Added by the school")

    klass = models.ForeignKey(
        Class, on_delete=models.CASCADE, related_name="enrolments", verbose_name=_("class")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    source = models.CharField(_("how"), max_length=12, choices=Source.choices)
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolments",
        verbose_name=_("contract"),
    )
    shares_contact = models.BooleanField(
        _("show my email address to my class"),
        default=False,
        help_text=_("Only the members of this class and the school's staff can see it."),
    )
    # Lessons from this moment until ``withdrawn_at`` count as held for the learner. Taking
    # their attendance at an earlier lesson moves it back to that lesson.
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["klass", "user"],
                condition=models.Q(status="active"),
                name="one_active_enrolment_per_class",
            )
        ]
        indexes = [models.Index(fields=["contract", "status"])]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")

    def __str__(self) -> str:
        return f"{self.user} in {self.klass}"


class ClassInvitation(TimeStampedModel):
    """An instructor's invitation to a class: a link to share, or sent to one address."""

    klass = models.ForeignKey(
        Class, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("class")
    )
    token = models.CharField(max_length=64, unique=True, default=new_token)
    # Sent to one address: used once, by its owner only (even once the address is erased).
    is_personal = models.BooleanField(default=False)
    email = models.EmailField(_("email address"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("expires at"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("class invitation")
        verbose_name_plural = _("class invitations")

    def __str__(self) -> str:
        return f"{self.klass} ({self.email or 'link'})"


class CalendarFeed(TimeStampedModel):
    """A person's timetable as an iCalendar feed at a secret address; a new one revokes it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(_("Calendar feed"))


class Attendance(TimeStampedModel):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        LATE = "late", _("Late")
        ABSENT = "absent", _("Absent")
        EXCUSED = "excused", _("Excused")

    class Source(models.TextChoices):
        INSTRUCTOR = "instructor", _("Taken by the instructor")
        LIVE = "live", _("From the live class")

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendance"
    )
    status = models.CharField(_("attendance"), max_length=10, choices=Status.choices)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.INSTRUCTOR)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lesson", "user"], name="one_attendance_per_lesson")
        ]
        verbose_name = _("attendance record")
        verbose_name_plural = _("attendance records")

    def __str__(self) -> str:
        return f"{self.lesson}: {self.get_status_display()}"

    @property
    def attended(self) -> bool:
        return self.status in (self.Status.PRESENT, self.Status.LATE)


class Announcement(TimeStampedModel):
    klass = models.ForeignKey(Class, on_delete=models.CASCADE, related_name="announcements")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def __str__(self) -> str:
        return self.title


class ClassMessage(TimeStampedModel):
    """A message to the members of a class, kept encrypted at rest (free text, P14)."""

    klass = models.ForeignKey(Class, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="class_messages",
    )
    body = EncryptedTextField(_("message"))

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("class message")
        verbose_name_plural = _("class messages")

    def __str__(self) -> str:
        return f"{self.klass} #{self.pk}"


class ClassFile(TimeStampedModel):
    """A file a member shared with the class; served only as a download (never inline)."""

    klass = models.ForeignKey(Class, on_delete=models.CASCADE, related_name="files")
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="class_files",
    )
    file = models.FileField(upload_to="class-files/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("class file")
        verbose_name_plural = _("class files")

    def __str__(self) -> str:
        return self.name
