"""A client administrator adds members one by one or from a OneRoster-style CSV file."""

from __future__ import annotations

import re

from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lyceum.accounts.models import User
from lyceum.orgs.models import Membership

HEADER = "sourcedId,status,enabledUser,orgSourcedIds,role,username,givenName,familyName,email\n"


def _roster(text: str, name: str = "users.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), "text/csv")


def _import(client, slug, upload, **extra):
    data = {"action": "import", "roster": upload, **extra}
    return client.post(reverse("orgs:members", args=[slug]), data)


def test_a_roster_creates_accounts_and_memberships_and_welcomes_people(
    client, two_clients, mailoutbox, django_capture_on_commit_callbacks
):
    acme, _, acme_admin, _, employee = two_clients
    client.force_login(acme_admin)
    roster = HEADER + (
        "u1,active,true,acme,student,bo,Bo,Berg,bo.berg@acme.example\n"
        "u2,active,true,acme,teacher,cy,Cy,Chen,CY.CHEN@acme.example\n"
        "u3,active,true,acme,administrator,di,Di,Diaz,di@acme.example\n"
        "u4,tobedeleted,true,acme,student,ex,Ex,Gone,ex@acme.example\n"
        f"u5,active,true,acme,student,em,Acme,Employee,{employee.email}\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _import(client, acme.slug, _roster(roster), administrators="on")
    assert response.status_code == 302
    bo = User.objects.get(email="bo.berg@acme.example")
    assert bo.name == "Bo Berg" and not bo.has_usable_password()
    assert User.objects.filter(email="cy.chen@acme.example").exists()
    assert not User.objects.filter(email="ex@acme.example").exists()
    roles = dict(Membership.objects.filter(organisation=acme).values_list("user__email", "role"))
    assert roles["di@acme.example"] == "admin" and roles["bo.berg@acme.example"] == "member"
    assert len(mailoutbox) == 3  # the employee was a member already
    assert "3 people were told by email" in client.get(response.url).content.decode()
    # The welcome link lets Bo choose a password, which proves the address is Bo's.
    (welcome,) = [m for m in mailoutbox if m.to == ["bo.berg@acme.example"]]
    found = re.search(r"http://testserver(/account/welcome/\S+)", welcome.body)
    assert found
    link = found.group(1)
    client.logout()
    chosen = "a long pass phrase here"
    response = client.post(link, {"new_password1": chosen, "new_password2": chosen})
    assert response.status_code == 302
    bo.refresh_from_db()
    assert bo.check_password(chosen)
    assert EmailAddress.objects.get(user=bo).verified
    assert client.get(link).status_code == 404  # used once


def test_a_roster_with_bad_rows_imports_nothing_and_says_what_is_wrong(client, two_clients):
    acme, _, acme_admin, _, _ = two_clients
    client.force_login(acme_admin)
    roster = HEADER + (
        "u1,active,true,acme,student,ok,Ok,Person,ok@acme.example\n"
        "u2,active,true,acme,student,bad,Bad,Mail,not-an-address\n"
        "u3,active,true,acme,student,dup,Dup,Licate,ok@acme.example\n"
        "u4,active,true,acme,guardian,pa,Pa,Rent,parent@acme.example\n"
        "u5,active,true,acme,student,nn,,,noname@acme.example\n"
    )
    response = _import(client, acme.slug, _roster(roster))
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "“not-an-address” is not an email address" in page
    assert "The same address is on line 2 already" in page
    assert "The role “guardian” cannot belong to an organisation" in page
    assert "The name is missing" in page
    assert not User.objects.filter(email="ok@acme.example").exists()


def test_a_file_that_is_not_a_roster_is_refused_clearly(client, two_clients):
    acme, _, acme_admin, _, _ = two_clients
    client.force_login(acme_admin)
    response = _import(client, acme.slug, _roster("name;mail\nBo;bo@x.example\n"))
    assert "Missing columns: givenName, familyName, email" in response.content.decode()
    binary = SimpleUploadedFile("users.csv", b"\xff\xfe\x00\x01garbage", "text/csv")
    response = _import(client, acme.slug, binary)
    assert "not text in UTF-8" in response.content.decode()
    assert Membership.objects.filter(organisation=acme).count() == 2


def test_an_administrator_adds_and_removes_a_member(
    client, two_clients, mailoutbox, django_capture_on_commit_callbacks
):
    acme, _, acme_admin, _, employee = two_clients
    client.force_login(acme_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("orgs:members", args=[acme.slug]),
            {"action": "invite", "name": "Neo New", "email": "neo@acme.example", "role": "member"},
        )
    assert Membership.objects.filter(organisation=acme, user__email="neo@acme.example").exists()
    assert mailoutbox[-1].to == ["neo@acme.example"]
    membership = Membership.objects.get(organisation=acme, user=employee)
    client.post(reverse("orgs:member_remove", args=[acme.slug, membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_another_clients_administrator_can_neither_import_nor_remove(client, two_clients):
    acme, _, _, globex_admin, employee = two_clients
    client.force_login(globex_admin)
    roster = HEADER + "u1,active,true,acme,student,x,X,Y,x@evil.example\n"
    assert _import(client, acme.slug, _roster(roster)).status_code == 404
    membership = Membership.objects.get(organisation=acme, user=employee)
    response = client.post(reverse("orgs:member_remove", args=[acme.slug, membership.pk]))
    assert response.status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert not User.objects.filter(email="x@evil.example").exists()


def test_someone_who_has_an_account_joins_only_if_they_accept(
    client, two_clients, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    acme, _, acme_admin, _, _ = two_clients
    existing = make_user(email="kim@example.org", name="Kim Private-Name")
    client.force_login(acme_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("orgs:members", args=[acme.slug]),
            {"action": "invite", "name": "Typed Name", "email": "kim@example.org", "role": "admin"},
            follow=True,
        )
    page = response.content.decode()
    assert "kim@example.org was told by email" in page
    assert "Kim Private-Name" not in page and "Invited, has not answered yet" in page
    existing.refresh_from_db()
    assert existing.name == "Kim Private-Name"  # the typed name changes nothing
    membership = Membership.objects.get(organisation=acme, user=existing)
    assert membership.accepted_at is None
    # Not an administrator yet: the organisation's pages stay closed to them.
    client.force_login(existing)
    assert client.get(reverse("orgs:members", args=[acme.slug])).status_code == 404
    link = re.search(r"http://testserver(/organisations/accept/\S+)", mailoutbox[-1].body)
    assert link
    client.post(link.group(1), {"answer": "accept"})
    membership.refresh_from_db()
    assert membership.accepted_at is not None and membership.token == ""
    client.force_login(acme_admin)
    assert (
        "Kim Private-Name" in client.get(reverse("orgs:members", args=[acme.slug])).content.decode()
    )


def test_an_invitation_can_be_declined_and_answered_only_by_its_person(
    client, two_clients, make_user
):
    from lyceum.orgs.roster import member_invite

    acme, _, acme_admin, globex_admin, _ = two_clients
    existing = make_user(email="lou@example.org", name="Lou")
    member_invite(
        actor=acme_admin,
        organisation=acme,
        email="lou@example.org",
        name="Lou",
        base_url="http://testserver/",
    )
    membership = Membership.objects.get(user=existing)
    url = reverse("orgs:accept", args=[membership.token])
    client.force_login(globex_admin)
    assert client.post(url, {"answer": "accept"}).status_code == 404
    client.force_login(existing)
    client.post(url, {"answer": "decline"})
    assert not Membership.objects.filter(user=existing).exists()


def test_administrator_rows_are_members_unless_asked_and_old_mac_files_are_read(
    client, two_clients
):
    acme, _, acme_admin, _, _ = two_clients
    client.force_login(acme_admin)
    roster = "givenName,familyName,email,role\rAl,Admin,al@acme.example,administrator\r"
    response = _import(client, acme.slug, _roster(roster))
    assert response.status_code == 302
    assert Membership.objects.get(user__email="al@acme.example").role == "member"


def test_rows_the_database_could_not_hold_are_refused(client, two_clients):
    acme, _, acme_admin, _, _ = two_clients
    client.force_login(acme_admin)
    long_address = "a" * 250 + "@acme.example"
    roster = (
        f"givenName,familyName,email\nNul,\x00Byte,nul@acme.example\nLong,Mail,{long_address}\n"
    )
    page = _import(client, acme.slug, _roster(roster)).content.decode()
    assert "control characters" in page and "longer than 254" in page
    assert not User.objects.filter(email="nul@acme.example").exists()
