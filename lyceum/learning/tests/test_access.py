"""Every learning page or endpoint that shows or changes someone's data, tried by people who
have no business there: each is refused, and nothing changes."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lyceum.learning import services
from lyceum.learning.models import ClassFile, ClassMessage, Enrolment


@pytest.fixture
def world(school):
    message = services.class_message_post(actor=school.learner, klass=school.klass, body="Hi")
    shared = services.class_file_upload(
        actor=school.learner,
        klass=school.klass,
        upload=SimpleUploadedFile("a.txt", b"text", "text/plain"),
    )
    invitation = services.class_invitation_create(actor=school.instructor, klass=school.klass)
    employee_seat = Enrolment.objects.get(user=school.employee)
    k, lesson = school.klass.pk, school.lessons[0].pk
    # (url, method, who may: "member", "instructor" or "admin")
    school.routes = [
        (reverse("learning:class", args=[k]), "get", "member"),
        (reverse("learning:file", args=[k, shared.pk]), "get", "member"),
        (reverse("learning:message_post", args=[k]), "post", "member"),
        (reverse("learning:message_delete", args=[k, message.pk]), "post", "member"),
        (reverse("learning:file_upload", args=[k]), "post", "member"),
        (reverse("learning:file_delete", args=[k, shared.pk]), "post", "member"),
        (reverse("learning:contact_sharing", args=[k]), "post", "member"),
        (reverse("learning:announce", args=[k]), "post", "member"),
        (reverse("learning:class_edit", args=[k]), "get", "instructor"),
        (reverse("learning:lesson_new", args=[k]), "get", "instructor"),
        (reverse("learning:lesson_edit", args=[k, lesson]), "get", "instructor"),
        (reverse("learning:attendance", args=[k, lesson]), "get", "instructor"),
        (reverse("learning:invitations", args=[k]), "get", "instructor"),
        (reverse("learning:invitation_revoke", args=[k, invitation.pk]), "post", "instructor"),
        (reverse("learning:enrolment_remove", args=[k, school.learner.pk]), "post", "instructor"),
        (
            reverse("learning:pseudonym_code_reset", args=[k, school.learner.pk]),
            "post",
            "instructor",
        ),
        (reverse("learning:class_report", args=[k]), "get", "instructor"),
        (reverse("learning:class_report", args=[k, "csv"]), "get", "instructor"),
        (reverse("learning:client_report", args=[school.acme.slug]), "get", "admin"),
        (reverse("learning:client_report", args=[school.acme.slug, "csv"]), "get", "admin"),
        (reverse("learning:contracts", args=[school.acme.slug]), "get", "admin"),
        (reverse("learning:seats", args=[school.acme.slug, school.contract.pk]), "get", "admin"),
        (
            reverse(
                "learning:seat_release",
                args=[school.acme.slug, school.contract.pk, employee_seat.pk],
            ),
            "post",
            "admin",
        ),
    ]
    return school


def _snapshot():
    return (
        list(ClassMessage.objects.values_list("pk", flat=True)),
        list(ClassFile.objects.values_list("pk", flat=True)),
        list(Enrolment.objects.values_list("pk", "status", "shares_contact")),
    )


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    before = _snapshot()
    for url, method, _ in world.routes:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url, url
    assert _snapshot() == before


def test_outsiders_and_other_clients_are_refused_everywhere(client, world):
    before = _snapshot()
    for person in (world.outsider, world.other_admin):
        client.force_login(person)
        for url, method, _ in world.routes:
            response = getattr(client, method)(url, {"body": "x", "title": "x"})
            assert response.status_code == 404, (person, url)
            assert b"lea@example.org" not in response.content
    assert _snapshot() == before


def test_learners_are_refused_what_is_for_instructors_and_client_administrators(client, world):
    before = _snapshot()
    client.force_login(world.employee)
    for url, method, who in world.routes:
        if who == "member":
            continue
        response = getattr(client, method)(url)
        assert response.status_code == 404, url
    assert _snapshot() == before


def test_a_client_administrator_reaches_nothing_of_a_class_they_are_not_in(client, world):
    client.force_login(world.acme_admin)
    for url, method, who in world.routes:
        if who == "admin":
            continue
        response = getattr(client, method)(url)
        assert response.status_code == 404, url


def test_staff_look_up_enrolments_in_the_back_office_and_it_is_logged(
    client, school, make_user, with_totp
):
    from lyceum.privacy.models import AuditEvent

    staff = make_user(name="Back Office", is_staff=True, is_superuser=True)
    with_totp(staff)
    client.force_login(staff)
    page = client.get("/admin/learning/enrolment/?q=lea").content.decode()
    assert "Léa Learner" in page
    assert AuditEvent.objects.filter(action="staff.listed.enrolment", actor_id=staff.pk).exists()
    enrolment = Enrolment.objects.get(user=school.learner)
    assert client.get(f"/admin/learning/enrolment/{enrolment.pk}/change/").status_code == 200
    assert AuditEvent.objects.filter(action="staff.viewed", subject_id=school.learner.pk).exists()


def test_back_office_edits_of_classes_are_logged(client, school, make_user, with_totp):
    from lyceum.privacy.models import AuditEvent

    staff = make_user(name="Back Office", is_staff=True, is_superuser=True)
    with_totp(staff)
    client.force_login(staff)
    url = f"/admin/learning/class/{school.klass.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "instructors"}
    data.update(
        {
            "instructors": [school.instructor.pk],
            "capacity": 9,
            "lessons-TOTAL_FORMS": 0,
            "lessons-INITIAL_FORMS": 0,
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="staff.changed.class", actor_id=staff.pk)
    assert "capacity" in event.changed_fields
