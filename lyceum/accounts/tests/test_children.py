"""Children and parents (P31, P32): a child's account is held until a parent or the school
consents, is erased without consent, and a parent sees, deletes and stops their child's data."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date, timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import signing
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from lyceum import privacy
from lyceum.accounts import children
from lyceum.accounts.models import ChildConsent, User, UserSession
from lyceum.core.fields import encrypted_fields
from lyceum.privacy.models import AuditEvent, ProcessingLimit, RightsRequest
from lyceum.privacy.register import Purpose

CHILD_EMAIL = "tom.child@example.org"
CHILD_NAME = "Tom Thumb"
PARENT_EMAIL = "parent.thumb@example.org"
CHILD_PASSWORD = "a long pass phrase for tom"


def _years_ago(years: int) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28))


def _signup(client: Any, *, born: date, email: str = CHILD_EMAIL, name: str = CHILD_NAME) -> Any:
    return client.post(
        reverse("account_signup"),
        {
            "name": name,
            "date_of_birth": born.isoformat(),
            "email": email,
            "password1": CHILD_PASSWORD,
        },
    )


def _sign_in(client: Any, email: str = CHILD_EMAIL) -> Any:
    return client.post(reverse("account_login"), {"login": email, "password": CHILD_PASSWORD})


def _link(message: Any, name: str) -> str:
    match = re.search(rf"https?://\S+(/account/parents/{name}[^\s]*/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: Any) -> Any:
    """Run each step's after-commit work (its mail) as the site does."""

    def run(step: Any, *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return step(*args, **kwargs)

    return run


@pytest.fixture
def waiting_child(client: Any, db: Any) -> User:
    """A child of ten who signed up and waits in ``client``'s browser."""
    _signup(client, born=_years_ago(10))
    return User.objects.get(email=CHILD_EMAIL)


@pytest.fixture
def asked(client: Any, waiting_child: User, on_commit: Any, mailoutbox: Any) -> Any:
    """The child gave their parent's address; the parent received the first email."""
    on_commit(client.post, reverse("accounts:child_waiting"), {"email": PARENT_EMAIL})
    return mailoutbox[-1]


def _a_day_passes(consent: ChildConsent) -> None:
    """The delay before the second email goes by (the clock cannot be moved, the row can)."""
    earlier = timedelta(hours=25)
    ChildConsent.objects.filter(pk=consent.pk).update(
        first_confirmed_at=F("first_confirmed_at") - earlier,
        second_due_at=F("second_due_at") - earlier,
    )


def _consent_twice(client: Any, on_commit: Any, mailoutbox: Any, first_mail: Any) -> ChildConsent:
    """The parent agrees with the first link, then with the second email's link."""
    parent = client.__class__()  # the parent's own browser
    on_commit(parent.post, _link(first_mail, "consent"), {"action": "agree", "guardian": "on"})
    consent = ChildConsent.objects.get(status=ChildConsent.Status.PENDING)
    _a_day_passes(consent)
    on_commit(children.child_second_confirmations_send)
    second = mailoutbox[-1]
    on_commit(parent.post, _link(second, "consent"), {"action": "agree", "guardian": "on"})
    return ChildConsent.objects.get(pk=consent.pk)


@pytest.fixture
def consented(client: Any, asked: Any, on_commit: Any, mailoutbox: Any) -> ChildConsent:
    consent = _consent_twice(client, on_commit, mailoutbox, asked)
    assert consent.status == ChildConsent.Status.GIVEN
    return consent


def _parent_home(mailoutbox: Any) -> str:
    given = next(m for m in mailoutbox if "is recorded" in m.subject)
    return _link(given, "")


# Sign-up ----------------------------------------------------------------------------------


def test_p04_p31_signup_asks_the_date_of_birth_and_says_why(client, db):
    page = client.get(reverse("account_signup")).content.decode()
    assert 'name="date_of_birth"' in page
    assert 'type="date"' in page
    assert "Why we ask: children under 13 need a parent's consent" in page


def test_p14_p31_the_date_of_birth_is_stored_encrypted(client, db):
    _signup(client, born=date(1990, 5, 17), email="adult@example.org")
    user = User.objects.get(email="adult@example.org")
    assert user.date_of_birth == date(1990, 5, 17)
    with connection.cursor() as cursor:
        cursor.execute("SELECT date_of_birth FROM accounts_user WHERE id = %s", [user.pk])
        (stored,) = cursor.fetchone()
    assert stored.startswith("fernet:") and "1990" not in stored


def test_p31_an_adult_signs_up_as_before(client, db, mailoutbox):
    response = _signup(client, born=date(1990, 5, 17), email="adult@example.org")
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert not ChildConsent.objects.exists()
    assert "/accounts/confirm-email/" in mailoutbox[0].body


def test_p31_a_date_of_birth_in_the_future_is_refused(client, db):
    response = _signup(client, born=timezone.localdate() + timedelta(days=3))
    assert "A date of birth cannot be in the future." in response.content.decode()
    assert not User.objects.exists()


def test_p31_a_child_is_held_and_cannot_use_the_account(client, db, mailoutbox):
    response = _signup(client, born=_years_ago(10))
    assert response.status_code == 302
    assert response.url == reverse("accounts:child_waiting")
    assert "_auth_user_id" not in client.session
    assert mailoutbox == []  # not even the address confirmation: nothing but what consent needs
    consent = ChildConsent.objects.get(user__email=CHILD_EMAIL)
    assert consent.status == ChildConsent.Status.PENDING
    assert timedelta(days=6, hours=23) < consent.deadline - timezone.now() <= timedelta(days=7)
    page = client.get(reverse("accounts:child_waiting")).content.decode()
    assert "Waiting for your parent's consent" in page

    # Signing in with the right password still shows the waiting page, and no session.
    client.logout()
    response = _sign_in(client)
    assert response.url == reverse("accounts:child_waiting")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("accounts:profile")).status_code == 302
    assert not UserSession.objects.filter(user__email=CHILD_EMAIL).exists()


def test_p31_the_age_threshold_is_a_setting(client, db, settings):
    settings.LYCEUM_CHILD_AGE = 16
    _signup(client, born=_years_ago(14))
    assert ChildConsent.objects.filter(user__email=CHILD_EMAIL).exists()


def test_p31_a_waiting_child_keeps_nothing_beyond_what_consent_needs(client, waiting_child, asked):
    from lyceum.privacy.export import personal_data_of

    held = {s.key for s in personal_data_of(waiting_child.pk) if s.rows}
    needed = {
        "accounts.user",  # name, email address, password, date of birth, language
        "account.emailaddress",  # the address to sign in with
        "accounts.childconsent",  # the parent's address and the steps of consent
        "privacy.auditevent",  # the security log of these steps
        "privacy.consentrecord",  # the privacy notice accepted at sign-up
    }
    assert held <= needed, held - needed
    assert (waiting_child.display_name, waiting_child.pronouns) == ("", "")


# Email plus ------------------------------------------------------------------------------


def test_p31_a_parent_consents_by_email_plus_and_the_record_shows_how_and_when(
    client, waiting_child, asked, on_commit, mailoutbox
):
    assert asked.to == [PARENT_EMAIL]
    assert CHILD_NAME in asked.subject
    assert "What the school keeps about your child" in asked.body
    parent = client.__class__()
    first = _link(asked, "consent")
    page = parent.get(first).content.decode()
    assert "Your consent for your child's account" in page
    on_commit(parent.post, first, {"action": "agree", "guardian": "on"})
    consent = ChildConsent.objects.get()
    assert consent.first_confirmed_at is not None
    assert consent.status == ChildConsent.Status.PENDING  # one confirmation is not enough
    assert _sign_in(client).url == reverse("accounts:child_waiting")
    assert parent.get(first).status_code == 404  # a link works once

    # The second email waits for the delay (24 hours by default), then goes once.
    sent = len(mailoutbox)
    assert children.child_second_confirmations_send() == 0
    assert consent.second_due_at and consent.first_confirmed_at
    assert consent.second_due_at - consent.first_confirmed_at == timedelta(hours=24)
    _a_day_passes(consent)
    assert on_commit(children.child_second_confirmations_send) == 1
    assert children.child_second_confirmations_send() == 0
    assert len(mailoutbox) == sent + 1
    second = _link(mailoutbox[-1], "consent")
    on_commit(parent.post, second, {"action": "agree", "guardian": "on"})

    consent.refresh_from_db()
    assert consent.status == ChildConsent.Status.GIVEN
    assert consent.method == ChildConsent.Method.PARENT_EMAIL_PLUS
    assert consent.first_confirmed_at and consent.second_sent_at and consent.given_at
    assert consent.first_confirmed_at < consent.second_sent_at < consent.given_at
    assert consent.parent_email == PARENT_EMAIL
    actions = AuditEvent.objects.filter(subject_id=waiting_child.pk).values_list(
        "action", flat=True
    )
    assert {"child.held", "child.consent.requested", "child.consent.given"} <= set(actions)
    assert "is recorded" in mailoutbox[-1].subject and "/account/parents/" in mailoutbox[-1].body

    # Now the child signs in like anyone: first the address confirmation, then the account.
    assert _sign_in(client).url == reverse("account_email_verification_sent")


def test_p14_p31_the_parents_address_is_stored_encrypted(waiting_child, asked):
    with connection.cursor() as cursor:
        cursor.execute("SELECT parent_email FROM accounts_childconsent")
        (stored,) = cursor.fetchone()
    assert stored.startswith("fernet:") and "thumb" not in stored


def test_p31_the_parent_must_agree_to_being_the_parent(client, asked):
    response = client.__class__().post(_link(asked, "consent"), {"action": "agree"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert ChildConsent.objects.get().first_confirmed_at is None


def test_p31_a_tampered_or_reused_consent_link_does_nothing(client, asked, on_commit):
    link = _link(asked, "consent")
    token = link.rstrip("/").rsplit("/", 1)[1]
    payload = signing.loads(token, salt=children.CONSENT_SALT)
    forged = signing.dumps({**payload, "s": "second"}, salt="not the salt")
    parent = client.__class__()
    assert parent.get(reverse("accounts:parent_consent", args=[forged])).status_code == 404
    # A step that is not the one the parent is at is refused even when signed.
    skipped = signing.dumps({**payload, "s": "second"}, salt=children.CONSENT_SALT)
    assert (
        parent.post(
            reverse("accounts:parent_consent", args=[skipped]),
            {"action": "agree", "guardian": "on"},
        ).status_code
        == 404
    )
    assert ChildConsent.objects.get().status == ChildConsent.Status.PENDING


def test_p31_a_new_parent_address_makes_the_old_link_stop_working(
    client, asked, on_commit, mailoutbox
):
    old = _link(asked, "consent")
    on_commit(client.post, reverse("accounts:child_waiting"), {"email": "mum@example.org"})
    assert mailoutbox[-1].to == ["mum@example.org"]
    assert client.__class__().get(old).status_code == 404
    assert client.__class__().get(_link(mailoutbox[-1], "consent")).status_code == 200


def test_p31_a_child_cannot_name_themselves_as_parent_nor_write_without_end(
    client, waiting_child, on_commit, mailoutbox
):
    response = client.post(reverse("accounts:child_waiting"), {"email": CHILD_EMAIL})
    assert "This is your own address" in response.content.decode()
    for _ in range(children.MAX_REQUESTS):
        on_commit(client.post, reverse("accounts:child_waiting"), {"email": PARENT_EMAIL})
    response = client.post(reverse("accounts:child_waiting"), {"email": PARENT_EMAIL})
    assert "We have emailed your parent 5 times already" in response.content.decode()
    assert len(mailoutbox) == children.MAX_REQUESTS


def test_p31_a_parent_who_refuses_has_the_account_erased_at_once(
    client, waiting_child, asked, on_commit, mailoutbox
):
    response = on_commit(client.__class__().post, _link(asked, "consent"), {"action": "refuse"})
    assert "The account is deleted" in response.content.decode()
    assert not User.objects.filter(pk=waiting_child.pk).exists()
    assert any("is deleted" in m.subject and m.to == [PARENT_EMAIL] for m in mailoutbox)


# Deadline -------------------------------------------------------------------------------


def _residue(needles: list[str]) -> list[tuple[str, str]]:
    """(table, needle) for every row still holding a needle, encrypted columns decrypted."""
    found: list[tuple[str, str]] = []
    for table in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                text = " ".join(str(v) for v in row).lower()
                found.extend((table, n) for n in needles if n.lower() in text)
    for model, names in encrypted_fields():
        for values in model._base_manager.values(*names):
            text = " ".join(str(v) for v in values.values()).lower()
            found.extend((model._meta.db_table, n) for n in needles if n.lower() in text)
    return found


def test_p31_without_consent_in_7_days_the_account_and_its_data_are_erased(
    client, waiting_child, asked, on_commit, mailoutbox, make_user
):
    consent = ChildConsent.objects.get()
    assert children.child_consents_expire(now=consent.deadline - timedelta(minutes=1)) == 0
    assert (
        on_commit(children.child_consents_expire, now=consent.deadline + timedelta(minutes=1)) == 1
    )
    assert not User.objects.filter(pk=waiting_child.pk).exists()
    assert not ChildConsent.objects.exists()
    # Nothing of the child, nor of the parent's address, remains anywhere.
    assert _residue([CHILD_EMAIL, CHILD_NAME, PARENT_EMAIL]) == [], _residue([CHILD_NAME])
    assert RightsRequest.objects.get().status == RightsRequest.Status.DONE
    told = [m for m in mailoutbox if m.to == [PARENT_EMAIL] and "is deleted" in m.subject]
    assert told and "we did not receive your consent in time" in told[0].body
    # The job may run again: nothing more happens.
    assert children.child_consents_expire(now=consent.deadline + timedelta(days=1)) == 0


def test_p31_a_child_with_consent_is_kept_after_the_deadline(consented):
    assert children.child_consents_expire(now=consented.deadline + timedelta(days=30)) == 0
    assert User.objects.filter(pk=consented.user_id).exists()


def test_p31_a_late_first_confirmation_leaves_time_for_the_second(client, asked, on_commit):
    consent = ChildConsent.objects.get()
    late = consent.deadline - timedelta(hours=2)
    children.child_consent_confirm(consent=consent, step=children.FIRST, now=late)
    consent.refresh_from_db()
    assert consent.second_due_at is not None
    assert consent.deadline >= consent.second_due_at + children.SECOND_ANSWER_TIME
    assert children.child_consents_expire(now=late + timedelta(hours=3)) == 0


# School consent -------------------------------------------------------------------------


@pytest.fixture
def class_and_teacher(make_user):
    from lyceum.learning import services

    teacher = make_user(email="teacher@school.example", name="Ines Instructor", is_instructor=True)
    course = services.course_create(actor=None, title="Reading", level="A1")
    klass = services.class_create(
        actor=None, course=course, title="Year 5", instructors=[teacher], capacity=30
    )
    klass.allows_pseudonyms = True
    klass.save()
    return klass, teacher


def test_p29_p31_a_student_joining_with_the_class_code_is_covered_by_school_consent(
    client, class_and_teacher
):
    klass, _teacher = class_and_teacher
    client.post(
        reverse("learning:join_code"),
        {"action": "join", "join-code": klass.code, "join-pseudonym": "Blue Fox"},
    )
    consent = ChildConsent.objects.get(user__name="Blue Fox")
    assert (consent.status, consent.method) == ("given", ChildConsent.Method.SCHOOL)
    assert consent.school == "Lyceum Online School" and "Year 5" in consent.school_class
    assert AuditEvent.objects.filter(action="child.consent.school", subject_id=consent.user_id)


def test_p31_a_waiting_child_invited_by_a_teacher_is_covered_by_school_consent(
    client, waiting_child, class_and_teacher
):
    klass, teacher = class_and_teacher
    from lyceum.learning.models import Enrolment
    from lyceum.learning.services import class_invitation_create

    invitation = class_invitation_create(actor=teacher, klass=klass)
    page = client.get(reverse("learning:join", args=[invitation.token])).content.decode()
    assert "the school's consent covers your account" in page
    response = client.post(reverse("learning:join", args=[invitation.token]))
    assert response.url == reverse("account_login")
    consent = ChildConsent.objects.get(user=waiting_child)
    assert (consent.status, consent.method) == ("given", ChildConsent.Method.SCHOOL)
    assert Enrolment.objects.filter(user=waiting_child, klass=klass).exists()
    # The account is usable now: signing in goes on to the address confirmation.
    assert _sign_in(client).url == reverse("account_email_verification_sent")


def test_p31_the_school_does_not_override_a_parent_who_withdrew(
    consented, class_and_teacher, client
):
    klass, teacher = class_and_teacher
    from lyceum.learning.models import Enrolment
    from lyceum.learning.services import class_invitation_create

    children.parent_withdraw(consent=consented)
    invitation = class_invitation_create(actor=teacher, klass=klass)
    assert _sign_in(client).url == reverse("accounts:child_waiting")
    client.post(reverse("learning:join", args=[invitation.token]))
    assert not Enrolment.objects.filter(user=consented.user).exists()
    consented.refresh_from_db()
    assert consented.status == ChildConsent.Status.WITHDRAWN


def test_p31_an_adult_joining_a_class_gets_no_consent_record(client, class_and_teacher, make_user):
    klass, teacher = class_and_teacher
    from lyceum.learning.services import class_invitation_accept, class_invitation_create

    adult = make_user(email="adult@example.org")
    invitation = class_invitation_create(actor=teacher, klass=klass)
    class_invitation_accept(invitation=invitation, user=adult)
    assert not ChildConsent.objects.filter(user=adult).exists()


# Staff ----------------------------------------------------------------------------------


def test_p31_staff_erase_a_child_found_without_consent_at_once(
    client, make_user, with_totp, on_commit
):
    staff = make_user(email="dpo@school.example", is_staff=True, is_dpo=True)
    with_totp(staff)
    child = make_user(email="found@example.org", name="Found Child")
    client.force_login(staff)
    url = reverse("admin:accounts_user_changelist")
    form = {"action": "child_found_without_consent", "_selected_action": [child.pk]}
    confirm = client.post(url, form)
    assert "Yes, delete them now" in confirm.content.decode()
    assert User.objects.filter(pk=child.pk).exists()  # nothing happens before confirming
    on_commit(client.post, url, {**form, "confirmed": "yes"})
    assert not User.objects.filter(pk=child.pk).exists()
    event = AuditEvent.objects.get(action="child.found_without_consent")
    assert (event.actor_id, event.subject_id) == (staff.pk, child.pk)


def test_p31_staff_see_a_childs_consent_record(client, make_user, with_totp, consented):
    staff = make_user(email="dpo@school.example", is_staff=True, is_dpo=True)
    with_totp(staff)
    client.force_login(staff)
    page = client.get(reverse("admin:accounts_user_change", args=[consented.user_id]))
    text = page.content.decode()
    assert "Consent given" in text and "confirmed again in a second, later email" in text


# The parent's page (P32) ----------------------------------------------------------------


def test_p32_a_parent_sees_the_childs_data_and_downloads_the_export(client, consented, mailoutbox):
    home = _parent_home(mailoutbox)
    parent = client.__class__()
    page = parent.get(home).content.decode()
    assert f"{CHILD_NAME}'s account" in page
    assert CHILD_EMAIL in page and "Why we hold it" in page
    assert "A parent, by email, confirmed again in a second, later email" in page
    response = parent.get(reverse("accounts:parent_download", args=[home.split("/")[-2]]))
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert {"README.txt", "report.html", "data.json"} <= set(archive.namelist())
    data = json.loads(archive.read("data.json"))
    users = next(s for s in data["sections"] if s["id"] == "accounts.user")
    assert users["rows"][0]["name"] == CHILD_NAME
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"parent.viewed", "parent.exported"} <= actions


def test_p32_a_parent_has_the_account_deleted(client, consented, mailoutbox, on_commit):
    home = _parent_home(mailoutbox)
    parent = client.__class__()
    page = parent.get(home + "delete/").content.decode()
    assert "What will be erased" in page
    response = on_commit(parent.post, home + "delete/")
    assert "As you asked, we have deleted the account" in response.content.decode()
    assert not User.objects.filter(pk=consented.user_id).exists()
    assert AuditEvent.objects.filter(action="parent.erased").exists()
    assert parent.get(home).status_code == 404


def test_p32_a_parent_stops_further_collection(client, consented, mailoutbox, on_commit):
    child = consented.user
    EmailAddress.objects.filter(user=child).update(verified=True)
    assert _sign_in(client).status_code == 302 and "_auth_user_id" in client.session
    home = _parent_home(mailoutbox)
    parent = client.__class__()
    on_commit(parent.post, home + "stop/", {"on": "1"})
    assert not privacy.allows(child, Purpose.SERVICE)  # restricted (P44)
    assert ProcessingLimit.objects.filter(user=child, lifted_at=None).exists()
    assert not UserSession.objects.filter(user=child).exists()  # signed out everywhere
    assert client.get(reverse("accounts:profile")).status_code == 302
    assert _sign_in(client).url == reverse("accounts:child_waiting")
    assert (
        "Your parent has paused your account"
        in client.get(reverse("accounts:child_waiting")).content.decode()
    )
    on_commit(parent.post, home + "stop/", {"on": "0"})
    assert privacy.allows(child, Purpose.SERVICE)
    assert _sign_in(client).url == reverse("accounts:profile")


def test_p32_a_parent_withdraws_consent_and_may_give_it_again(
    client, consented, mailoutbox, on_commit
):
    child = consented.user
    home = _parent_home(mailoutbox)
    parent = client.__class__()
    on_commit(parent.post, home + "withdraw/")
    consented.refresh_from_db()
    assert consented.status == ChildConsent.Status.WITHDRAWN
    assert not privacy.allows(child, Purpose.SERVICE)
    assert _sign_in(client).url == reverse("accounts:child_waiting")
    page = client.get(reverse("accounts:child_waiting")).content.decode()
    assert "Your parent has withdrawn their consent" in page
    assert 'name="email"' not in page  # the child cannot send the request elsewhere
    assert any("You withdrew your consent" in m.subject for m in mailoutbox)
    assert "Give my consent again" in parent.get(home).content.decode()
    on_commit(parent.post, home + "renew/")
    consented.refresh_from_db()
    assert consented.status == ChildConsent.Status.GIVEN
    assert privacy.allows(child, Purpose.SERVICE)


def test_p31_p32_a_withdrawn_consent_not_given_again_ends_in_erasure(
    client, consented, mailoutbox, on_commit
):
    children.parent_withdraw(consent=consented)
    consented.refresh_from_db()
    assert (
        on_commit(children.child_consents_expire, now=consented.deadline + timedelta(hours=1)) == 1
    )
    assert not User.objects.filter(pk=consented.user_id).exists()


def test_p32_a_link_for_one_child_never_reaches_another(client, consented, mailoutbox, on_commit):
    # A second child of the same parent.
    sibling_browser = client.__class__()
    _signup(sibling_browser, born=_years_ago(8), email="sis@example.org", name="Tina Thumb")
    on_commit(sibling_browser.post, reverse("accounts:child_waiting"), {"email": PARENT_EMAIL})
    _consent_twice(sibling_browser, on_commit, mailoutbox, mailoutbox[-1])
    home = _parent_home(mailoutbox)
    parent = client.__class__()
    page = parent.get(home).content.decode()
    assert CHILD_NAME in page and "Tina Thumb" not in page and "sis@example.org" not in page
    token = home.split("/")[-2]
    payload = signing.loads(token, salt=children.PARENT_SALT)
    sister = ChildConsent.objects.get(user__email="sis@example.org")
    forged = signing.dumps({**payload, "k": str(sister.public_id)}, salt="guessed")
    assert parent.get(reverse("accounts:parent_home", args=[forged])).status_code == 404
    assert parent.get(reverse("accounts:parent_home", args=[token[:-2] + "xx"])).status_code == 404
    # Other actions are bound the same way.
    assert parent.post(reverse("accounts:parent_delete", args=[forged])).status_code == 404
    assert User.objects.filter(email="sis@example.org").exists()


def test_p32_a_parent_link_expires(client, consented, mailoutbox, settings):
    home = _parent_home(mailoutbox)
    settings.LYCEUM_PARENT_LINK_DAYS = 0
    assert client.__class__().get(home).status_code == 404


def test_p32_a_child_cannot_open_the_parent_page(client, consented, mailoutbox):
    home = _parent_home(mailoutbox)
    child = consented.user
    client.force_login(child)
    response = client.get(home)
    assert response.status_code == 403
    assert "This page is for your parent" in response.content.decode()
    assert client.post(home + "delete/").status_code == 403
    assert User.objects.filter(pk=child.pk).exists()


def test_p32_a_waiting_child_cannot_answer_for_their_parent(client, asked):
    response = client.post(_link(asked, "consent"), {"action": "agree", "guardian": "on"})
    assert response.status_code == 403
    assert ChildConsent.objects.get().first_confirmed_at is None


def test_p32_a_parent_on_the_familys_computer_leaves_the_childs_account_first(client, asked):
    link = _link(asked, "consent")
    refused = client.get(link)
    assert refused.status_code == 403
    assert "Leave my child's account" in refused.content.decode()
    assert client.get(reverse("accounts:child_waiting")).status_code == 200  # still waiting
    response = client.post(reverse("accounts:child_waiting"), {"action": "leave", "next": link})
    assert response.url == link
    assert client.get(link).status_code == 200


def test_p31_leaving_the_waiting_page_goes_nowhere_outside_the_site(client, waiting_child):
    response = client.post(
        reverse("accounts:child_waiting"), {"action": "leave", "next": "https://evil.example/"}
    )
    assert response.url == reverse("web:home")


def test_p32_a_parent_asks_for_a_new_link(client, consented, mailoutbox, on_commit):
    before = len(mailoutbox)
    parent = client.__class__()
    response = on_commit(
        parent.post, reverse("accounts:parent_request"), {"email": PARENT_EMAIL.upper()}
    )
    assert response.status_code == 302
    assert mailoutbox[-1].to == [PARENT_EMAIL] and len(mailoutbox) == before + 1
    assert parent.get(_link(mailoutbox[-1], "")).status_code == 200
    # Anyone else is told the same, and nothing is sent.
    on_commit(parent.post, reverse("accounts:parent_request"), {"email": "stranger@example.org"})
    assert len(mailoutbox) == before + 1
