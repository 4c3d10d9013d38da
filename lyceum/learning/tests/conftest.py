"""A small school: a course under a client's contract, a class with an instructor and two
learners, lessons (two held, one to come), and a second client with its own administrator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from lyceum.accounts.models import User
from lyceum.learning import services
from lyceum.learning.models import Class, Course, Enrolment, Lesson
from lyceum.orgs.models import Contract, Membership, Organisation
from lyceum.orgs.services import membership_add, organisation_create


@dataclass
class School:
    course: Course
    klass: Class
    lessons: list[Lesson]
    instructor: User
    learner: User
    employee: User
    acme: Organisation
    contract: Contract
    acme_admin: User
    other: Organisation
    other_admin: User
    outsider: User


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def school(make_user: Any, with_totp: Any, media: Any) -> School:
    instructor = make_user(
        email="teacher@school.example", name="Ines Instructor", is_instructor=True
    )
    learner = make_user(email="lea@example.org", name="Léa Learner")
    employee = make_user(email="sam@acme.example", name="Sam Employee")
    acme_admin = make_user(email="admin@acme.example", name="Alice Acme")
    other_admin = make_user(email="admin@globex.example", name="Gus Globex")
    outsider = make_user(email="out@example.org", name="Otto Outsider")
    for admin in (acme_admin, other_admin):
        with_totp(admin)
    acme = organisation_create(actor=None, name="Acme", kind=Organisation.Kind.COMPANY)
    other = organisation_create(actor=None, name="Globex", kind=Organisation.Kind.COMPANY)
    membership_add(actor=None, organisation=acme, user=acme_admin, role=Membership.Role.ADMIN)
    membership_add(actor=None, organisation=acme, user=employee)
    membership_add(actor=None, organisation=other, user=other_admin, role=Membership.Role.ADMIN)
    today = date.today()
    contract = Contract.objects.create(
        organisation=acme,
        reference="ACME-1",
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=300),
        seats=3,
    )
    course = services.course_create(actor=None, title="Business English", level="B1")
    course.contracts.add(contract)
    klass = services.class_create(
        actor=None,
        course=course,
        title="Tuesdays",
        instructors=[instructor],
        capacity=5,
        time_zone="Europe/Paris",
    )
    services.enrol(actor=None, klass=klass, user=learner, source=Enrolment.Source.STAFF)
    services.enrol(
        actor=acme_admin,
        klass=klass,
        user=employee,
        source=Enrolment.Source.CONTRACT,
        contract=contract,
    )
    now = timezone.now()
    lessons = [
        services.lesson_schedule(
            actor=instructor, klass=klass, starts_at=now + delta, duration=60, topic=topic
        )[0]
        for delta, topic in (
            (timedelta(days=-14), "Introductions"),
            (timedelta(days=-7), "Emails"),
            (timedelta(days=7), "Meetings"),
        )
    ]
    return School(
        course=course,
        klass=klass,
        lessons=lessons,
        instructor=instructor,
        learner=learner,
        employee=employee,
        acme=acme,
        contract=contract,
        acme_admin=acme_admin,
        other=other,
        other_admin=other_admin,
        outsider=outsider,
    )
