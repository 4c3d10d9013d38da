"""Learning's data in the privacy engine: exported, erased by each entry's rule, and nothing of
other people lost when someone leaves."""

from __future__ import annotations

from lyceum.learning import services
from lyceum.learning.models import Attendance, ClassInvitation, Enrolment
from lyceum.privacy.erasure import erase
from lyceum.privacy.export import personal_data_of


def test_p41_a_learners_export_holds_their_classes_attendance_and_messages(school):
    services.attendance_record(
        actor=school.instructor, lesson=school.lessons[0], marks={school.learner.pk: "late"}
    )
    services.class_message_post(actor=school.learner, klass=school.klass, body="Bonjour")
    sections = {s.entry.label: s for s in personal_data_of(school.learner.pk)}
    assert sections["learning.Enrolment"].rows[0]["klass"] == "Business English – Tuesdays"
    assert sections["learning.Attendance"].rows[0]["status"] == "late"
    assert sections["learning.ClassMessage"].rows[0]["body"] == "Bonjour"


def test_p43_erasing_an_instructor_keeps_the_attendance_of_their_learners(school):
    services.attendance_record(
        actor=school.instructor,
        lesson=school.lessons[0],
        marks={school.learner.pk: "present", school.employee.pk: "absent"},
    )
    erase(school.instructor.pk)
    kept = Attendance.objects.order_by("user__name")
    assert [(a.user_id, a.status, a.recorded_by_id) for a in kept] == [
        (school.learner.pk, "present", None),
        (school.employee.pk, "absent", None),
    ]


def test_p43_an_email_invitation_stays_single_use_after_its_people_are_erased(school, make_user):
    invitation = services.class_invitation_create(
        actor=school.instructor, klass=school.klass, email="guest@example.org"
    )
    erase(school.instructor.pk)
    invitation.refresh_from_db()
    assert invitation.email == ""
    assert services.invitation_usable(invitation.token) is None
    assert not Enrolment.objects.filter(source="invitation").exists()
    assert ClassInvitation.objects.filter(created_by=None).count() == 1


def test_p41_the_export_holds_the_files_the_person_shared_and_invitations_to_them(
    school, make_user
):
    import io
    import zipfile

    from django.core.files.uploadedfile import SimpleUploadedFile

    from lyceum.privacy.export import export_archive

    services.class_file_upload(
        actor=school.learner,
        klass=school.klass,
        upload=SimpleUploadedFile("homework.pdf", b"%PDF-1.4 my homework"),
    )
    services.class_invitation_create(
        actor=school.instructor, klass=school.klass, email="lea@example.org"
    )
    archive = zipfile.ZipFile(io.BytesIO(export_archive(user=school.learner, actor=school.learner)))
    shared = [n for n in archive.namelist() if n.startswith("files/learning.classfile/")]
    assert len(shared) == 1 and archive.read(shared[0]) == b"%PDF-1.4 my homework"
    invitations = archive.read("csv/learning.classinvitation.csv").decode()
    assert "lea@example.org" in invitations
