from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.management import call_command
from django.core.management.base import CommandError

from lyceum.orgs.models import Membership, Organisation
from lyceum.orgs.services import membership_add, organisation_create
from lyceum.privacy.audit import audit_record
from lyceum.privacy.export import export_archive
from lyceum.privacy.models import AuditEvent
from lyceum.privacy.register import register


@pytest.fixture
def person(make_user, with_totp):
    user = make_user(email="lea@example.org", name="Léa Martin", display_name="Léa")
    org = organisation_create(actor=None, name="Acme", kind=Organisation.Kind.COMPANY)
    membership_add(actor=None, organisation=org, user=user, role=Membership.Role.ADMIN)
    SocialAccount.objects.create(
        user=user, provider="google", uid="g-123", extra_data={"email": user.email}
    )
    user.totp_secret = with_totp(user)
    audit_record(action="signin", actor=user, subject=user)
    return user


def _open(archive: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(archive))


def test_p41_export_covers_every_register_entry_with_why_and_how_long(person):
    data = json.loads(_open(export_archive(user=person, actor=person)).read("data.json"))
    sections = {s["id"]: s for s in data["sections"]}
    assert set(sections) == {label.lower() for label in register.entries}
    for section in sections.values():
        assert section["purpose"]
        assert section["legal_basis"]["label"]
        assert section["retention"]
    user_rows = sections["accounts.user"]["rows"]
    assert user_rows[0]["name"] == "Léa Martin"
    assert user_rows[0]["display_name"] == "Léa"
    assert sections["orgs.membership"]["rows"][0]["organisation"] == "Acme"
    assert sections["socialaccount.socialaccount"]["rows"][0]["uid"] == "g-123"
    assert sections["mfa.authenticator"]["rows"]
    assert any(r["actor_id"] == person.pk for r in sections["privacy.auditevent"]["rows"])


def test_p41_secrets_are_withheld_from_the_archive(person):
    archive = export_archive(user=person, actor=person)
    everything = b"".join(_open(archive).read(name) for name in _open(archive).namelist())
    assert person.totp_secret.encode() not in everything
    assert person.password.encode() not in everything
    assert b"a one-way hash of your password" in everything


def test_p41_export_holds_nobody_else(person, make_user):
    other = make_user(email="someone.else@example.org", name="Someone Else")
    audit_record(action="signin", actor=other, subject=other)
    archive = export_archive(user=person, actor=person)
    everything = b"".join(_open(archive).read(name) for name in _open(archive).namelist())
    assert b"someone.else@example.org" not in everything
    assert b"Someone Else" not in everything


def test_p46_export_is_documented_json_and_csv(person):
    archive = _open(export_archive(user=person, actor=person))
    data = json.loads(archive.read("data.json"))
    assert data["format"] == "lyceum-personal-data/1"
    readme = archive.read("README.txt").decode()
    for key in ("generated_at", "sections", "purpose", "legal_basis", "retention", "rows"):
        assert key in readme
    rows = list(csv.DictReader(io.StringIO(archive.read("csv/accounts.user.csv").decode())))
    assert rows[0]["email"] == "lea@example.org"
    assert "Léa Martin" in archive.read("report.html").decode()


def test_p41_export_speaks_the_persons_language_and_is_audit_logged(person):
    person.language = "fr"
    data = json.loads(_open(export_archive(user=person, actor=person)).read("data.json"))
    user_section = next(s for s in data["sections"] if s["id"] == "accounts.user")
    assert user_section["legal_basis"]["label"] == "Exécution d’un contrat (RGPD, art. 6(1)(b))"
    event = AuditEvent.objects.filter(action="privacy.exported").get()
    assert (event.actor_id, event.subject_id) == (person.pk, person.pk)


def test_p41_export_command_writes_the_same_archive(person, tmp_path):
    out = tmp_path / "lea.zip"
    call_command("privacy", "export", "LEA@example.org", "--out", str(out))
    data = json.loads(_open(out.read_bytes()).read("data.json"))
    assert data["person"]["email"] == "lea@example.org"
    with pytest.raises(CommandError, match="No account"):
        call_command("privacy", "export", "nobody@example.org", "--out", str(out))


def test_p41_an_export_never_shows_staff_addresses_from_events_about_the_person(make_user, rf):
    from lyceum.core.request_context import RequestOrigin, reset_origin, set_origin

    person = make_user(email="ada@example.org")
    staff = make_user(email="dpo@school.example", is_staff=True)
    token = set_origin(RequestOrigin(ip="10.9.9.9", user_agent="StaffBrowser/1"))
    try:
        audit_record(action="staff.viewed", actor=staff, subject=person)
    finally:
        reset_origin(token)
    token = set_origin(RequestOrigin(ip="198.51.100.1", user_agent="AdaBrowser/2"))
    try:
        audit_record(action="signin", actor=person, subject=person)
    finally:
        reset_origin(token)
    archive = _open(export_archive(user=person, actor=person))
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"10.9.9.9" not in everything and b"StaffBrowser" not in everything
    assert b"198.51.100.1" in everything and b"AdaBrowser/2" in everything
    data = json.loads(archive.read("data.json"))
    events = next(s for s in data["sections"] if s["id"] == "privacy.auditevent")["rows"]
    assert [e["action"] for e in events][-2:] == ["staff.viewed", "signin"]


def test_p41_the_report_reads_as_text_in_the_persons_language(person):
    from django.utils import translation

    person.language = "fr"
    person.save()
    report = _open(export_archive(user=person, actor=person)).read("report.html").decode()
    assert ">True<" not in report and ">False<" not in report
    with translation.override("fr"):
        from django.template.defaultfilters import yesno

        assert f">{yesno(True)}<" in report  # a verified address
    assert person.date_joined.isoformat() not in report  # dates are written out, not ISO
    data = json.loads(_open(export_archive(user=person, actor=person)).read("data.json"))
    users = next(s for s in data["sections"] if s["id"] == "accounts.user")
    assert users["rows"][0]["date_joined"] == person.date_joined.isoformat()  # JSON stays exact
