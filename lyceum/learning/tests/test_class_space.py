"""P28: a class's space and its profile are for its members and the school's staff only."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lyceum.learning import services
from lyceum.learning.models import ClassFile, ClassMessage, Enrolment
from lyceum.privacy.erasure import erase


def test_p28_contact_data_is_shown_to_classmates_only_when_the_learner_agrees(client, school):
    client.force_login(school.employee)
    page = client.get(reverse("learning:class", args=[school.klass.pk])).content.decode()
    assert "Léa Learner" in page
    assert "lea@example.org" not in page  # not shared yet
    assert "teacher@school.example" in page  # the instructor's contact is for the class
    client.force_login(school.learner)
    client.post(
        reverse("learning:contact_sharing", args=[school.klass.pk]), {"shares_contact": "on"}
    )
    client.force_login(school.employee)
    page = client.get(reverse("learning:class", args=[school.klass.pk])).content.decode()
    assert "lea@example.org" in page


def test_p28_the_class_space_is_refused_to_anyone_else(client, school, make_user, with_totp):
    Enrolment.objects.filter(user=school.learner).update(shares_contact=True)
    for stranger in (school.outsider, school.other_admin, school.acme_admin):
        client.force_login(stranger)
        response = client.get(reverse("learning:class", args=[school.klass.pk]))
        assert response.status_code == 404
        assert b"lea@example.org" not in response.content
    staff = make_user(name="Staff", is_staff=True)
    client.force_login(staff)
    # The school's staff see class spaces, like the back office, only with a second factor.
    for name in ("learning:class", "learning:class_report", "learning:invitations"):
        response = client.get(reverse(name, args=[school.klass.pk]))
        assert response.status_code == 302 and response.url == reverse("mfa_index"), name
    with_totp(staff)
    assert client.get(reverse("learning:class", args=[school.klass.pk])).status_code == 200


def test_only_a_classs_own_instructors_hand_out_a_pseudonyms_code(
    client, school, make_user, with_totp
):
    from lyceum.accounts.services import pseudonym_create

    student, _code = pseudonym_create(actor=None, pseudonym="Fox")
    services.enrol(actor=None, klass=school.klass, user=student, source=Enrolment.Source.PSEUDONYM)
    staff = make_user(name="Staff", is_staff=True)
    with_totp(staff)
    client.force_login(staff)
    url = reverse("learning:pseudonym_code_reset", args=[school.klass.pk, student.pk])
    assert client.post(url).status_code == 404


def test_p28_a_former_member_no_longer_sees_the_class(client, school):
    enrolment = Enrolment.objects.get(user=school.learner)
    services.enrolment_withdraw(actor=school.instructor, enrolment=enrolment)
    client.force_login(school.learner)
    assert client.get(reverse("learning:class", args=[school.klass.pk])).status_code == 404


def test_members_talk_and_a_departed_learners_messages_lose_their_name(client, school):
    client.force_login(school.learner)
    client.post(reverse("learning:message_post", args=[school.klass.pk]), {"body": "Hello all!"})
    client.force_login(school.employee)
    page = client.get(reverse("learning:class", args=[school.klass.pk])).content.decode()
    assert "Hello all!" in page and "Léa Learner" in page
    erase(school.learner.pk)
    message = ClassMessage.objects.get()
    assert message.author is None and message.body == "Hello all!"
    page = client.get(reverse("learning:class", args=[school.klass.pk])).content.decode()
    assert "Former member" in page and "Léa Learner" not in page


def test_only_the_author_or_an_instructor_deletes_a_message(client, school):
    message = services.class_message_post(actor=school.learner, klass=school.klass, body="Oops")
    client.force_login(school.employee)
    client.post(reverse("learning:message_delete", args=[school.klass.pk, message.pk]))
    assert ClassMessage.objects.filter(pk=message.pk).exists()
    client.force_login(school.instructor)
    client.post(reverse("learning:message_delete", args=[school.klass.pk, message.pk]))
    assert not ClassMessage.objects.filter(pk=message.pk).exists()


def test_shared_files_are_checked_and_only_ever_downloaded(client, school):
    client.force_login(school.learner)
    url = reverse("learning:file_upload", args=[school.klass.pk])
    page = SimpleUploadedFile("page.html", b"<script>alert(1)</script>", "text/html")
    response = client.post(url, {"file": page}, follow=True)
    assert "cannot be shared here" in response.content.decode()
    fake = SimpleUploadedFile("photo.png", b"<script>alert(1)</script>", "image/png")
    response = client.post(url, {"file": fake}, follow=True)
    assert "does not match its name" in response.content.decode()
    assert not ClassFile.objects.exists()
    pdf = SimpleUploadedFile("notes.pdf", b"%PDF-1.4 notes", "application/pdf")
    client.post(url, {"file": pdf})
    shared = ClassFile.objects.get()
    assert shared.content_type == "application/pdf"
    client.force_login(school.employee)
    response = client.get(reverse("learning:file", args=[school.klass.pk, shared.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == b"%PDF-1.4 notes"
    client.force_login(school.outsider)
    assert (
        client.get(reverse("learning:file", args=[school.klass.pk, shared.pk])).status_code == 404
    )


def test_a_file_over_the_limit_is_refused(client, school, settings, monkeypatch):
    monkeypatch.setattr(services, "MAX_FILE_SIZE", 10)
    client.force_login(school.learner)
    big = SimpleUploadedFile("big.txt", b"x" * 11, "text/plain")
    response = client.post(
        reverse("learning:file_upload", args=[school.klass.pk]), {"file": big}, follow=True
    )
    assert "too large" in response.content.decode()
    assert not ClassFile.objects.exists()


@pytest.mark.parametrize("name", ["learning:announce"])
def test_only_instructors_post_announcements(client, school, name):
    client.force_login(school.learner)
    client.post(reverse(name, args=[school.klass.pk]), {"title": "Party", "body": "Friday"})
    assert not school.klass.announcements.exists()
    client.force_login(school.instructor)
    client.post(reverse(name, args=[school.klass.pk]), {"title": "Test", "body": "Next week"})
    assert school.klass.announcements.get().title == "Test"


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.txt", b"", "The file is empty"),
        ("sound.webp", b"RIFF\x00\x00\x00\x00WAVEfmt ", "does not match its name"),
        ("picture.wav", b"RIFF\x00\x00\x00\x00WEBPVP8 ", "does not match its name"),
    ],
)
def test_a_file_that_is_not_what_it_says_is_refused(client, school, name, content, problem):
    client.force_login(school.learner)
    upload = SimpleUploadedFile(name, content)
    response = client.post(
        reverse("learning:file_upload", args=[school.klass.pk]), {"file": upload}, follow=True
    )
    assert problem in response.content.decode()
    assert not ClassFile.objects.exists()


def test_instructors_add_lesson_materials_that_only_members_download(client, school):
    lesson = school.lessons[2]
    client.force_login(school.instructor)
    add = reverse("learning:material_add", args=[school.klass.pk, lesson.pk])
    client.post(add, {"title": "Slides", "file": SimpleUploadedFile("s.pdf", b"%PDF-1.7 slides")})
    client.post(add, {"title": "Video", "url": "https://video.example/lesson-3"})
    both = client.post(
        add,
        {
            "title": "Both",
            "url": "https://x.example",
            "file": SimpleUploadedFile("b.pdf", b"%PDF-1.7"),
        },
        follow=True,
    )
    assert "Give either a link or a file" in both.content.decode()
    assert lesson.materials.count() == 2
    client.force_login(school.learner)
    page = client.get(reverse("learning:class", args=[school.klass.pk])).content.decode()
    assert "https://video.example/lesson-3" in page and "Slides" in page
    slides = lesson.materials.get(title="Slides")
    response = client.get(reverse("learning:material", args=[school.klass.pk, slides.pk]))
    assert b"".join(response.streaming_content) == b"%PDF-1.7 slides"
    assert response["Content-Disposition"].startswith("attachment")
    client.force_login(school.outsider)
    response = client.get(reverse("learning:material", args=[school.klass.pk, slides.pk]))
    assert response.status_code == 404
