"""Reads for learning, and who may see what."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from lyceum.accounts.middleware import SecondFactorNeeded
from lyceum.accounts.models import User
from lyceum.learning.models import Class, Enrolment, Lesson


def teaches(user: User, klass: Class) -> bool:
    """One of the class's own instructors."""
    return user.is_authenticated and klass.instructors.filter(pk=user.pk).exists()


def can_teach(user: User, klass: Class) -> bool:
    """Instructors of the class, and the school's staff (who reach class pages only with a
    second factor: see ``staff_without_second_factor``)."""
    if not user.is_authenticated:
        return False
    return user.is_staff or teaches(user, klass)


def staff_without_second_factor(user: User, klass: Class) -> bool:
    """Staff who are not the class's instructors see its members' data only with a second
    factor, as in the back office (P11)."""
    from lyceum.accounts.selectors import user_has_second_factor

    return user.is_staff and not teaches(user, klass) and not user_has_second_factor(user)


def is_enrolled(user: User, klass: Class) -> bool:
    return Enrolment.objects.filter(klass=klass, user=user, status=Enrolment.Status.ACTIVE).exists()


def is_member(user: User, klass: Class) -> bool:
    """Members of a class: its active learners and instructors; the school's staff too."""
    return user.is_authenticated and (can_teach(user, klass) or is_enrolled(user, klass))


def class_for_member(user: User, pk: int) -> Class:
    """The class, if this person is a member of it; otherwise 404 (whether another class
    exists is not their business)."""
    klass = Class.objects.select_related("course", "organisation").filter(pk=pk).first()
    if klass is None or not is_member(user, klass):
        raise Http404
    if staff_without_second_factor(user, klass) and not is_enrolled(user, klass):
        raise SecondFactorNeeded
    return klass


def class_for_instructor(user: User, pk: int) -> Class:
    klass = Class.objects.select_related("course", "organisation").filter(pk=pk).first()
    if klass is None or not can_teach(user, klass):
        raise Http404
    if staff_without_second_factor(user, klass):
        raise SecondFactorNeeded
    return klass


def classes_of(user: User, ids: set[int] | None = None) -> QuerySet[Class]:
    """Classes the person learns in (actively) or teaches."""
    ids = class_ids_of(user) if ids is None else ids
    return Class.objects.filter(pk__in=ids).select_related("course")


def class_ids_of(user: User) -> set[int]:
    """Two small indexed lookups, rather than a join over every class of the school."""
    taught = Class.objects.filter(instructors=user).values_list("pk", flat=True)
    learnt = Enrolment.objects.filter(user=user, status=Enrolment.Status.ACTIVE).values_list(
        "klass_id", flat=True
    )
    return set(taught) | set(learnt)


def timetable(
    user: User, *, since: datetime | None = None, ids: set[int] | None = None
) -> QuerySet[Lesson]:
    """Lessons of the person's classes from ``since`` (by default: from today's start)."""
    if since is None:
        since = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    # One small list of classes first, so the lessons are found by their (class, start) index
    # rather than by looking at every future lesson of the school.
    return (
        Lesson.objects.filter(
            klass_id__in=class_ids_of(user) if ids is None else ids, starts_at__gte=since
        )
        .select_related("klass__course")
        .order_by("starts_at", "pk")
    )


def active_enrolments(klass: Class) -> QuerySet[Enrolment]:
    return (
        klass.enrolments.filter(status=Enrolment.Status.ACTIVE)
        .select_related("user")
        .order_by("user__name", "pk")
    )
