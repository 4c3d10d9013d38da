"""Processor mode (P30): under a contract that makes an organisation the controller of its
members' data, their data protection requests go to its administrators, who decide; the
platform carries out what they decide and keeps the record."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from lyceum.orgs.models import Contract, Membership, Organisation
from lyceum.orgs.services import contract_create, membership_add, organisation_create
from lyceum.privacy.desk import desk_request_submit
from lyceum.privacy.models import AuditEvent, DataExport, RightsRequest

pytestmark = pytest.mark.django_db


def _contract(organisation, *, controller=Contract.Controller.ORGANISATION, holds=False, **dates):
    today = date.today()
    return contract_create(
        actor=None,
        organisation=organisation,
        reference=f"{organisation.slug.upper()}-{Contract.objects.count() + 1}",
        starts_on=dates.get("starts_on", today - timedelta(days=30)),
        ends_on=dates.get("ends_on", today + timedelta(days=300)),
        seats=30,
        controller=controller,
        self_service_via_organisation=holds,
    )


@pytest.fixture
def lycee(make_user, with_totp):
    """An institution that controls its members' data, with an administrator (with a second
    factor) and a student; and another client with its own administrator."""
    school = organisation_create(
        actor=None, name="Lycée Victor Hugo", kind=Organisation.Kind.INSTITUTION, slug="lvh"
    )
    admin = make_user(email="head@lvh.example", name="Hélène Head")
    student = make_user(email="sami@lvh.example", name="Sami Student")
    membership_add(actor=None, organisation=school, user=admin, role=Membership.Role.ADMIN)
    membership_add(actor=None, organisation=school, user=student)
    with_totp(admin)
    other = organisation_create(actor=None, name="Acme", kind=Organisation.Kind.COMPANY)
    other_admin = make_user(email="boss@acme.example", name="Acme Boss")
    membership_add(actor=None, organisation=other, user=other_admin, role=Membership.Role.ADMIN)
    with_totp(other_admin)
    contract = _contract(school)
    return {
        "school": school,
        "admin": admin,
        "student": student,
        "other": other,
        "other_admin": other_admin,
        "contract": contract,
    }


def _signed_in(client, user):
    browser = type(client)()
    browser.force_login(user)
    return browser


def _about_student(**fields):
    data = {
        "kind": "access",
        "requester_name": "Sami's father",
        "requester_email": "father@example.org",
        "on_behalf": True,
        "subject_name": "Sami Student",
        "subject_email": "sami@lvh.example",
        "language": "en",
        "base_url": "http://testserver/",
    }
    return desk_request_submit(**{**data, **fields})


def test_p30_a_request_about_a_member_goes_to_the_organisations_administrators(
    client, lycee, django_capture_on_commit_callbacks, mailoutbox, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("desk:form"),
            {
                "kind": "erasure",
                "requester_name": "Sami Student",
                "requester_email": "sami@lvh.example",
                "on_behalf": "no",
            },
        )
    request = RightsRequest.objects.get()
    assert request.user == lycee["student"]
    assert request.controller_id == lycee["school"].pk
    confirm = re.search(r"http://testserver(/privacy/requests/confirm/\S+/)", mailoutbox[0].body)
    assert confirm
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm.group(1))
    path = reverse("orgs:request", args=["lvh", request.public_id])
    to_admin = next(m for m in mailoutbox if m.to == ["head@lvh.example"])
    assert path in to_admin.body
    assert "Lycée Victor Hugo is the controller" in to_admin.body
    # The school's DPO follows the deadline too, as processor.
    assert any(m.to == [settings.LYCEUM_SCHOOL["dpo_email"]] for m in mailoutbox)
    acknowledgement = [m for m in mailoutbox if m.to == ["sami@lvh.example"]][-1]
    assert "Its administrators decide on your request" in acknowledgement.body


def test_p30_the_administrators_answer_in_their_queue_and_the_platform_carries_it_out(
    client, lycee, media_root, django_capture_on_commit_callbacks, mailoutbox
):
    request = _about_student()
    admin = _signed_in(client, lycee["admin"])
    members = admin.get(reverse("orgs:members", args=["lvh"])).content.decode()
    assert reverse("orgs:requests", args=["lvh"]) in members
    queue = admin.get(reverse("orgs:requests", args=["lvh"])).content.decode()
    assert request.reference in queue and "Sami&#x27;s father" in queue
    url = reverse("orgs:request", args=["lvh", request.public_id])
    page = admin.get(url).content.decode()
    assert "Sami Student" in page and "Verify the identity" in page
    admin.post(
        url,
        {
            "action": "verify",
            "verify-method": "organisation",
            "verify-note": "The father is the student's legal guardian in our records.",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            url,
            {
                "action": "decide",
                "decide-decision": "carry_out",
                "decide-outcome": "Here is what the school holds for us about Sami.",
            },
        )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "done" and request.handled_by == lycee["admin"]
    assert DataExport.objects.get(pk=request.export_id).user == lycee["student"]
    answer = mailoutbox[-1]
    assert answer.to == ["father@example.org"]
    assert "Decided by Lycée Victor Hugo" in answer.body
    assert "/privacy/requests/copy/" in answer.body
    actions = set(
        AuditEvent.objects.filter(
            target_id=str(request.pk), actor_id=lycee["admin"].pk
        ).values_list("action", flat=True)
    )
    assert {"organisation.request.viewed", "privacy.desk.verified", "privacy.desk.carried_out"} <= (
        actions
    )


def test_p30_the_schools_staff_see_a_routed_request_but_do_not_decide_it(
    lycee, dpo_client, django_capture_on_commit_callbacks
):
    request = _about_student()
    RightsRequest.objects.filter(pk=request.pk).update(status="verified")
    queue = dpo_client.get(reverse("desk:queue"), {"controller": "organisations"})
    assert "Lycée Victor Hugo" in queue.content.decode()
    url = reverse("desk:detail", args=[request.public_id])
    page = dpo_client.get(url).content.decode()
    assert "its administrators decide on the request in their own queue" in page
    assert "Send the answer" not in page
    response = dpo_client.post(
        url, {"action": "decide", "decide-decision": "answer", "decide-outcome": "Done."}
    )
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == "verified"


@pytest.fixture
def dpo_client(client, make_user, with_totp):
    dpo = make_user(email="dpo@school.example", name="Dee Pio", is_staff=True, is_dpo=True)
    with_totp(dpo)
    return _signed_in(client, dpo)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_p30_a_members_own_download_waits_for_the_organisation_when_it_requires_it(
    client, lycee, django_capture_on_commit_callbacks, mailoutbox
):
    Contract.objects.filter(pk=lycee["contract"].pk).update(self_service_via_organisation=True)
    student = _signed_in(client, lycee["student"])
    page = student.get(reverse("privacy:data")).content.decode()
    assert "Lycée Victor Hugo is responsible for your data here" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = student.post(reverse("privacy:data"), follow=True)
    assert not DataExport.objects.exists()  # nothing executed directly
    message = response.content.decode()
    assert "its administrators decide on this request" in message
    assert "you will hear from us by" in message
    request = RightsRequest.objects.get()
    assert (request.kind, request.status, request.channel) == ("access", "verified", "self_service")
    assert request.verification_method == "account"
    assert request.controller_id == lycee["school"].pk
    assert any(m.to == ["head@lvh.example"] for m in mailoutbox)
    # Asking twice does not make a second request.
    with django_capture_on_commit_callbacks(execute=True):
        student.post(reverse("privacy:data"))
    assert RightsRequest.objects.count() == 1


def test_p30_without_the_flag_a_members_own_download_goes_straight_through(
    client, lycee, media_root, django_capture_on_commit_callbacks
):
    student = _signed_in(client, lycee["student"])
    assert (
        "is responsible for your data" not in student.get(reverse("privacy:data")).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        student.post(reverse("privacy:data"))
    assert DataExport.objects.get().status == DataExport.Status.READY
    assert not RightsRequest.objects.exists()


def test_p30_a_members_deletion_becomes_a_request_and_the_account_stays_until_decided(
    client, lycee, django_capture_on_commit_callbacks, mailoutbox, password
):
    Contract.objects.filter(pk=lycee["contract"].pk).update(self_service_via_organisation=True)
    student = _signed_in(client, lycee["student"])
    reauthenticate = student.get(reverse("privacy:erasure")).url
    student.post(reauthenticate, {"password": password})
    page = student.get(reverse("privacy:erasure")).content.decode()
    assert "Lycée Victor Hugo is responsible for your data here" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = student.post(reverse("privacy:erasure"), {"confirm": "on"}, follow=True)
    assert "its administrators decide on this request" in response.content.decode()
    lycee["student"].refresh_from_db()
    assert lycee["student"].is_active  # not suspended, still signed in
    assert student.get(reverse("privacy:data")).status_code == 200
    request = RightsRequest.objects.get()
    assert request.kind == "erasure" and request.scheduled_for is None

    admin = _signed_in(client, lycee["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(
            reverse("orgs:request", args=["lvh", request.public_id]),
            {
                "action": "decide",
                "decide-decision": "carry_out",
                "decide-outcome": "Your account is deleted, as you asked.",
            },
        )
    lycee["student"].refresh_from_db()
    request.refresh_from_db()
    assert not lycee["student"].is_active
    assert request.status == "in_progress" and request.scheduled_for is not None
    assert any(
        m.to == ["sami@lvh.example"] and "/account/data/delete/keep/" in m.body for m in mailoutbox
    )


def test_p30_a_members_correction_always_goes_to_the_organisation(
    client, lycee, django_capture_on_commit_callbacks, mailoutbox, settings
):
    student = _signed_in(client, lycee["student"])
    with django_capture_on_commit_callbacks(execute=True):
        response = student.post(
            reverse("privacy:rectification"),
            {"details": "My class is 2nde B, not 2nde C."},
            follow=True,
        )
    assert "its administrators decide on this request" in response.content.decode()
    request = RightsRequest.objects.get()
    assert request.controller_id == lycee["school"].pk
    assert "2nde B" in response.content.decode()  # the person sees their request
    to_dpo = [m for m in mailoutbox if m.to == [settings.LYCEUM_SCHOOL["dpo_email"]]]
    assert all("/admin/" not in m.body for m in to_dpo)


def test_p30_nobody_else_sees_an_organisations_requests(client, lycee, make_user, with_totp):
    request = _about_student()
    queue = reverse("orgs:requests", args=["lvh"])
    detail = reverse("orgs:request", args=["lvh", request.public_id])
    assert client.get(queue).status_code == 302  # to sign in
    for outsider in (lycee["other_admin"], lycee["student"]):
        browser = _signed_in(client, outsider)
        assert browser.get(queue).status_code == 404
        assert browser.get(detail).status_code == 404
        assert browser.post(detail, {"action": "start"}).status_code == 404
    # Acme's administrator, on Acme's own pages, cannot reach the lycée's request either.
    other = _signed_in(client, lycee["other_admin"])
    assert other.get(reverse("orgs:request", args=["acme", request.public_id])).status_code == 404
    assert (
        request.reference not in other.get(reverse("orgs:requests", args=["acme"])).content.decode()
    )
    # A second administrator without a second factor is sent to set one up first.
    deputy = make_user(email="deputy@lvh.example")
    membership_add(
        actor=None, organisation=lycee["school"], user=deputy, role=Membership.Role.ADMIN
    )
    browser = _signed_in(client, deputy)
    assert browser.get(detail)["Location"] == reverse("mfa_index")
    # The request is unchanged and nobody else's view was logged as theirs.
    request.refresh_from_db()
    assert request.status == "received"
    assert not AuditEvent.objects.filter(
        action="organisation.request.viewed", actor_id=lycee["other_admin"].pk
    ).exists()


def test_p30_routing_follows_the_contract(lycee, make_user):
    Contract.objects.filter(pk=lycee["contract"].pk).update(
        ends_on=timezone.localdate() - timedelta(days=1),
        starts_on=timezone.localdate() - timedelta(days=100),
    )
    assert _about_student().controller_id is None  # the contract ended: the school decides
    _contract(lycee["other"], controller=Contract.Controller.SCHOOL)
    member = make_user(email="worker@acme.example")
    membership_add(actor=None, organisation=lycee["other"], user=member)
    assert _about_student(subject_email="worker@acme.example").controller_id is None
    pending = make_user(email="invited@lvh.example")
    _contract(lycee["school"])
    membership_add(actor=None, organisation=lycee["school"], user=pending, pending=True)
    # An invitation not yet accepted makes nobody a member.
    assert _about_student(subject_email="invited@lvh.example").controller_id is None
    assert _about_student().controller_id == lycee["school"].pk


def test_p30_only_an_organisation_that_controls_the_data_can_hold_self_service(lycee):
    with pytest.raises(IntegrityError):
        _contract(lycee["other"], controller=Contract.Controller.SCHOOL, holds=True)
