"""A person with data in every entry of the register, for the erasure tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from lyceum.accounts.models import ChildConsent, User, UserSession
from lyceum.orgs.models import Membership, Organisation
from lyceum.orgs.services import membership_add, organisation_create
from lyceum.privacy.models import AuditEvent, DataExport, ProcessingLimit, RightsRequest
from lyceum.privacy.register import register
from lyceum.privacy.services import data_export_build, data_export_request, rectification_request

NAME = "Zebediah Quillfeather"
DISPLAY = "Zeb Q."
EMAIL = "zeb.quillfeather@example.org"
IP = "203.0.113.77"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def dpo_client(client: Any, make_user: Any, with_totp: Any) -> Any:
    """A browser signed in as the data protection officer, with a second factor."""
    dpo = make_user(email="dpo@school.example", name="Dee Pio", is_staff=True, is_dpo=True)
    with_totp(dpo)
    client.force_login(dpo)
    client.dpo = dpo
    return client


def _learning(person: User, instructor: User) -> None:
    """A class with the person in it: attendance, their messages, a file named after them,
    an invitation they sent, a calendar feed, and a former pseudonym's sign-in code."""
    from django.contrib.auth.hashers import make_password
    from django.core.files.uploadedfile import SimpleUploadedFile

    from lyceum.accounts.models import PseudonymKey
    from lyceum.learning import services as learning
    from lyceum.learning.models import Announcement, Enrolment

    course = learning.course_create(actor=None, title="Spanish A1", level="A1")
    klass = learning.class_create(
        actor=None, course=course, title="Mondays", instructors=[instructor]
    )
    learning.enrol(actor=None, klass=klass, user=person, source=Enrolment.Source.SELF)
    (lesson,) = learning.lesson_schedule(
        actor=instructor,
        klass=klass,
        starts_at=timezone.now() - timedelta(days=1),
        duration=60,
        topic="Greetings",
    )
    learning.attendance_record(actor=instructor, lesson=lesson, marks={person.pk: "late"})
    learning.class_invitation_create(actor=person, klass=klass, email="friend@example.net")
    learning.calendar_feed_of(person)
    learning.class_message_post(actor=person, klass=klass, body="See you on Monday!")
    Announcement.objects.create(klass=klass, author=person, title="Lift", body="Car sharing")
    learning.class_file_upload(
        actor=person,
        klass=klass,
        upload=SimpleUploadedFile(f"{NAME} notes.txt", b"Notes by " + NAME.encode()),
    )
    PseudonymKey.objects.create(user=person, handle="ZQ77", secret_hash=make_password("X"))
    # The person set a practice sentence (as an instructor elsewhere) and read it aloud.
    from lyceum.speech.models import PracticeAttempt, PracticeSentence

    sentence = PracticeSentence.objects.create(
        klass=klass, text="The cat sat on the mat.", created_by=person
    )
    PracticeAttempt.objects.create(
        user=person,
        sentence=sentence,
        text=sentence.text,
        pronunciation=80,
        accuracy=82,
        fluency=75,
        completeness=100,
        result={"words": [{"word": "Quillfeather", "accuracy_score": 70}]},
    )


@pytest.fixture
def full_person(
    client: Any, make_user: Any, password: str, with_totp: Any, media: Any, settings: Any
) -> User:
    """Someone with at least one row in every register entry, made the way the site makes
    them wherever it can (a real sign-in from a known IP address, a real export)."""
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    person = make_user(email=EMAIL, name=NAME, display_name=DISPLAY, pronouns="he/him")
    staff = make_user(email="staff@school.example", name="Staff Member", is_staff=True)
    second = EmailAddress.objects.create(user=person, email="zeb.second@example.org")
    EmailConfirmation.create(second).save()
    app = SocialApp.objects.create(provider="openid_connect", provider_id="google", name="G")
    account = SocialAccount.objects.create(
        user=person,
        provider="google",
        uid="g-777",
        extra_data={"email": EMAIL, "name": NAME},
    )
    SocialToken.objects.create(app=app, account=account, token="tok-secret")
    org = organisation_create(actor=None, name="Acme", kind=Organisation.Kind.COMPANY)
    membership_add(actor=None, organisation=org, user=person, role=Membership.Role.MEMBER)
    # A real sign-in: a session row and audit events carrying the IP address.
    response = client.post(
        reverse("account_login"),
        {"login": EMAIL, "password": password},
        REMOTE_ADDR=IP,
        HTTP_USER_AGENT=f"Browser of {NAME}",
    )
    assert response.status_code == 302
    with_totp(person)  # after signing in, which would otherwise stop at the second factor
    # A parent's consent on record (made directly: the person is no child held for it).
    ChildConsent.objects.create(
        user=person,
        status=ChildConsent.Status.GIVEN,
        method=ChildConsent.Method.PARENT_EMAIL_PLUS,
        parent_email="zeb.parent@example.org",
        parent_email_digest="x" * 64,
        deadline=timezone.now(),
        given_at=timezone.now(),
    )
    # Staff look at the person in the back office, and the person did so as staff, too.
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(person.pk),
        object_repr=NAME,
        action_flag=CHANGE,
    )
    LogEntry.objects.create(
        user=person,
        content_type=ContentType.objects.get_for_model(Organisation),
        object_id=str(org.pk),
        object_repr="Acme",
        action_flag=CHANGE,
    )
    export = data_export_request(user=person, base_url="http://testserver/")
    data_export_build(export_id=export.pk, base_url="http://testserver/")
    rectification_request(
        user=person, details=f"My name is {NAME}, not Zebedee.", base_url="http://testserver/"
    )
    ProcessingLimit.objects.create(
        user=person, kind=ProcessingLimit.Kind.OBJECTION, purpose="marketing", reason=NAME
    )
    _learning(person, staff)
    # The person made an API key for their company's speech app.
    from lyceum.speech.services import api_client_create, api_key_create

    speech_client = api_client_create(actor=None, organisation=org, name="Acme app")
    api_key_create(actor=person, client=speech_client, label="ci", scopes=["assess"])
    from lyceum.privacy.consent import consent_record
    from lyceum.privacy.models import ConsentRecord

    consent_record(
        choices={"analytics": True},
        method=ConsentRecord.Method.FORM,
        user=person,
        user_agent=f"Browser of {NAME}",
    )
    UserSession.objects.filter(user=person).update(expire_date=timezone.now() + timedelta(days=1))
    assert AuditEvent.objects.filter(ip=IP).exists()
    assert DataExport.objects.get(pk=export.pk).archive
    assert RightsRequest.objects.filter(user=person).exists()
    # Every entry that can hold a living person's rows (processor notices exist only once a
    # person is erased, and are checked by the processor tests).
    findable = [e for e in register.entries.values() if e.subject or e.also]
    empty = [e.label for e in findable if not e.rows_of(person.pk).exists()]
    assert empty == [], f"the person has no rows in {empty}: give them some"
    return person
