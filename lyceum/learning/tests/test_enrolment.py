"""Enrolment paths: self-enrolment, a contract's seats, an instructor's invitation; and no
overbooking under concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from lyceum.learning import services
from lyceum.learning.models import ClassInvitation, Enrolment
from lyceum.learning.services import LearningError
from lyceum.orgs.services import membership_add


def test_a_full_class_takes_nobody_more(school, make_user):
    school.klass.capacity = 2
    school.klass.save()
    with pytest.raises(LearningError, match="full"):
        services.enrol(
            actor=None, klass=school.klass, user=make_user(), source=Enrolment.Source.STAFF
        )


def test_a_contract_gives_seats_only_to_members_for_covered_courses(school, make_user):
    stranger = make_user(name="Not At Acme")
    with pytest.raises(LearningError, match="not a member"):
        services.seats_assign(
            actor=school.acme_admin, contract=school.contract, klass=school.klass, users=[stranger]
        )
    other_course = services.course_create(actor=None, title="German", level="A1")
    other_class = services.class_create(actor=None, course=other_course, title="Mondays")
    colleague = make_user(name="Colleague")
    membership_add(actor=None, organisation=school.acme, user=colleague)
    with pytest.raises(LearningError, match="does not cover"):
        services.seats_assign(
            actor=school.acme_admin, contract=school.contract, klass=other_class, users=[colleague]
        )


def test_seats_are_assigned_all_or_none(school, make_user):
    people = [make_user(name=f"Colleague {i}") for i in range(3)]
    for person in people:
        membership_add(actor=None, organisation=school.acme, user=person)
    # 3 seats, one taken by the employee: three more people cannot all fit.
    with pytest.raises(LearningError, match="Only 2 seats are left, for 3 people"):
        services.seats_assign(
            actor=school.acme_admin, contract=school.contract, klass=school.klass, users=people
        )
    assert school.contract.enrolments.count() == 1
    services.seats_assign(
        actor=school.acme_admin, contract=school.contract, klass=school.klass, users=people[:2]
    )
    assert school.contract.enrolments.filter(status="active").count() == 3


def test_an_expired_contract_gives_no_seat(school, make_user):
    school.contract.ends_on = timezone.localdate() - timedelta(days=1)
    school.contract.save()
    colleague = make_user()
    membership_add(actor=None, organisation=school.acme, user=colleague)
    with pytest.raises(LearningError, match="not running"):
        services.seats_assign(
            actor=school.acme_admin, contract=school.contract, klass=school.klass, users=[colleague]
        )


def test_a_withdrawn_seat_is_free_again(school, make_user):
    enrolment = Enrolment.objects.get(user=school.employee)
    services.enrolment_withdraw(actor=school.acme_admin, enrolment=enrolment)
    assert school.contract.enrolments.filter(status="active").count() == 0
    services.enrol(
        actor=school.acme_admin,
        klass=school.klass,
        user=school.employee,
        source=Enrolment.Source.CONTRACT,
        contract=school.contract,
    )
    stays = Enrolment.objects.filter(user=school.employee).order_by("pk")
    assert [e.status for e in stays] == ["withdrawn", "active"]  # each stay its own row


@pytest.mark.django_db(transaction=True)
def test_parallel_requests_never_overbook_a_contract(school, make_user):
    """Eight people ask for the contract's last two seats at the same moment."""
    people = [make_user(name=f"Rush {i}") for i in range(8)]
    for person in people:
        membership_add(actor=None, organisation=school.acme, user=person)
    school.klass.capacity = 50
    school.klass.save()
    start = threading.Barrier(len(people))
    outcomes: list[str] = []

    def take_seat(person):
        try:
            start.wait()
            services.enrol(
                actor=person,
                klass=school.klass,
                user=person,
                source=Enrolment.Source.CONTRACT,
                contract=school.contract,
            )
            outcomes.append("seat")
        except LearningError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take_seat, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("seat") == 2, (connection.vendor, outcomes)
    assert school.contract.enrolments.filter(status="active").count() == 3


@pytest.mark.django_db(transaction=True)
def test_parallel_self_enrolments_never_overfill_a_class(school, make_user):
    school.course.self_enrolment = True
    school.course.save()
    school.klass.capacity = 4  # two places left
    school.klass.save()
    people = [make_user(name=f"Eager {i}") for i in range(6)]
    start = threading.Barrier(len(people))
    outcomes: list[str] = []

    def join(person):
        try:
            start.wait()
            services.self_enrol(user=person, klass=school.klass)
            outcomes.append("in")
        except LearningError:
            outcomes.append("full")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=join, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("in") == 2
    assert school.klass.enrolments.filter(status="active").count() == 4


def test_self_enrolment_from_the_course_page(client, school, make_user):
    person = make_user(name="Keen Learner")
    client.force_login(person)
    response = client.post(reverse("learning:enrol", args=[school.klass.pk]))
    assert response.status_code == 302
    assert not Enrolment.objects.filter(user=person).exists()  # the course is not open
    school.course.self_enrolment = True
    school.course.save()
    response = client.post(reverse("learning:enrol", args=[school.klass.pk]), follow=True)
    assert Enrolment.objects.filter(user=person, source="self").exists()
    assert "You are enrolled" in response.content.decode()


def test_an_instructor_invites_by_link_and_by_email(
    client, school, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(school.instructor)
    url = reverse("learning:invitations", args=[school.klass.pk])
    client.post(url, {"email": ""})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"email": "Newcomer@Example.org"}, follow=True)
    link_invitation = ClassInvitation.objects.get(email="")
    email_invitation = ClassInvitation.objects.get(email="newcomer@example.org")
    (message,) = mailoutbox
    assert message.to == ["newcomer@example.org"]
    join_url = reverse("learning:join", args=[email_invitation.token])
    assert join_url in message.body

    # Anyone signed in may use the shared link.
    friend = make_user(name="Friend")
    client.force_login(friend)
    client.post(reverse("learning:join", args=[link_invitation.token]))
    assert Enrolment.objects.filter(user=friend, source="invitation").exists()

    # The emailed invitation is for its address only, and once.
    client.force_login(make_user(name="Someone Else"))
    response = client.post(join_url, follow=True)
    assert "sent to another address" in response.content.decode()
    newcomer = make_user(email="newcomer@example.org", name="New Comer")
    client.force_login(newcomer)
    client.post(join_url)
    assert Enrolment.objects.filter(user=newcomer).exists()
    client.force_login(make_user(email="third@example.org"))
    assert client.get(join_url).status_code == 404


def test_a_revoked_or_expired_invitation_does_not_work(client, school, make_user):
    revoked = services.class_invitation_create(actor=school.instructor, klass=school.klass)
    expired = services.class_invitation_create(actor=school.instructor, klass=school.klass)
    services.class_invitation_revoke(actor=school.instructor, invitation=revoked)
    ClassInvitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    client.force_login(make_user())
    for invitation in (revoked, expired):
        response = client.post(reverse("learning:join", args=[invitation.token]))
        assert response.status_code == 404
        assert "does not work" in response.content.decode()


def test_a_member_who_leaves_the_client_frees_their_seat(client, school):
    from lyceum.orgs.models import Membership

    client.force_login(school.acme_admin)
    membership = Membership.objects.get(organisation=school.acme, user=school.employee)
    client.post(reverse("orgs:member_remove", args=[school.acme.slug, membership.pk]))
    enrolment = Enrolment.objects.get(user=school.employee)
    assert enrolment.status == "withdrawn"
    assert school.contract.enrolments.filter(status="active").count() == 0
    client.force_login(school.employee)
    assert client.get(reverse("learning:class", args=[school.klass.pk])).status_code == 404


def test_an_instructor_cannot_send_invitations_without_end(client, school, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "lyceum_invite": "3/h/user"}
    client.force_login(school.instructor)
    url = reverse("learning:invitations", args=[school.klass.pk])
    for i in range(3):
        client.post(url, {"email": f"guest{i}@example.org"})
    response = client.post(url, {"email": "one.more@example.org"})
    assert "Too many invitations in an hour" in response.content.decode()
    assert ClassInvitation.objects.filter(is_personal=True).count() == 3


def test_attendance_of_a_learner_who_left_can_still_be_corrected(client, school):
    lesson = school.lessons[0]
    services.attendance_record(
        actor=school.instructor, lesson=lesson, marks={school.employee.pk: "absent"}
    )
    services.enrolment_withdraw(
        actor=school.acme_admin, enrolment=Enrolment.objects.get(user=school.employee)
    )
    client.force_login(school.instructor)
    url = reverse("learning:attendance", args=[school.klass.pk, lesson.pk])
    assert "Sam Employee" in client.get(url).content.decode()
    client.post(url, {f"status-{school.employee.pk}": "excused"})
    assert lesson.attendance.get(user=school.employee).status == "excused"


def test_a_withdrawn_invitation_takes_nobody_out_of_a_class(client, school, make_user):
    from lyceum.orgs.models import Membership
    from lyceum.orgs.roster import member_invite

    school.klass.organisation = school.acme
    school.klass.save()
    member_invite(
        actor=school.acme_admin,
        organisation=school.acme,
        email=school.learner.email,
        name="Léa",
        base_url="http://testserver/",
    )
    pending = Membership.objects.get(user=school.learner)
    client.force_login(school.acme_admin)
    client.post(reverse("orgs:member_remove", args=[school.acme.slug, pending.pk]))
    assert Enrolment.objects.get(user=school.learner).status == "active"


def test_a_personal_invitation_needs_the_address_confirmed(client, school, make_user):
    from allauth.account.models import EmailAddress

    invitation = services.class_invitation_create(
        actor=school.instructor, klass=school.klass, email="guest@example.org"
    )
    guest = make_user(email="guest@example.org", name="Guest")
    EmailAddress.objects.filter(user=guest).update(verified=False)
    with pytest.raises(LearningError, match="another address"):
        services.class_invitation_accept(invitation=invitation, user=guest)
    EmailAddress.objects.filter(user=guest).update(verified=True)
    services.class_invitation_accept(invitation=invitation, user=guest)
    assert Enrolment.objects.filter(user=guest, status="active").exists()
