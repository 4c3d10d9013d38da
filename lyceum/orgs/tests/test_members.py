from __future__ import annotations

from lyceum.orgs.models import Membership, Organisation
from lyceum.orgs.services import membership_add, membership_set_role, organisation_create
from lyceum.privacy.models import AuditEvent


def test_p27_client_admin_sees_own_members(client, two_clients):
    acme, _, acme_admin, _, _ = two_clients
    client.force_login(acme_admin)
    response = client.get(f"/organisations/{acme.slug}/members/")
    assert response.status_code == 200
    assert "employee@acme.example" in response.content.decode()
    assert AuditEvent.objects.filter(action="organisation.members.viewed").exists()


def test_p15_another_clients_admin_is_refused(client, two_clients):
    acme, _, _, globex_admin, _ = two_clients
    client.force_login(globex_admin)
    response = client.get(f"/organisations/{acme.slug}/members/")
    assert response.status_code == 404
    assert b"employee@acme.example" not in response.content


def test_p15_plain_member_is_refused(client, two_clients):
    acme, _, _, _, employee = two_clients
    client.force_login(employee)
    assert client.get(f"/organisations/{acme.slug}/members/").status_code == 404


def test_p11_client_admin_without_second_factor_is_sent_to_set_one_up(client, make_user):
    org = organisation_create(actor=None, name="Initech", kind=Organisation.Kind.INSTITUTION)
    admin = make_user()
    membership_add(actor=None, organisation=org, user=admin, role=Membership.Role.ADMIN)
    client.force_login(admin)
    response = client.get(f"/organisations/{org.slug}/members/")
    assert response.status_code == 302
    assert response.url == "/accounts/2fa/"


def test_p15_making_someone_a_client_admin_is_audit_logged(two_clients):
    acme, _, acme_admin, _, employee = two_clients
    membership = Membership.objects.get(organisation=acme, user=employee)
    membership_set_role(actor=acme_admin, membership=membership, role=Membership.Role.ADMIN)
    event = AuditEvent.objects.filter(action="roles.changed").get()
    assert (event.actor_id, event.subject_id, event.changed_fields) == (
        acme_admin.pk,
        employee.pk,
        ["role"],
    )


def test_my_organisations_lists_only_mine(client, two_clients):
    _, _, _, globex_admin, _ = two_clients
    client.force_login(globex_admin)
    page = client.get("/organisations/").content.decode()
    assert "Globex" in page
    assert "Acme" not in page
