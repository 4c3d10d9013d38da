"""Restriction (P44) and objection (P45): ``privacy.allows`` answers, at once."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from lyceum import privacy
from lyceum.orgs.models import Membership, Organisation
from lyceum.orgs.services import membership_add, organisation_create
from lyceum.privacy.models import AuditEvent, ProcessingLimit
from lyceum.privacy.register import CONSENT_PURPOSES, Purpose


def _consenting(user):
    """Someone who said yes to everything that needs consent."""
    from lyceum.privacy.consent import consent_record
    from lyceum.privacy.models import ConsentRecord

    consent_record(
        choices={p.value: True for p in CONSENT_PURPOSES},
        method=ConsentRecord.Method.FORM,
        user=user,
    )
    return user


def test_p44_restricting_leaves_only_storage_and_legal_claims(client, make_user):
    user = _consenting(make_user())
    client.force_login(user)
    assert all(privacy.allows(user, p) for p in Purpose)
    client.post(reverse("privacy:limits"), {"restrict": "on"})
    allowed = {p for p in Purpose if privacy.allows(user, p)}
    assert allowed == {Purpose.STORAGE, Purpose.LEGAL_CLAIMS}
    assert AuditEvent.objects.filter(action="privacy.restriction.added", subject_id=user.pk)
    client.post(reverse("privacy:limits"), {})  # lifted by the person
    assert all(privacy.allows(user, p) for p in Purpose)
    assert AuditEvent.objects.filter(action="privacy.restriction.lifted", subject_id=user.pk)
    history = client.get(reverse("privacy:limits")).content.decode()
    assert "Restriction of all processing" in history


def test_p45_an_objection_stops_that_purpose_only_and_at_once(client, make_user):
    user = _consenting(make_user())
    client.force_login(user)
    client.post(reverse("privacy:limits"), {"objections": ["analytics", "profiling"]})
    assert not privacy.allows(user, Purpose.ANALYTICS)
    assert not privacy.allows(user, "profiling")
    assert privacy.allows(user, Purpose.MARKETING)
    assert privacy.allows(user, Purpose.SERVICE)
    page = client.get(reverse("privacy:limits")).content.decode()
    assert 'value="analytics" id="id_objections_0" checked' in page.replace("\n", " ") or (
        'name="objections" value="analytics"' in page and "checked" in page
    )
    client.post(reverse("privacy:limits"), {"objections": ["profiling"]})
    assert privacy.allows(user, Purpose.ANALYTICS)
    assert not privacy.allows(user, Purpose.PROFILING)
    actions = list(
        AuditEvent.objects.filter(subject_id=user.pk, action__startswith="privacy.objection")
        .order_by("id")
        .values_list("action", "changed_fields")
    )
    assert actions == [
        ("privacy.objection.added", ["analytics"]),
        ("privacy.objection.added", ["profiling"]),
        ("privacy.objection.lifted", ["analytics"]),
    ]


def test_p45_objecting_to_a_purpose_that_is_not_objectable_is_refused(client, make_user):
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("privacy:limits"), {"objections": ["service"]})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ProcessingLimit.objects.exists()


def test_p44_a_restricted_member_is_hidden_from_their_client_administrator(
    client, make_user, with_totp
):
    org = organisation_create(actor=None, name="Acme", kind=Organisation.Kind.COMPANY)
    admin = make_user(email="boss@acme.example")
    with_totp(admin)
    member = make_user(email="quiet@acme.example", name="Quiet Person")
    membership_add(actor=None, organisation=org, user=admin, role=Membership.Role.ADMIN)
    membership_add(actor=None, organisation=org, user=member, role=Membership.Role.MEMBER)
    client.force_login(admin)
    members_url = reverse("orgs:members", args=[org.slug])
    assert "quiet@acme.example" in client.get(members_url).content.decode()
    ProcessingLimit.objects.create(user=member, kind=ProcessingLimit.Kind.RESTRICTION)
    page = client.get(members_url).content.decode()
    assert "quiet@acme.example" not in page and "Quiet Person" not in page
    assert "restricted the use of their data" in page


@pytest.mark.parametrize("url", ["privacy:limits", "privacy:rectification", "privacy:erasure"])
def test_rights_pages_need_a_signed_in_person(client, url):
    response = client.get(reverse(url))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_p44_staff_can_lift_a_restriction_and_it_is_logged_and_told(
    dpo_client, make_user, django_capture_on_commit_callbacks
):
    user = make_user(email="ada@example.org")
    ProcessingLimit.objects.create(user=user, kind=ProcessingLimit.Kind.RESTRICTION)
    limit = ProcessingLimit.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        dpo_client.post(
            reverse("admin:privacy_processinglimit_changelist"),
            {"action": "lift", "_selected_action": [limit.pk]},
        )
    assert privacy.allows(user, Purpose.SERVICE)
    assert AuditEvent.objects.filter(action="privacy.restriction.lifted", subject_id=user.pk)
    [told] = mail.outbox  # GDPR Art. 18(3): the person learns it from us
    assert told.to == ["ada@example.org"]
    assert "restriction on the use of your data has been lifted" in told.body


def test_p44_staff_restrict_at_a_persons_request_and_it_is_logged(dpo_client, make_user):
    user = make_user()
    dpo_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "restrict_processing", "_selected_action": [user.pk]},
    )
    assert not privacy.allows(user, Purpose.SERVICE)
    event = AuditEvent.objects.get(action="privacy.restriction.added")
    assert (event.actor_id, event.subject_id) == (dpo_client.dpo.pk, user.pk)
