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


def _confirmed(request):
    """The requester followed the link in the first email (as ``desk_email_confirm``)."""
    RightsRequest.objects.filter(pk=request.pk).update(email_confirmed_at=timezone.now())
    request.refresh_from_db()
    return request


def _verified(request, method="document", note="Passport seen on a video call; not kept."):
    """Confirmed, and verified by staff with evidence (or by the address, for ``email``)."""
    now = timezone.now()
    RightsRequest.objects.filter(pk=request.pk).update(
        email_confirmed_at=now,
        status="verified",
        verified_at=now,
        verification_method=method,
        verification_note="" if method == "email" else note,
    )
    request.refresh_from_db()
    return request


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
    assert "You ask for someone else: give the name of the person whose data it is." in page
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
    assert "your authority to act for the person concerned" in acknowledgement.body

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
    _verified(request, "authorisation", "Signed authorisation by Ms Colvin seen; not kept.")
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
    restriction = _verified(_submit(kind="restriction"), "email")
    objection = _verified(
        _submit(kind="objection", details="No analytics of my visits, please."), "email"
    )
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
    request = _confirmed(_submit(received_at=received))
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
    _confirmed(_submit(received_at=received))
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

    _confirmed(_submit(received_at=timezone.now() - timedelta(days=21)))
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


# --- Review findings: identity holds for the account linked now (P47) -----------------------


def test_p47_linking_the_account_before_confirming_verifies_nobody_and_sends_no_copy(
    client, desk_staff, make_user, media, django_capture_on_commit_callbacks, mailoutbox
):
    """Someone writes from their own address claiming to be the owner of an account; staff
    link that account before the address is confirmed. Confirming the requester's own
    address proves nothing about the account, and no copy can go to it."""
    victim = make_user(email="victim@example.org", name="Victim")
    _send(
        client,
        django_capture_on_commit_callbacks,
        requester_email="attacker@evil.example",
        requester_name="Victim",
        details="My account is victim@example.org",
    )
    request = RightsRequest.objects.get()
    assert request.user is None
    url = reverse("desk:detail", args=[request.public_id])
    desk_staff.post(url, {"action": "link", "link-email": "victim@example.org"})
    _confirm(client, django_capture_on_commit_callbacks, mailoutbox)
    request.refresh_from_db()
    assert request.user == victim and request.email_confirmed_at is not None
    assert request.status == "received" and request.verification_method == ""
    page = desk_staff.get(url).content.decode()
    assert "Carry it out now" not in page
    with django_capture_on_commit_callbacks(execute=True):
        desk_staff.post(
            url, {"action": "decide", "decide-decision": "carry_out", "decide-outcome": "Here."}
        )
    request.refresh_from_db()
    assert request.status == "received" and request.files_sent == []
    assert not DataExport.objects.exists()
    assert not any("/privacy/requests/copy/" in m.body for m in mailoutbox)

    # Even with their identity checked another way, the copy goes only to the account's
    # own address: this request is answered by hand.
    from lyceum.privacy.desk import DeskError, desk_decide, desk_verify

    with django_capture_on_commit_callbacks(execute=True):
        desk_verify(
            request=request,
            actor=desk_staff.user,
            method="document",
            note="Passport seen on a video call; not kept.",
        )
    page = desk_staff.get(url).content.decode()
    assert "goes only to the account’s own address" in page
    assert "Carry it out now" not in page
    with pytest.raises(DeskError, match="account’s own address"):
        desk_decide(
            request=request,
            actor=desk_staff.user,
            decision="carry_out",
            outcome="Here.",
            base_url="http://testserver/",
        )
    assert not DataExport.objects.exists()
    # The account's owner hears that a request about them was verified, and by whom.
    notice = [m for m in mailoutbox if m.to == ["victim@example.org"]]
    assert notice and "attacker@evil.example" in notice[-1].body


def test_p47_a_confirmed_address_verifies_only_its_own_account_and_relinking_resets(
    client, desk_staff, make_user, django_capture_on_commit_callbacks, mailoutbox
):
    rosa = make_user(email="rosa@example.org", name="Rosa Parks")
    make_user(email="other@example.org", name="Someone Else")
    _send(client, django_capture_on_commit_callbacks)
    _confirm(client, django_capture_on_commit_callbacks, mailoutbox)
    request = RightsRequest.objects.get()
    assert (request.user, request.status, request.verification_method) == (
        rosa,
        "verified",
        "email",
    )
    url = reverse("desk:detail", args=[request.public_id])
    # Linking the same account again changes nothing; another account starts the check again.
    desk_staff.post(url, {"action": "link", "link-email": "rosa@example.org"})
    request.refresh_from_db()
    assert request.status == "verified"
    desk_staff.post(url, {"action": "link", "link-email": "other@example.org"})
    request.refresh_from_db()
    assert request.status == "received" and request.verified_at is None
    # A verification by evidence is about the account linked then: relinking resets it too.
    from lyceum.privacy.desk import desk_subject_link, desk_verify

    desk_verify(request=request, actor=desk_staff.user, method="knowledge", note="Knew the date.")
    desk_subject_link(request=request, actor=desk_staff.user, email="rosa@example.org", base_url="")
    request.refresh_from_db()
    # Back on the account whose address Rosa confirmed: that verifies her again.
    assert (request.status, request.verification_method) == ("verified", "email")


def test_p47_nobody_verifies_or_decides_a_request_they_made_themselves(
    client, desk_staff, make_user, django_capture_on_commit_callbacks, mailoutbox
):
    make_user(email="claudette@example.org", name="Claudette Colvin")
    _send(
        client,
        django_capture_on_commit_callbacks,
        on_behalf="yes",
        requester_name="Clara Clerk",
        requester_email="Clerk@School.example",
        subject_name="Claudette Colvin",
        subject_email="claudette@example.org",
    )
    _confirm(client, django_capture_on_commit_callbacks, mailoutbox)
    request = RightsRequest.objects.get()
    url = reverse("desk:detail", args=[request.public_id])
    page = desk_staff.get(url).content.decode()
    assert "You made this request yourself" in page and "Record as verified" not in page
    response = desk_staff.post(
        url,
        {"action": "verify", "verify-method": "authorisation", "verify-note": "My own letter."},
        follow=True,
    )
    assert "You made this request yourself: someone else must verify and decide it." in (
        response.content.decode()
    )
    response = desk_staff.post(
        url,
        {"action": "decide", "decide-decision": "refuse", "decide-outcome": "No."},
        follow=True,
    )
    assert "You made this request yourself" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "received" and request.outcome == ""


def test_p47_form_requests_need_a_confirmed_address_and_evidence_and_never_the_account_method(
    desk_staff, make_user, django_capture_on_commit_callbacks, mailoutbox
):
    from lyceum.privacy.desk import DeskError, desk_verify

    make_user(email="rosa@example.org")
    request = _submit(
        kind="erasure",
        on_behalf=True,
        requester_email="fred@gray-law.example",
        subject_name="Rosa",
        subject_email="rosa@example.org",
    )
    url = reverse("desk:detail", args=[request.public_id])
    page = desk_staff.get(url).content.decode()
    assert "has not confirmed their email address yet" in page
    assert "Record as verified" not in page
    desk_staff.post(
        url, {"action": "verify", "verify-method": "document", "verify-note": "Passport seen."}
    )
    request.refresh_from_db()
    assert request.status == "received"
    with pytest.raises(DeskError, match="not confirmed"):
        desk_verify(request=request, actor=desk_staff.user, method="document", note="Seen it.")

    _confirmed(request)
    page = desk_staff.get(url).content.decode()
    assert "Record as verified" in page
    assert 'value="account"' not in page and 'value="email"' not in page
    response = desk_staff.post(
        url, {"action": "verify", "verify-method": "account", "verify-note": ""}
    )
    assert "Select a valid choice" in response.content.decode()
    with pytest.raises(DeskError, match="not available"):
        desk_verify(request=request, actor=desk_staff.user, method="account")
    with pytest.raises(DeskError, match="not available"):
        desk_verify(request=request, actor=desk_staff.user, method="email")
    request.refresh_from_db()
    assert request.status == "received"

    # Entered by staff from an email: any method needs the evidence written down.
    emailed = _submit(channel=RightsRequest.Channel.STAFF, requester_email="x@example.org")
    with pytest.raises(DeskError, match="evidence"):
        desk_verify(request=emailed, actor=desk_staff.user, method="knowledge", note="")
    desk_verify(
        request=emailed, actor=desk_staff.user, method="knowledge", note="Knew the account ID."
    )
    emailed.refresh_from_db()
    assert emailed.status == "verified"


def test_p47_the_acknowledgement_says_the_same_with_or_without_an_account(
    client, make_user, django_capture_on_commit_callbacks, mailoutbox
):
    make_user(email="has-account@example.org", name="Account Holder")

    def acknowledgement(**fields):
        mailoutbox.clear()
        _send(client, django_capture_on_commit_callbacks, **fields)
        _confirm(client, django_capture_on_commit_callbacks, mailoutbox)
        request = RightsRequest.objects.order_by("-pk")[0]
        [sent] = [m for m in mailoutbox if m.to == [fields["requester_email"]]][1:]
        return sent.body.replace(request.reference, "REF")

    own = acknowledgement(requester_email="has-account@example.org")
    nobody = acknowledgement(requester_email="no-account@example.org")
    assert own == nobody
    for_someone = acknowledgement(
        requester_email="rep1@example.net",
        on_behalf="yes",
        subject_name="Account Holder",
        subject_email="has-account@example.org",
    )
    for_nobody = acknowledgement(
        requester_email="rep2@example.net",
        on_behalf="yes",
        subject_name="Account Holder",
        subject_email="nobody@example.org",
    )
    assert for_someone == for_nobody
    assert "account" not in for_someone.lower()


def test_p47_the_person_concerned_is_told_when_someone_elses_request_is_verified_and_done(
    client, desk_staff, make_user, django_capture_on_commit_callbacks, mailoutbox
):
    person = make_user(email="claudette@example.org", name="Claudette Colvin", language="fr")
    request = _confirmed(
        _submit(
            kind="restriction",
            on_behalf=True,
            requester_name="Fred Gray",
            requester_email="fred@gray-law.example",
            representative_of="Gray & Partners",
            subject_name="Claudette Colvin",
            subject_email="claudette@example.org",
        )
    )
    url = reverse("desk:detail", args=[request.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        desk_staff.post(
            url,
            {"action": "verify", "verify-method": "authorisation", "verify-note": "Letter seen."},
        )
        desk_staff.post(
            url,
            {"action": "decide", "decide-decision": "carry_out", "decide-outcome": "Restricted."},
        )
    told = [m for m in mailoutbox if m.to == ["claudette@example.org"]]
    # Her language; who asked, for whom; how to object.
    assert len(told) == 3  # verified, the restriction itself (Art. 18(3)), carried out
    notices = [m for m in told if "Gray & Partners" in m.body]
    assert len(notices) == 2
    assert all("fred@gray-law.example" in m.body and request.reference in m.body for m in notices)
    assert all(settings_dpo() in m.body for m in notices)
    # Nobody is told about their own request; nor at an address never confirmed.
    from allauth.account.models import EmailAddress

    mailoutbox.clear()
    rosa = make_user(email="rosa@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        own = _verified(_submit(kind="restriction"), "email")
        desk_staff.post(
            reverse("desk:detail", args=[own.public_id]),
            {"action": "decide", "decide-decision": "carry_out", "decide-outcome": "Done."},
        )
    assert not any("request about your data" in m.subject for m in mailoutbox)
    EmailAddress.objects.filter(user=person).update(verified=False)
    mailoutbox.clear()
    other = _confirmed(
        _submit(
            on_behalf=True,
            requester_email="fred@gray-law.example",
            subject_name="Claudette Colvin",
            subject_email="claudette@example.org",
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        desk_staff.post(
            reverse("desk:detail", args=[other.public_id]),
            {"action": "verify", "verify-method": "authorisation", "verify-note": "Letter seen."},
        )
    assert not any(m.to == ["claudette@example.org"] for m in mailoutbox)
    assert rosa.pk


def settings_dpo() -> str:
    from django.conf import settings

    return settings.LYCEUM_SCHOOL["dpo_email"]


# --- Review findings: housekeeping, erasure withdrawn, the form (P47) ---------------------------


def test_p47_form_requests_unconfirmed_for_7_days_are_closed_and_nobody_is_reminded(
    desk_staff, django_capture_on_commit_callbacks, mailoutbox
):
    from lyceum.privacy.desk import desk_unconfirmed_close
    from lyceum.privacy.desk_reminders import desk_reminders_send

    now = timezone.now()
    stale = _submit(received_at=now - timedelta(days=8))
    fresh = _submit(received_at=now - timedelta(days=3), requester_email="b@example.org")
    emailed = _submit(
        received_at=now - timedelta(days=25),
        requester_email="c@example.org",
        channel=RightsRequest.Channel.STAFF,
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert desk_reminders_send() == 1  # only the staff-entered one is reminded
    stale.refresh_from_db()
    assert stale.status == "refused" and stale.completed_at is not None
    assert "did not confirm" in stale.outcome
    assert RightsRequest.objects.get(pk=fresh.pk).status == "received"
    assert RightsRequest.objects.get(pk=emailed.pk).status == "received"
    assert not any(m.to in (["rosa@example.org"], ["b@example.org"]) for m in mailoutbox)
    assert all(stale.reference not in m.body for m in mailoutbox)
    # Idempotent: nothing more to close, and one record of it.
    assert desk_unconfirmed_close() == 0
    assert (
        AuditEvent.objects.filter(
            action="privacy.desk.not_confirmed", target_id=str(stale.pk)
        ).count()
        == 1
    )
    # Late in its month, an unconfirmed form request is still nobody's to remind.
    late = _submit(received_at=now - timedelta(days=5), requester_email="d@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        desk_reminders_send(now=now + timedelta(days=1, hours=1))
    late.refresh_from_db()
    assert late.first_reminder_at is None


def test_p47_the_representative_is_told_when_the_person_keeps_their_account(
    client, desk_staff, make_user, django_capture_on_commit_callbacks, mailoutbox
):
    from lyceum.privacy.services import erasure_cancel

    person = make_user(email="claudette@example.org", name="Claudette Colvin")
    request = _verified(
        _submit(
            kind="erasure",
            on_behalf=True,
            requester_name="Fred Gray",
            requester_email="fred@gray-law.example",
            subject_name="Claudette Colvin",
            subject_email="claudette@example.org",
        ),
        "authorisation",
        "Signed authorisation seen; not kept.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        desk_staff.post(
            reverse("desk:detail", args=[request.public_id]),
            {"action": "decide", "decide-decision": "carry_out", "decide-outcome": "Deleting."},
        )
    request.refresh_from_db()
    assert request.status == "in_progress"
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        erasure_cancel(request=request, actor=person)
    request.refresh_from_db()
    assert request.status == "withdrawn"
    to_fred = [m for m in mailoutbox if m.to == ["fred@gray-law.example"]]
    assert len(to_fred) == 1
    assert "chose to keep their account" in to_fred[0].body
    assert request.reference in to_fred[0].body


def test_p47_the_form_says_what_is_needed_for_someone_else_and_sums_up_its_errors(
    client, django_capture_on_commit_callbacks
):
    page = client.get(reverse("desk:form")).content.decode()
    assert "If you are asking for someone else" in page
    assert "their name and their email address with us are required" in page
    for field in ("subject_name", "subject_email"):
        label = re.search(rf'<label for="id_{field}">(.*?)</label>', page, re.S)
        assert label and "required if you ask for someone else" in label.group(1)
        assert "(optional)" not in label.group(1)
    assert page.count("error-summary") == 0

    response = _send(
        client, django_capture_on_commit_callbacks, on_behalf="yes", requester_name="", kind=""
    )
    page = response.content.decode()
    summary = re.search(r'<div class="[^"]*error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert summary and 'role="alert"' in page[summary.start() : summary.start() + 200]
    links = re.findall(r'<a href="#([^"]+)">', summary.group(1))
    assert links == ["id_kind_0", "id_requester_name", "id_subject_name", "id_subject_email"]
    assert "You ask for someone else: give the name of the person" in summary.group(1)
    assert page.index("error-summary") < page.index('name="requester_name"')

    # Their own data, with someone else's details filled in: said clearly.
    response = _send(
        client, django_capture_on_commit_callbacks, subject_email="claudette@example.org"
    )
    assert "Details about someone else are filled in" in response.content.decode()
    assert not RightsRequest.objects.exists()


def test_p47_the_copy_is_not_sent_when_the_verification_stopped_holding_before_it_was_built(
    client, desk_staff, make_user, media, django_capture_on_commit_callbacks, mailoutbox
):
    from allauth.account.models import EmailAddress

    from lyceum.privacy.desk import desk_archive_build

    rosa = make_user(email="rosa@example.org", name="Rosa Parks")
    request = _verified(_submit(), "email")
    desk_staff.post(
        reverse("desk:detail", args=[request.public_id]),
        {"action": "decide", "decide-decision": "carry_out", "decide-outcome": "Here."},
    )  # the job building the copy is queued, not run
    request.refresh_from_db()
    assert request.status == "in_progress"
    # Meanwhile the account's address changes: rosa@example.org is no longer one of its own.
    rosa.email = "rosa.parks@example.net"
    rosa.save(update_fields=["email"])
    EmailAddress.objects.filter(user=rosa).update(email="rosa.parks@example.net")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        desk_archive_build(request_id=request.pk, base_url="http://testserver/")
    request.refresh_from_db()
    assert request.status == "in_progress" and request.files_sent == []
    assert not DataExport.objects.exists() and mailoutbox == []
    assert AuditEvent.objects.filter(
        action="privacy.desk.file_refused", target_id=str(request.pk)
    ).exists()
