"""Demo data for learning: courses, a client company's contract with employees in a class, an
institution (processor mode) with a teacher and pseudonymous students, a term of lessons and
attendance. Idempotent: run twice, nothing doubles."""

from __future__ import annotations

from datetime import time, timedelta

from django.utils import timezone

from lyceum.accounts.models import User
from lyceum.accounts.services import account_provision
from lyceum.learning import services
from lyceum.learning.models import Class, Course, Enrolment, Lesson
from lyceum.orgs.models import Contract, Organisation
from lyceum.orgs.services import contract_create, membership_add

_STATUSES = ["present", "present", "present", "late", "present", "absent", "excused", "present"]


def load(people: dict[str, User], out: list[str]) -> None:
    school_class = Class.objects.filter(title="Lycée Victor Hugo – 2nde B").first()
    if school_class is not None:
        out.append(f"Class code for pseudonymous students: {school_class.code} at /join/")
        return
    instructor = people["instructor@lyceum.example"]
    teacher = people["teacher@lycee.example"]
    acme = Organisation.objects.get(slug="acme")
    lycee = Organisation.objects.get(slug="lycee-hugo")
    today = timezone.localdate()
    term_start = today - timedelta(weeks=6)

    english = services.course_create(
        actor=None,
        title="Business English B1",
        slug="english-b1",
        level=Course.Level.B1,
        language="en",
        description="Meetings, emails and presentations in English, in small live classes.",
    )
    french = services.course_create(
        actor=None,
        title="Français pour débutants",
        slug="francais-a1",
        level=Course.Level.A1,
        language="fr",
        description="Les bases du français : se présenter, commander, s’orienter.",
        self_enrolment=True,
    )
    ukrainian = services.course_create(
        actor=None,
        title="Українська мова A2",
        slug="ukrainska-a2",
        level=Course.Level.A2,
        language="uk",
        description="Everyday Ukrainian for learners who know the alphabet and the basics.",
        self_enrolment=True,
    )
    contract = contract_create(
        actor=None,
        organisation=acme,
        reference="ACME-2026-01",
        starts_on=term_start - timedelta(days=7),
        ends_on=today + timedelta(days=300),
        seats=10,
        controller=Contract.Controller.SCHOOL,
        recording_retention=Contract.RecordingRetention.DAYS_14,
    )
    english.contracts.add(contract)
    licence = contract_create(
        actor=None,
        organisation=lycee,
        reference="LVH-LICENCE-2026",
        starts_on=term_start - timedelta(days=7),
        ends_on=today + timedelta(days=250),
        seats=30,
        controller=Contract.Controller.ORGANISATION,
        # The lycée decides its pupils' data requests, their own downloads included (P30).
        self_service_via_organisation=True,
        recording_retention=Contract.RecordingRetention.DAYS_7,
    )
    french.contracts.add(licence)

    acme_class = services.class_create(
        actor=None,
        course=english,
        title="Acme – Tuesday evenings",
        instructors=[instructor],
        capacity=10,
        time_zone="Europe/Paris",
        schedule="Tuesdays, 18:00–19:00 (Paris)",
        starts_on=term_start,
        ends_on=term_start + timedelta(weeks=12),
        organisation=acme,
    )
    open_class = services.class_create(
        actor=None,
        course=french,
        title="Saturday mornings",
        instructors=[instructor],
        capacity=12,
        time_zone="Europe/Paris",
        schedule="Saturdays, 10:00–11:30 (Paris)",
        starts_on=term_start,
        ends_on=term_start + timedelta(weeks=12),
    )
    services.class_create(
        actor=None,
        course=ukrainian,
        title="Wednesday evenings",
        instructors=[instructor],
        capacity=8,
        time_zone="Europe/Kyiv",
        schedule="Wednesdays, 19:00–20:00 (Kyiv)",
        starts_on=today + timedelta(days=10),
        ends_on=today + timedelta(weeks=14),
    )
    school_class = services.class_create(
        actor=None,
        course=french,
        title="Lycée Victor Hugo – 2nde B",
        instructors=[teacher],
        capacity=30,
        time_zone="Europe/Paris",
        schedule="Thursdays, 14:00–15:00",
        starts_on=term_start,
        ends_on=term_start + timedelta(weeks=12),
        organisation=lycee,
        allows_pseudonyms=True,
    )

    services.enrol(
        actor=people["clientadmin@acme.example"],
        klass=acme_class,
        user=people["employee@acme.example"],
        source=Enrolment.Source.CONTRACT,
        contract=contract,
    )
    # More of Acme's staff, added from its roster (no password until they follow the welcome
    # link), each on a seat of the contract.
    for email, name in (
        ("ana.weber@acme.example", "Ana Weber"),
        ("tom.novak@acme.example", "Tom Novak"),
        ("mia.rossi@acme.example", "Mia Rossi"),
    ):
        colleague, _created = account_provision(actor=None, email=email, name=name)
        membership_add(actor=None, organisation=acme, user=colleague)
        services.enrol(
            actor=people["clientadmin@acme.example"],
            klass=acme_class,
            user=colleague,
            source=Enrolment.Source.CONTRACT,
            contract=contract,
        )
    services.enrol(
        actor=None,
        klass=open_class,
        user=people["learner@lyceum.example"],
        source=Enrolment.Source.SELF,
    )
    codes = []
    for pseudonym in ("Renard bleu", "Chouette", "Tigre du nord"):
        _user, code, _ = services.pseudonym_join(klass=school_class, pseudonym=pseudonym)
        codes.append((pseudonym, code))

    for klass, weekday, at in (
        (acme_class, 1, time(18, 0)),
        (open_class, 5, time(10, 0)),
        (school_class, 3, time(14, 0)),
    ):
        first = term_start + timedelta(days=(weekday - term_start.weekday()) % 7)
        services.lesson_schedule(
            actor=klass.instructors.first(),  # type: ignore[arg-type]
            klass=klass,
            starts_at=services.local_to_aware(first, at, klass.time_zone),
            duration=90 if klass is open_class else 60,
            topic="Unit",
            weeks=12,
        )
        _number_topics(klass)
        _take_attendance(klass)

    out.append("Classes: /timetable/ (learner, instructor, employee), class code for pseudonyms:")
    out.append(f"  {school_class.code} at /join/ (Lycée Victor Hugo – 2nde B)")
    for pseudonym, code in codes:
        out.append(f"  pseudonymous student {pseudonym!r} signs in at /join/ with {code}")


def _number_topics(klass: Class) -> None:
    topics = [
        "Introductions",
        "Numbers and time",
        "At work",
        "Emails",
        "Phone calls",
        "Meetings",
        "Travel",
        "Presentations",
        "Negotiation",
        "Small talk",
        "Review",
        "Final project",
    ]
    for lesson, topic in zip(klass.lessons.order_by("starts_at"), topics, strict=False):
        homework = f"Prepare: {topic.lower()}." if topic != "Review" else ""
        services.lesson_update(
            actor=klass.instructors.first(),  # type: ignore[arg-type]
            lesson=lesson,
            data={"topic": topic, "homework": homework},
        )


def _take_attendance(klass: Class) -> None:
    learners = list(
        klass.enrolments.filter(status=Enrolment.Status.ACTIVE).values_list("user_id", flat=True)
    )
    now = timezone.now()
    held = Lesson.objects.filter(klass=klass, starts_at__lt=now).order_by("starts_at")
    for i, lesson in enumerate(held):
        marks = {uid: _STATUSES[(i + j) % len(_STATUSES)] for j, uid in enumerate(learners)}
        services.attendance_record(actor=klass.instructors.first(), lesson=lesson, marks=marks)
