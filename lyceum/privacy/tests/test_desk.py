"""The request desk (P47): requests by form or email from people without an account or from
a company's representative, verified, answered within 30 days with reminders, recorded."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from lyceum import privacy
from lyceum.privacy.audit import audit_verify
from lyceum.privacy.desk import desk_request_submit
from lyceum.privacy.models import AuditEvent, DataExport, RightsRequest
from lyceum.privacy.register import Purpose
from lyceum.privacy.services import erasures_due

pytestmark = pytest.mark.django_db

FORM = {
    "kind": "access",
    "requester_name": "Rosa Parks",
    "requester_email": "rosa@example.org",
    "on_behalf": "no",
    "representative_of": "",
    "subject_name": "",
    "subject_email": "",
    "details": "",
    "website": "",
}


def _send(client, capture, **changes):
    with capture(execute=True):
        return client.post(reverse("desk:form"), {**FORM, **changes})


def _link(message, name: str) -> str:
    match = re.search(rf"https?://\S*/privacy/requests/{name}/\S+/", message.body)
    assert match, message.body
    return match.group(0).replace("http://testserver", "")


def _confirm(client, capture, mailoutbox):
    confirm = _link(next(m for m in mailoutbox if "/confirm/" in m.body), "confirm")
    with capture(execute=True):
        return client.post(confirm)


def _submit(**fields):
    """A request as the form makes it, without the page (for the service-level tests)."""
    data = {
        "kind": "access",
        "requester_name": "Rosa Parks",
        "requester_email": "rosa@example.org",
        "language": "en",
        "base_url": "http://testserver/",
    }
    return desk_request_submit(**{**data, **fields})


@pytest.fixture
def desk_staff(client, make_user, with_totp, django_user_model):
    """A member of staff given the desk's permission, with a second factor."""
    from django.contrib.auth.models import Permission

    clerk = make_user(email="clerk@school.example", name="Clara Clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="work_request_desk"))
    with_totp(clerk)
    staff_client = type(client)()
    staff_client.force_login(clerk)
    staff_client.user = clerk
    return staff_client


# --- Receiving ---------------------------------------------------------------------------------


def test_p47_a_person_without_an_account_asks_confirms_and_is_told_the_due_date(
    client, django_capture_on_commit_callbacks, mailoutbox, settings
):
    response = _send(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:sent")
    request = RightsRequest.objects.get()
    assert (request.kind, request.status, request.channel) == ("access", "received", "form")
    assert request.user is None
    assert request.due_at - request.created_at == timedelta(days=30)
    [confirm] = mailoutbox
    assert confirm.to == ["rosa@example.org"]
    assert request.due_at.strftime("%Y") in confirm.body

    page = client.get(_link(confirm, "confirm"))
    assert page.status_code == 200
    assert "Confirm my request" in page.content.decode()
    request.refresh_from_db()
    assert request.email_confirmed_at is None  # following the link alone confirms nothing

    response = _confirm(client, django_capture_on_commit_callbacks, mailoutbox)
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "verified"
    assert request.verification_method == "email"
    acknowledgement = next(m for m in mailoutbox if m.to == ["rosa@example.org"] and m != confirm)
    assert "We will answer by" in acknowledgement.body
    assert request.reference in acknowledgement.body
    to_dpo = next(m for m in mailoutbox if m.to == [settings.LYCEUM_SCHOOL["dpo_email"]])
    assert reverse("desk:detail", args=[request.public_id]) in to_dpo.body
    assert "Rosa" not in to_dpo.body  # who asked stays on the desk's page
    actions = list(
        AuditEvent.objects.filter(target_id=str(request.pk)).values_list("action", flat=True)
    )
    assert actions == ["privacy.desk.received", "privacy.desk.address_confirmed"]

    # Confirming twice changes nothing and sends nothing more.
    count = len(mailoutbox)
    _confirm(client, django_capture_on_commit_callbacks, mailoutbox)
    assert len(mailoutbox) == count


def test_p47_who_asked_is_encrypted_at_rest(client, django_capture_on_commit_callbacks):
    _send(client, django_capture_on_commit_callbacks, details="My old address in Montgomery")
    with connection.cursor() as cursor:
        cursor.execute("SELECT requester_email, requester_name, details FROM privacy_rightsrequest")
        stored = " ".join(cursor.fetchone())
    assert "rosa" not in stored.lower() and "Montgomery" not in stored
    assert RightsRequest.objects.get().requester_email == "rosa@example.org"


def test_p47_the_form_says_clearly_what_is_missing_and_keeps_what_was_typed(
    client, django_capture_on_commit_callbacks
):
    response = _send(
        client, django_capture_on_commit_callbacks, on_behalf="yes", kind="rectification"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Give the name of the person whose data it is." in page
    assert "it is how we find their data" in page
    assert "Tell us in a few words what should change." in page
    assert 'value="Rosa Parks"' in page
    response = _send(client, django_capture_on_commit_callbacks, requester_email="not-an-address")
    assert "Enter a valid email address." in response.content.decode()
    assert not RightsRequest.objects.exists()


def test_p47_the_form_needs_the_csrf_token(django_capture_on_commit_callbacks):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("desk:form"), FORM).status_code == 403
    assert not RightsRequest.objects.exists()


def test_p47_a_bot_filling_the_hidden_field_is_told_the_usual_and_nothing_happens(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    response = _send(client, django_capture_on_commit_callbacks, website="http://spam.example")
    assert response["Location"] == reverse("desk:sent")
    assert not RightsRequest.objects.exists() and mailoutbox == []


def test_p47_the_form_is_rate_limited_per_connection_and_per_address(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    for number in range(3):
        _send(client, django_capture_on_commit_callbacks, requester_name=f"Rosa {number}")
    response = _send(client, django_capture_on_commit_callbacks)
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    assert RightsRequest.objects.count() == 3  # three emails a day to one address
    for number in range(2):
        _send(client, django_capture_on_commit_callbacks, requester_email=f"o{number}@example.org")
    response = _send(client, django_capture_on_commit_callbacks, requester_email="x@example.org")
    assert response.status_code == 429  # five an hour from one connection
    assert RightsRequest.objects.count() == 5


def test_p47_a_forged_or_reused_link_does_nothing(client, django_capture_on_commit_callbacks):
    _send(client, django_capture_on_commit_callbacks)
    assert client.get("/privacy/requests/confirm/forged/").status_code == 404
    assert client.post("/privacy/requests/copy/forged/").status_code == 404
    from lyceum.privacy.desk_mail import confirm_token

    # A confirmation link is no download link.
    token = confirm_token(RightsRequest.objects.get())
    assert client.get(reverse("desk:file", args=[token])).status_code == 404


# --- Verification and representatives ------------------------------------------------------


def test_p47_a_representative_needs_their_authority_checked_by_staff(
    client, desk_staff, make_user, django_capture_on_commit_callbacks, mailoutbox
):
    employee = make_user(email="claudette@example.org", name="Claudette Colvin")
    _send(
        client,
        django_capture_on_commit_callbacks,
        on_behalf="yes",
        requester_name="Fred Gray",
        requester_email="fred@gray-law.example",
        representative_of="Gray & Partners",
        subject_name="Claudette Colvin",
        subject_email="Claudette@Example.org",
    )
    request = RightsRequest.objects.get()
    assert request.user == employee  # matched on the address, whatever its case
    _confirm(client, django_capture_on_commit_callbacks, mailoutbox)
    request.refresh_from_db()
    assert request.email_confirmed_at is not None
    assert request.status == "received"  # the address is theirs; their authority is not shown
    acknowledgement = [m for m in mailoutbox if m.to == ["fred@gray-law.example"]][-1]
    assert "their authorisation" in acknowledgement.body

    url = reverse("desk:detail", args=[request.public_id])
    page = desk_staff.get(url).content.decode()
    assert "Gray &amp; Partners" in page and "Claudette Colvin" in page
    assert "check their authority too" in page
    response = desk_staff.post(
        url, {"action": "verify", "verify-method": "authorisation", "verify-note": ""}
    )
    assert "Say what evidence you saw." in response.content.decode()
    desk_staff.post(
        url,
        {
            "action": "verify",
            "verify-method": "authorisation",
            "verify-note": "Signed letter from Ms Colvin, dated 2 March, seen; not kept.",
        },
    )
    request.refresh_from_db()
    assert request.status == "verified" and request.verification_method == "authorisation"
    assert AuditEvent.objects.filter(
        action="privacy.desk.verified", actor_id=desk_staff.user.pk, subject_id=employee.pk
    ).exists()


def test_p47_only_a_refusal_is_possible_before_verification(desk_staff, mailoutbox):
    request = _submit()
    url = reverse("desk:detail", args=[request.public_id])
    page = desk_staff.get(url).content.decode()
    assert "Refuse it" in page and "Carry it out now" not in page
    response = desk_staff.post(
        url, {"action": "decide", "decide-decision": "answer", "decide-outcome": "Done."}
    )
    assert "Select a valid choice" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "received"


def test_p47_staff_link_the_account_and_the_identity_check_starts_again_if_needed(
    desk_staff, make_user
):
    person = make_user(email="rosa.parks@example.org", name="Rosa Parks")
    request = _submit()
    RightsRequest.objects.filter(pk=request.pk).update(
        status="verified", verification_method="email", email_confirmed_at=timezone.now()
    )
    url = reverse("desk:detail", args=[request.public_id])
    response = desk_staff.post(url, {"action": "link", "link-email": "nobody@example.org"})
    assert response.status_code == 302
    assert "No account has this email address." in desk_staff.get(url).content.decode()
    desk_staff.post(url, {"action": "link", "link-email": "rosa.parks@example.org"})
    request.refresh_from_db()
    assert request.user == person
    # The address confirmed is not the account's: it proves nothing about the account.
    assert request.status == "received" and request.verification_method == ""


# --- Answering -------------------------------------------------------------------------------


def test_p47_an_access_request_is_answered_with_a_copy_behind_a_link_that_expires(
    client, desk_staff, make_user, media, django_capture_on_commit_callbacks, mailoutbox
):
    person = make_user(email="rosa@example.org", name="Rosa Parks")
    _send(client, django_capture_on_commit_callbacks)
    _confirm(client, django_capture_on_commit_callbacks, mailoutbox)
    request = RightsRequest.objects.get()
    assert request.user == person and request.status == "verified"
    url = reverse("desk:detail", args=[request.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        response = desk_staff.post(
            url,
            {
                "action": "decide",
                "decide-decision": "carry_out",
                "decide-outcome": "Here is everything we hold about you.",
            },
        )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "done" and request.handled_by == desk_staff.user
    assert request.export is not None and request.export.user == person
    [sent] = request.files_sent
    assert sent["name"].endswith(".zip") and sent["downloaded_at"] is None
    answer = mailoutbox[-1]
    assert answer.to == ["rosa@example.org"]
    assert "Here is everything we hold about you." in answer.body
    assert "complain to your data protection authority" in answer.body
    link = _link(answer, "copy")

    anonymous = type(client)()
    assert "Download (ZIP)" in anonymous.get(link).content.decode()
    response = anonymous.post(link)
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert json.loads(archive.read("data.json"))["person"]["email"] == "rosa@example.org"
    request.refresh_from_db()
    assert request.files_sent[0]["downloaded_at"]
    actions = set(
        AuditEvent.objects.filter(target_id=str(request.pk)).values_list("action", flat=True)
    )
    assert {"privacy.desk.carried_out", "privacy.desk.file_sent"} <= actions
    assert "privacy.desk.file_downloaded" in actions

    DataExport.objects.filter(user=person).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert anonymous.post(link).status_code == 410
    assert "has expired" in anonymous.get(link).content.decode()


def test_p47_an_erasure_decided_at_the_desk_goes_through_the_erasure_service(
    desk_staff, make_user, django_capture_on_commit_callbacks, mailoutbox, settings
):
    person = make_user(email="claudette@example.org", name="Claudette Colvin")
    request = _submit(
        kind="erasure",
        requester_name="Fred Gray",
        requester_email="fred@gray-law.example",
        on_behalf=True,
        subject_name="Claudette Colvin",
        subject_email="claudette@example.org",
    )
    RightsRequest.objects.filter(pk=request.pk).update(status="verified")
    url = reverse("desk:detail", args=[request.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        desk_staff.post(
            url,
            {
                "action": "decide",
                "decide-decision": "carry_out",
                "decide-outcome": "Ms Colvin's account is deleted.",
            },
        )
    request.refresh_from_db()
    person.refresh_from_db()
    assert not person.is_active  # out of use at once (P43)
    assert request.status == "in_progress" and request.scheduled_for is not None
    assert any(m.to == ["claudette@example.org"] for m in mailoutbox)  # the keep link
    assert any(
        m.to == ["fred@gray-law.example"] and "is being carried out" in m.body for m in mailoutbox
    )
    RightsRequest.objects.filter(pk=request.pk).update(scheduled_for=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert erasures_due() == 1
    request.refresh_from_db()
    assert request.status == "done" and request.user is None
    assert request.requester_email == ""  # erased with the person; kind and dates stay
    told = mailoutbox[-1]
    assert told.to == ["fred@gray-law.example"]
    assert "is done" in told.body


def test_p47_restriction_and_objection_take_effect_when_carried_out(
    desk_staff, make_user, django_capture_on_commit_callbacks
):
    from lyceum.privacy.consent import consent_record
    from lyceum.privacy.models import ConsentRecord

    person = make_user(email="rosa@example.org")
    consent_record(choices={"analytics": True}, method=ConsentRecord.Method.FORM, user=person)
    restriction = _submit(kind="restriction")
    objection = _submit(kind="objection", details="No analytics of my visits, please.")
    RightsRequest.objects.update(status="verified")
    with django_capture_on_commit_callbacks(execute=True):
        url = reverse("desk:detail", args=[objection.public_id])
        response = desk_staff.post(
            url,
            {"action": "decide", "decide-decision": "carry_out", "decide-outcome": "Stopped."},
        )
        assert "Tick what the person objects to." in response.content.decode()
        desk_staff.post(
            url,
            {
                "action": "decide",
                "decide-decision": "carry_out",
                "decide-purposes": ["analytics"],
                "decide-outcome": "Stopped.",
            },
        )
    assert not privacy.allows(person, Purpose.ANALYTICS)
    assert privacy.allows(person, Purpose.SERVICE)
    with django_capture_on_commit_callbacks(execute=True):
        desk_staff.post(
            reverse("desk:detail", args=[restriction.public_id]),
            {"action": "decide", "decide-decision": "carry_out", "decide-outcome": "Restricted."},
        )
    assert not privacy.allows(person, Purpose.SERVICE)
    assert set(RightsRequest.objects.values_list("status", flat=True)) == {"done"}


def test_p47_a_refusal_tells_the_requester_why_and_how_to_complain(
    desk_staff, django_capture_on_commit_callbacks, mailoutbox
):
    request = _submit(kind="erasure")
    with django_capture_on_commit_callbacks(execute=True):
        desk_staff.post(
            reverse("desk:detail", args=[request.public_id]),
            {
                "action": "decide",
                "decide-decision": "refuse",
                "decide-outcome": "We could not confirm that the address is yours.",
            },
        )
    request.refresh_from_db()
    assert request.status == "refused" and request.completed_at is not None
    answer = mailoutbox[-1]
    assert answer.to == ["rosa@example.org"]
    assert "We could not confirm that the address is yours." in answer.body
    assert "complain to your data protection authority" in answer.body
    # A closed request takes no more steps.
    page = desk_staff.get(reverse("desk:detail", args=[request.public_id])).content.decode()
    assert "This request is closed." in page


def test_p47_the_deadline_is_extended_once_before_it_passes_and_the_requester_told(
    desk_staff, django_capture_on_commit_callbacks, mailoutbox
):
    request = _submit()
    url = reverse("desk:detail", args=[request.public_id])
    original = request.due_at
    response = desk_staff.post(url, {"action": "extend", "extend-months": "2", "extend-reason": ""})
    assert "This field is required." in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        desk_staff.post(
            url,
            {
                "action": "extend",
                "extend-months": "2",
                "extend-reason": "Your records are spread over three archived systems.",
            },
        )
    request.refresh_from_db()
    assert request.extended_at is not None
    assert timedelta(days=59) <= request.due_at - original <= timedelta(days=62)
    told = mailoutbox[-1]
    assert told.to == ["rosa@example.org"]
    assert "three archived systems" in told.body
    response = desk_staff.post(
        url, {"action": "extend", "extend-months": "1", "extend-reason": "Once more, please."}
    )
    assert "Extend the deadline" not in desk_staff.get(url).content.decode()

    from lyceum.privacy.desk import DeskError, desk_extend

    with pytest.raises(DeskError, match="extended already"):
        desk_extend(request=request, actor=desk_staff.user, months=1, reason="Again and again")
    late = _submit()
    RightsRequest.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(DeskError, match="deadline has passed"):
        desk_extend(request=late, actor=desk_staff.user, months=1, reason="Too late for it")


# --- Reminders ---------------------------------------------------------------------------------


def test_p47_reminders_at_day_20_and_27_then_escalation_each_sent_once(
    desk_staff, django_capture_on_commit_callbacks, mailoutbox, settings
):
    from lyceum.privacy.desk_reminders import desk_reminders_send

    received = timezone.now() - timedelta(days=40)
    request = _submit(received_at=received)
    _submit(received_at=received, requester_email="done@example.org")
    RightsRequest.objects.exclude(pk=request.pk).update(status="done")
    mailoutbox.clear()

    def run(day: int) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return desk_reminders_send(now=received + timedelta(days=day, hours=1))

    assert run(19) == 0 and mailoutbox == []
    assert run(20) == 1
    recipients = sorted(m.to[0] for m in mailoutbox)
    assert recipients == sorted([settings.LYCEUM_SCHOOL["dpo_email"], "clerk@school.example"])
    assert "in 10 days" in mailoutbox[0].body
    assert reverse("desk:detail", args=[request.public_id]) in mailoutbox[0].body
    assert run(21) == 0  # idempotent: each reminder once
    assert run(27) == 1
    assert "in 3 days" in mailoutbox[-1].body
    assert run(28) == 0
    assert run(30) == 1
    assert "OVERDUE" in mailoutbox[-1].body
    assert run(35) == 0
    assert len(mailoutbox) == 6
    request.refresh_from_db()
    assert request.first_reminder_at and request.second_reminder_at and request.escalated_at


def test_p47_a_late_run_sends_only_the_most_urgent_reminder(
    desk_staff, django_capture_on_commit_callbacks, mailoutbox
):
    from lyceum.privacy.desk_reminders import desk_reminders_send

    received = timezone.now() - timedelta(days=28)
    _submit(received_at=received)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert desk_reminders_send() == 1
    assert all("in 2 days" in m.body or "in 1 day" in m.body for m in mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert desk_reminders_send() == 0


def test_p47_the_hourly_job_sends_the_reminders(
    desk_staff, django_capture_on_commit_callbacks, mailoutbox
):
    from lyceum.privacy.tasks import request_desk_reminders

    _submit(received_at=timezone.now() - timedelta(days=21))
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request_desk_reminders.call_local()
    assert mailoutbox and "need an answer" in mailoutbox[0].subject


# --- The queue -------------------------------------------------------------------------------


def test_p47_the_queue_filters_and_highlights_overdue_and_due_soon(desk_staff):
    now = timezone.now()
    overdue = _submit(received_at=now - timedelta(days=31), requester_name="Olga Overdue")
    soon = _submit(kind="erasure", received_at=now - timedelta(days=26), requester_name="Sam Soon")
    fresh = _submit(kind="rectification", requester_name="Fay Fresh", details="Wrong name, fix.")
    closed = _submit(requester_name="Cleo Closed")
    RightsRequest.objects.filter(pk=closed.pk).update(status="done")
    queue = reverse("desk:queue")

    page = desk_staff.get(queue).content.decode()
    assert "Olga Overdue" in page and "Sam Soon" in page and "Fay Fresh" in page
    assert "Cleo Closed" not in page  # open ones by default
    assert page.index("Olga Overdue") < page.index("Sam Soon") < page.index("Fay Fresh")
    row = re.search(r'<tr class="row-error">.*?</tr>', page, re.S)
    assert row and "Olga Overdue" in row.group(0) and "Overdue" in row.group(0)
    soon_row = re.search(r"<tr>(?:(?!</tr>).)*Sam Soon.*?</tr>", page, re.S)
    assert soon_row and "Due soon" in soon_row.group(0)

    only_overdue = desk_staff.get(queue, {"status": "open", "overdue": "on"}).content.decode()
    assert "Olga Overdue" in only_overdue and "Sam Soon" not in only_overdue
    erasures = desk_staff.get(queue, {"kind": "erasure"}).content.decode()
    assert "Sam Soon" in erasures and "Fay Fresh" not in erasures
    everything = desk_staff.get(queue, {"status": "all"}).content.decode()
    assert "Cleo Closed" in everything
    done = desk_staff.get(queue, {"status": "done"}).content.decode()
    assert "Cleo Closed" in done and "Olga Overdue" not in done
    school = desk_staff.get(queue, {"controller": "school"}).content.decode()
    assert "Fay Fresh" in school
    assert overdue.pk and soon.pk and fresh.pk
    assert AuditEvent.objects.filter(
        action="privacy.desk.queue_viewed", actor_id=desk_staff.user.pk
    ).exists()


def test_p47_staff_enter_a_request_that_came_by_email(
    desk_staff, django_capture_on_commit_callbacks, mailoutbox
):
    received_on = timezone.localdate() - timedelta(days=5)
    data = {
        **FORM,
        "kind": "portability",
        "received_on": received_on.isoformat(),
        "language": "fr",
    }
    response = desk_staff.post(reverse("desk:enter"), {**data, "received_on": "2999-01-01"})
    assert "cannot arrive in the future" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = desk_staff.post(reverse("desk:enter"), data)
    request = RightsRequest.objects.get()
    assert response["Location"] == reverse("desk:detail", args=[request.public_id])
    assert request.channel == "staff" and request.kind == "portability"
    assert timezone.localtime(request.created_at).date() == received_on
    assert timezone.localtime(request.due_at).date() == received_on + timedelta(days=30)
    [confirm] = mailoutbox
    assert confirm.to == ["rosa@example.org"]
    assert "Veuillez" in confirm.subject or "confirm" in confirm.body.lower()
    assert AuditEvent.objects.filter(
        action="privacy.desk.received", actor_id=desk_staff.user.pk
    ).exists()


# --- Who may see the desk (P15) -------------------------------------------------------------


def test_p47_only_staff_with_the_permission_and_a_second_factor_work_the_desk(
    make_user, with_totp, dpo_client
):
    client = type(dpo_client)()
    request = _submit()
    pages = [
        reverse("desk:queue"),
        reverse("desk:enter"),
        reverse("desk:detail", args=[request.public_id]),
    ]
    for url in pages:
        assert client.get(url).status_code == 302  # to sign in
        assert "/accounts/login/" in client.get(url)["Location"]
    learner = make_user(email="learner@example.org")
    with_totp(learner)
    clerk = make_user(email="clerk@school.example", is_staff=True)
    with_totp(clerk)
    for person in (learner, clerk):
        client.force_login(person)
        for url in pages:
            assert client.get(url).status_code == 403
        assert client.post(pages[2], {"action": "start"}).status_code == 403
    from django.contrib.auth.models import Permission

    unsafe = make_user(email="unsafe@school.example", is_staff=True)
    unsafe.user_permissions.add(Permission.objects.get(codename="work_request_desk"))
    client.force_login(unsafe)
    assert client.get(pages[0])["Location"] == reverse("mfa_index")  # no second factor
    for url in pages:
        assert dpo_client.get(url).status_code == 200
    assert AuditEvent.objects.filter(
        action="staff.viewed", actor_id=dpo_client.dpo.pk, target_id=str(request.pk)
    ).exists()
    assert RightsRequest.objects.get().status == "received"


def test_p47_every_step_is_in_the_request_history_and_the_audit_chain_holds(
    client, desk_staff, make_user, media, django_capture_on_commit_callbacks, mailoutbox
):
    make_user(email="rosa@example.org", name="Rosa Parks")
    _send(client, django_capture_on_commit_callbacks)
    _confirm(client, django_capture_on_commit_callbacks, mailoutbox)
    request = RightsRequest.objects.get()
    url = reverse("desk:detail", args=[request.public_id])
    desk_staff.post(url, {"action": "start"})
    with django_capture_on_commit_callbacks(execute=True):
        desk_staff.post(
            url,
            {"action": "extend", "extend-months": "1", "extend-reason": "Archives to search."},
        )
        desk_staff.post(
            url,
            {"action": "decide", "decide-decision": "carry_out", "decide-outcome": "Attached."},
        )
    page = desk_staff.get(url).content.decode()
    for line in (
        "Received",
        "Address confirmed by the requester",
        "Taken on",
        "Deadline extended",
        "Decided: carry it out",
        "Copy of the data sent",
        "Clara Clerk",
    ):
        assert line in page
    assert audit_verify().ok
