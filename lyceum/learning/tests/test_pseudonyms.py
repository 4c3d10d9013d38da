"""P29: students invited by a teacher take part under a pseudonym, without an email address."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from lyceum.accounts.models import User
from lyceum.learning.models import Enrolment
from lyceum.privacy.erasure import erase
from lyceum.privacy.export import personal_data_of


@pytest.fixture
def open_class(school):
    school.klass.allows_pseudonyms = True
    school.klass.save()
    return school.klass


def _join(client, code, pseudonym):
    return client.post(
        reverse("learning:join_code"),
        {"action": "join", "join-code": code, "join-pseudonym": pseudonym},
    )


def test_p29_a_student_joins_with_the_class_code_and_no_email(client, open_class):
    response = _join(client, open_class.code.lower(), "Blue Fox")
    assert response.status_code == 200
    personal_code = re.search(r'id="personal-code">([A-Z0-9-]+)<', response.content.decode())
    assert personal_code, "the personal code is shown once"
    student = User.objects.get(name="Blue Fox")
    assert student.email is None and student.is_pseudonymous
    assert not student.has_usable_password()
    assert Enrolment.objects.filter(user=student, klass=open_class, source="pseudonym").exists()
    # Signed in at once; later, with the personal code alone.
    assert client.get(reverse("learning:class", args=[open_class.pk])).status_code == 200
    client.logout()
    response = client.post(
        reverse("learning:join_code"), {"action": "sign-in", "signin-code": personal_code.group(1)}
    )
    assert response.status_code == 302
    assert client.get(reverse("learning:timetable")).context["user"] == student


def test_p29_a_wrong_code_or_a_closed_class_lets_nobody_in(client, school):
    response = _join(client, school.klass.code, "Sneaky")
    assert "No class takes students with this code" in response.content.decode()
    response = client.post(
        reverse("learning:join_code"), {"action": "sign-in", "signin-code": "AAAA-BBBB-CCCC"}
    )
    assert "This code is not right" in response.content.decode()
    assert not User.objects.filter(is_pseudonymous=True).exists()


def test_p29_the_teacher_gives_a_new_code_and_the_old_one_stops_working(client, open_class, school):
    old = re.search(
        r'personal-code">([A-Z0-9-]+)<', _join(client, open_class.code, "Owl").content.decode()
    )
    student = User.objects.get(name="Owl")
    client.force_login(school.instructor)
    response = client.post(
        reverse("learning:pseudonym_code_reset", args=[open_class.pk, student.pk]), follow=True
    )
    new = re.search(r"New personal code for Owl: ([A-Z0-9-]+)\.", response.content.decode())
    assert old and new and new.group(1) != old.group(1)
    client.logout()
    signin = reverse("learning:join_code")
    assert (
        client.post(signin, {"action": "sign-in", "signin-code": old.group(1)}).status_code == 200
    )
    assert (
        client.post(signin, {"action": "sign-in", "signin-code": new.group(1)}).status_code == 302
    )


def test_p29_a_pseudonymous_student_can_attach_an_account_later(client, open_class, mailoutbox):
    _join(client, open_class.code, "Tiger")
    response = client.post(
        reverse("accounts:attach_account"),
        {"email": "tiger@example.org", "password1": "a long and fine pass phrase"},
    )
    assert response.status_code == 302
    student = User.objects.get(name="Tiger")
    # Not the account's address until its owner confirms it.
    assert student.email is None and student.is_pseudonymous
    (message,) = [m for m in mailoutbox if "/accounts/confirm-email/" in m.body]
    key = re.search(r"/accounts/confirm-email/([^/\s]+)/", message.body)
    assert key
    client.post(reverse("account_confirm_email", args=[key.group(1)]))
    student.refresh_from_db()
    assert student.email == "tiger@example.org" and not student.is_pseudonymous
    assert student.check_password("a long and fine pass phrase")
    assert Enrolment.objects.filter(user=student, klass=open_class).exists()  # history kept


def test_p29_a_pseudonymous_student_has_the_same_rights(client, open_class):
    _join(client, open_class.code, "Heron")
    student = User.objects.get(name="Heron")
    sections = {s.entry.label: s for s in personal_data_of(student.pk)}
    assert "learning.Enrolment" in sections and "accounts.PseudonymKey" in sections
    erase(student.pk)
    assert not User.objects.filter(pk=student.pk).exists()


def test_p29_a_whole_class_signs_in_from_one_address_but_guessing_is_stopped(client, open_class):
    open_class.capacity = 40
    open_class.save()
    codes = []
    for i in range(31):  # more than the limit on failures: successes never count
        response = _join(client, open_class.code, f"Pupil {i}")
        found = re.search(r'personal-code">([A-Z0-9-]+)<', response.content.decode())
        assert found, response.content.decode()
        codes.append(found.group(1))
        client.logout()
    signin = reverse("learning:join_code")
    for code in codes:
        assert client.post(signin, {"action": "sign-in", "signin-code": code}).status_code == 302
        client.logout()
    # Guessing one student's code is stopped after five tries, and the address after thirty.
    handle = codes[0][:4]
    for _ in range(5):
        client.post(signin, {"action": "sign-in", "signin-code": f"{handle}-AAAA-AAAA"})
    response = client.post(signin, {"action": "sign-in", "signin-code": codes[0]})
    assert response.status_code == 200 and "not right" in response.content.decode()
    for i in range(30):
        client.post(signin, {"action": "sign-in", "signin-code": f"ZZ{i:02}-AAAA-AAAA"})
    assert client.post(signin, {"action": "sign-in", "signin-code": codes[1]}).status_code == 429


def test_p29_a_signed_in_person_is_not_switched_to_a_new_pseudonym(client, open_class, school):
    client.force_login(school.learner)
    response = _join(client, open_class.code, "Second Me")
    assert "Sign out first" in response.content.decode()
    assert not User.objects.filter(name="Second Me").exists()
    assert response.context["user"] == school.learner


def test_p29_a_pseudonymous_student_sees_times_in_the_class_time_zone(client, open_class):
    _join(client, open_class.code, "Paris Pupil")
    assert User.objects.get(name="Paris Pupil").time_zone == "Europe/Paris"


def test_p29_a_leaked_class_code_is_replaced(client, open_class, school):
    old = open_class.code
    client.force_login(school.instructor)
    client.post(reverse("learning:class_code_renew", args=[open_class.pk]))
    open_class.refresh_from_db()
    assert open_class.code != old
    client.logout()
    assert "No class takes students" in _join(client, old, "Late Comer").content.decode()
    assert _join(client, open_class.code, "On Time").status_code == 200


def test_p43_a_pseudonymous_student_deletes_their_account_and_can_keep_it(client, open_class):
    _join(client, open_class.code, "Quiet Owl")
    student = User.objects.get(name="Quiet Owl")
    response = client.post(reverse("privacy:erasure"), {"confirm": "on"})
    page = response.content.decode()
    found = re.search(r'id="keep-link" type="text" readonly value="http://testserver([^"]+)"', page)
    assert found, page
    student.refresh_from_db()
    assert not student.is_active
    client.post(found.group(1))
    student.refresh_from_db()
    assert student.is_active
