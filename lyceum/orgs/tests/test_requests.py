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
from lyceum.privacy.desk import desk_email_confirm, desk_request_submit
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


def _about_student(confirmed=True, **fields):
    """A request by the form, from Sami's father; the father confirms his address."""
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
    request = desk_request_submit(**{**data, **fields})
    if confirmed:
        request = desk_email_confirm(request=request, base_url="http://testserver/")
    return request


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
    with django_capture_on_commit_callbacks(execute=True):
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
    answer = [m for m in mailoutbox if m.to == ["father@example.org"]][-1]
    assert "Decided by Lycée Victor Hugo" in answer.body
    # Sami is told that his father's request was checked, then carried out (P30).
    told = [m for m in mailoutbox if m.to == ["sami@lvh.example"]]
    assert [m.subject for m in told] == [
        "A request about your data",
        "A request about your data was carried out",
    ]
    assert "Sami's father <father@example.org>" in told[-1].body
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
    browser = _signed_in(client, dpo)
    browser.dpo = dpo
    return browser


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


# --- Review findings (P30) ---------------------------------------------------------------------


def test_p30_an_administrator_cannot_verify_or_decide_their_own_request_about_a_member(
    client, lycee, make_user, with_totp, media_root, django_capture_on_commit_callbacks, mailoutbox
):
    """The head asks for Sami's data from her own address: she cannot vouch for herself as
    "the organisation", nor verify or decide it at all; another administrator can, with
    evidence, and Sami is told who asked."""
    request = _about_student(
        requester_name="Hélène Head", requester_email="head@lvh.example", kind="access"
    )
    url = reverse("orgs:request", args=["lvh", request.public_id])
    head = _signed_in(client, lycee["admin"])
    page = head.get(url).content.decode()
    assert "You made this request yourself" in page and "Record as verified" not in page
    response = head.post(
        url,
        {"action": "verify", "verify-method": "organisation", "verify-note": "it's me, fine"},
        follow=True,
    )
    assert "You made this request yourself: someone else must verify and decide it." in (
        response.content.decode()
    )
    head.post(url, {"action": "decide", "decide-decision": "refuse", "decide-outcome": "No."})
    request.refresh_from_db()
    assert request.status == "received" and request.outcome == ""

    deputy = make_user(email="deputy@lvh.example", name="Dan Deputy")
    membership_add(
        actor=None, organisation=lycee["school"], user=deputy, role=Membership.Role.ADMIN
    )
    with_totp(deputy)
    other = _signed_in(client, deputy)
    page = other.get(url).content.decode()
    assert 'value="organisation"' not in page  # the organisation cannot vouch for its head
    response = other.post(
        url, {"action": "verify", "verify-method": "organisation", "verify-note": "Our head."}
    )
    assert "Select a valid choice" in response.content.decode()
    from lyceum.privacy.desk import DeskError, desk_verify

    with pytest.raises(DeskError, match="not available"):
        desk_verify(request=request, actor=deputy, method="organisation", note="Our head.")
    with django_capture_on_commit_callbacks(execute=True):
        other.post(
            url,
            {
                "action": "verify",
                "verify-method": "authorisation",
                "verify-note": "Sami's signed consent, dated 3 March, seen.",
            },
        )
        other.post(
            url, {"action": "decide", "decide-decision": "carry_out", "decide-outcome": "Here."}
        )
    request.refresh_from_db()
    assert request.status == "done" and request.handled_by == deputy
    told = [m for m in mailoutbox if m.to == ["sami@lvh.example"]]
    assert len(told) == 2
    assert all("Hélène Head <head@lvh.example>" in m.body for m in told)
    assert "a copy of your data was sent" in told[-1].body


def test_p30_the_organisation_method_is_refused_when_recorded_for_its_own_administrator(lycee):
    """Should a verification "by the organisation" of its own administrator's request be on
    record (before this rule), nothing is carried out on it."""
    from lyceum.privacy.desk import carry_out_problem, decisions_for

    request = _about_student(requester_email="head@lvh.example")
    RightsRequest.objects.filter(pk=request.pk).update(
        status="verified",
        verified_at=timezone.now(),
        verification_method="organisation",
        verification_note="It is me.",
    )
    request.refresh_from_db()
    assert "cannot vouch for its own request" in (carry_out_problem(request) or "")
    assert decisions_for(request) == ["refuse"]


def test_p30_an_unconfirmed_form_request_never_reaches_the_organisation(
    client, lycee, django_capture_on_commit_callbacks, mailoutbox
):
    """Someone types Sami's address into the form and never confirms it: the school's
    administrators neither see it nor can verify it (with "signed in" or anything else)."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("desk:form"),
            {
                "kind": "erasure",
                "requester_name": "x",
                "requester_email": "sami@lvh.example",
                "on_behalf": "no",
            },
        )
    request = RightsRequest.objects.get()
    assert request.controller_id == lycee["school"].pk and request.email_confirmed_at is None
    assert not any(m.to == ["head@lvh.example"] for m in mailoutbox)
    admin = _signed_in(client, lycee["admin"])
    assert (
        request.reference not in admin.get(reverse("orgs:requests", args=["lvh"])).content.decode()
    )
    url = reverse("orgs:request", args=["lvh", request.public_id])
    assert admin.get(url).status_code == 404
    response = admin.post(url, {"action": "verify", "verify-method": "account", "verify-note": ""})
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == "received" and request.verification_method == ""


def test_p30_an_unverified_requester_learns_nothing_of_the_organisation(
    client, lycee, django_capture_on_commit_callbacks, mailoutbox
):
    def acknowledgement(requester, subject):
        mailoutbox.clear()
        request = _about_student(
            confirmed=False,
            requester_name="Snoop",
            requester_email=requester,
            subject_email=subject,
        )
        with django_capture_on_commit_callbacks(execute=True):
            desk_email_confirm(request=request, base_url="http://testserver/")
        [sent] = [m for m in mailoutbox if m.to == [requester]]
        return request, sent.body.replace(request.reference, "REF")

    member, about_member = acknowledgement("snoop@evil.example", "sami@lvh.example")
    assert member.controller_id == lycee["school"].pk
    _nobody, about_nobody = acknowledgement("snoop2@evil.example", "nobody@example.org")
    assert about_member == about_nobody
    assert "Lycée" not in about_member and "administrator" not in about_member


def test_p30_routing_is_checked_again_before_the_organisation_acts(
    client, lycee, dpo_client, media_root, django_capture_on_commit_callbacks, mailoutbox
):
    """Sami left the lycée after asking: the lycée can no longer decide; the request goes
    back to the school's queue (recorded), where the DPO answers it."""
    request = _about_student()
    RightsRequest.objects.filter(pk=request.pk).update(
        status="verified",
        verified_at=timezone.now(),
        verification_method="authorisation",
        verification_note="Signed letter seen.",
    )
    Membership.objects.filter(user=lycee["student"]).delete()
    admin = _signed_in(client, lycee["admin"])
    url = reverse("orgs:request", args=["lvh", request.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            url,
            {"action": "decide", "decide-decision": "carry_out", "decide-outcome": "ok"},
            follow=True,
        )
    assert "This request has gone back to the school" in response.content.decode()
    request.refresh_from_db()
    assert request.controller_id is None and request.status == "verified"
    assert request.export_id is None and request.files_sent == []
    assert AuditEvent.objects.filter(
        action="privacy.desk.returned_to_school", target_id=str(request.pk)
    ).exists()
    assert admin.get(url).status_code == 404
    assert any(m.to == [dpo_client.dpo.email] for m in mailoutbox)
    # The school decides now.
    page = dpo_client.get(reverse("desk:detail", args=[request.public_id])).content.decode()
    assert "Carry it out now" in page

    # The same when the contract that made the organisation the controller ends.
    membership_add(actor=None, organisation=lycee["school"], user=lycee["student"])
    other = _about_student(requester_email="mum@example.org")
    assert other.controller_id == lycee["school"].pk
    Contract.objects.filter(pk=lycee["contract"].pk).update(
        ends_on=timezone.localdate() - timedelta(days=1)
    )
    from lyceum.privacy.desk import DeskError, desk_decide

    with pytest.raises(DeskError, match="gone back to the school"):
        desk_decide(
            request=other, actor=lycee["admin"], decision="refuse", outcome="No.", base_url=""
        )
    admin.get(reverse("orgs:request", args=["lvh", other.public_id]))
    other.refresh_from_db()
    assert other.controller_id is None


def test_p30_a_request_is_never_left_with_an_organisation_nobody_answers_for(
    client, lycee, dpo_client, make_user, with_totp, django_capture_on_commit_callbacks, mailoutbox
):
    # Without an administrator at receipt, the school answers.
    admin_membership = Membership.objects.get(user=lycee["admin"])
    admin_membership.delete()
    assert _about_student().controller_id is None

    # Routed while there was one, who has gone since: the DPO may take it over, with the
    # reason recorded; a clerk may not.
    admin_membership.pk = None
    admin_membership.save()
    request = _about_student(requester_email="aunt@example.org")
    assert request.controller_id == lycee["school"].pk
    Membership.objects.filter(user=lycee["admin"]).delete()
    url = reverse("desk:detail", args=[request.public_id])
    from django.contrib.auth.models import Permission

    clerk = make_user(email="clerk@school.example", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="work_request_desk"))
    with_totp(clerk)
    clerk_browser = _signed_in(client, clerk)
    assert "Take it over" not in clerk_browser.get(url).content.decode()
    clerk_browser.post(url, {"action": "take_over"})
    request.refresh_from_db()
    assert request.controller_id == lycee["school"].pk
    page = dpo_client.get(url).content.decode()
    assert "has no administrator" in page and "Take it over" in page
    dpo_client.post(url, {"action": "take_over"})
    request.refresh_from_db()
    assert request.controller_id is None
    assert AuditEvent.objects.filter(
        action="privacy.desk.taken_over_no_administrator",
        actor_id=dpo_client.dpo.pk,
        target_id=str(request.pk),
    ).exists()
    response = dpo_client.post(
        url, {"action": "verify", "verify-method": "authorisation", "verify-note": "Letter seen."}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "verified"

    # With administrators, only an overdue request is taken over; they are told.
    admin_membership.pk = None
    admin_membership.save()
    late = _about_student(requester_email="uncle@example.org")
    late_url = reverse("desk:detail", args=[late.public_id])
    dpo_client.post(late_url, {"action": "take_over"})
    late.refresh_from_db()
    assert late.controller_id == lycee["school"].pk  # not overdue: the organisation decides
    RightsRequest.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        dpo_client.post(late_url, {"action": "take_over"})
    late.refresh_from_db()
    assert late.controller_id is None
    assert AuditEvent.objects.filter(
        action="privacy.desk.taken_over_overdue", target_id=str(late.pk)
    ).exists()
    told = [m for m in mailoutbox if m.to == ["head@lvh.example"]]
    assert told and late.reference in told[-1].body and "still unanswered" in told[-1].body
