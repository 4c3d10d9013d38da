"""The privacy and cookie policies, generated and versioned (P02); material changes (P03)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from lyceum.privacy.models import AuditEvent, ConsentRecord, PolicyVersion
from lyceum.privacy.policy import policy_current, policy_publish
from lyceum.privacy.register import register


def test_p02_the_policy_is_generated_from_the_register_and_the_settings(client, db, settings):
    settings.LYCEUM_SCHOOL = {**settings.LYCEUM_SCHOOL, "dpo_email": "privacy@school.example"}
    page = client.get(reverse("web:privacy")).content.decode()
    assert "privacy@school.example" in page
    # Every kind of personal data the platform holds is told, with its purpose and retention.
    for entry in register.entries.values():
        name = str(entry.model._meta.verbose_name_plural).capitalize()
        assert f"<h3>{name}</h3>" in page, name
    consent_entry = register.entries["privacy.ConsentRecord"]
    assert str(consent_entry.retention.description) in page
    # The rights, with links to where a person uses them.
    for name in ("privacy:data", "privacy:rectification", "privacy:limits", "privacy:erasure"):
        assert f'href="{reverse(name)}"' in page
    assert "Last updated" in page


def test_p02_the_cookie_policy_lists_every_cookie_with_its_category(client, db, settings):
    page = client.get(reverse("web:cookies")).content.decode()
    for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, "lyceum_visitor"):
        assert f"<code>{name}</code>" in page
    assert reverse("notice:choices") in page


def test_p02_a_version_is_published_only_when_something_changed(db, settings):
    first = policy_current()
    assert policy_publish() is None
    settings.LYCEUM_SCHOOL = {**settings.LYCEUM_SCHOOL, "dpo_email": "new-dpo@school.example"}
    second = policy_publish(summary="A new data protection officer.")
    assert second is not None
    assert second.version != first.version
    assert second.version.startswith(first.version)  # same day: a numbered suffix
    assert AuditEvent.objects.filter(action="privacy.policy.published").count() == 2


def test_p02_every_published_version_stays_viewable_as_it_was(client, db, settings):
    first = policy_current()
    settings.LYCEUM_SCHOOL = {**settings.LYCEUM_SCHOOL, "dpo_email": "new-dpo@school.example"}
    second = policy_publish(summary="A new data protection officer.")
    assert second is not None
    listing = client.get(reverse("notice:versions")).content.decode()
    assert first.version in listing and second.version in listing
    old = client.get(reverse("notice:version", args=[first.version])).content.decode()
    assert "dpo@lyceum.example" in old and "new-dpo@school.example" not in old
    assert "no longer in force" in old
    assert "new-dpo@school.example" in client.get(reverse("web:privacy")).content.decode()
    assert client.get(reverse("notice:version", args=["1999-01-01"])).status_code == 404


@pytest.mark.parametrize("language", ["fr", "uk"])
def test_p02_each_version_is_published_in_every_language(client, db, language):
    version = policy_current()
    assert set(version.documents) == {"en", "fr", "uk"}
    client.post(reverse("web:language"), {"language": language, "next": "/"})
    page = client.get(reverse("web:privacy")).content.decode()
    assert f'<html lang="{language}">' in page
    assert version.documents[language]["privacy"] in page
    assert version.documents[language]["privacy"] != version.documents["en"]["privacy"]


def test_p02_the_publish_command_publishes_once_per_change(db, settings):
    out = io.StringIO()
    call_command("privacy", "publish", "--summary", "First.", stdout=out)
    assert "Published version" in out.getvalue()
    out = io.StringIO()
    call_command("privacy", "publish", stdout=out)
    assert "nothing published" in out.getvalue()
    assert PolicyVersion.objects.count() == 1


def test_p02_signing_up_records_acceptance_of_the_version_in_force(client, db):
    version = policy_current()
    client.post(
        reverse("account_signup"),
        {
            "name": "Maria Ivanenko",
            "email": "maria@example.org",
            "password1": "a long pass phrase",
            "date_of_birth": "1994-03-08",
        },
        HTTP_USER_AGENT="Firefox",
    )
    record = ConsentRecord.objects.get(user__email="maria@example.org")
    assert (record.purpose, record.given, record.method, record.notice_version) == (
        ConsentRecord.POLICY,
        True,
        ConsentRecord.Method.SIGNUP,
        version.version,
    )


def test_p03_a_material_change_shows_a_notice_until_acknowledged(client, make_user, settings):
    user = make_user()
    client.force_login(user)
    policy_current()
    assert "Our privacy policy has changed" not in client.get("/").content.decode()
    settings.LYCEUM_SCHOOL = {**settings.LYCEUM_SCHOOL, "hosting_region": "Canada"}
    changed = policy_publish(material=True, summary="Our servers move to Canada.")
    assert changed is not None
    for url in ("/", reverse("learning:catalogue"), reverse("privacy:data")):
        page = client.get(url).content.decode()
        assert "Our privacy policy has changed" in page and "Our servers move to Canada." in page
    response = client.post(reverse("notice:acknowledge"), {"next": "/courses/"})
    assert response["Location"] == "/courses/"
    record = ConsentRecord.objects.get(user=user, purpose=ConsentRecord.POLICY)
    assert (record.method, record.notice_version) == ("notice", changed.version)
    assert "Our privacy policy has changed" not in client.get("/").content.decode()
    # The acknowledgement is in the person's history of choices.
    history = client.get(reverse("privacy:consents")).content.decode()
    assert "The notice of a policy change" in history


def test_p03_a_minor_change_or_a_newer_acceptance_shows_no_notice(client, make_user, settings):
    policy_current()
    settings.LYCEUM_SCHOOL = {**settings.LYCEUM_SCHOOL, "hosting_region": "Canada"}
    policy_publish(material=True, summary="Moved.")
    newcomer = make_user()
    from lyceum.privacy.policy import policy_accept

    settings.LYCEUM_SCHOOL = {**settings.LYCEUM_SCHOOL, "contact_email": "hi@school.example"}
    policy_publish(summary="A new contact address.")
    policy_accept(user=newcomer, method=ConsentRecord.Method.SIGNUP)
    client.force_login(newcomer)
    assert "Our privacy policy has changed" not in client.get("/").content.decode()


def test_p03_acknowledging_needs_a_signed_in_person_and_a_post(client, db):
    assert client.get(reverse("notice:acknowledge")).status_code in (302, 405)
    response = client.post(reverse("notice:acknowledge"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not ConsentRecord.objects.exists()


def test_p02_the_publish_check_says_when_the_policy_is_out_of_date(db, settings):
    with pytest.raises(CommandError, match="none was published"):
        call_command("privacy", "publish", "--check")
    policy_current()
    out = io.StringIO()
    call_command("privacy", "publish", "--check", stdout=out)
    assert "up to date" in out.getvalue()
    settings.LYCEUM_PRIVACY_TRANSFERS = "Backups are copied to Switzerland."
    with pytest.raises(CommandError, match="do not match"):
        call_command("privacy", "publish", "--check")


def test_p02_a_change_of_wording_alone_is_a_new_version(db, monkeypatch):
    from lyceum.privacy import policy

    first = policy_current()
    render = policy.render_to_string

    def reworded(name, context):
        return render(name, context).replace("30 days", "one month")

    monkeypatch.setattr(policy, "render_to_string", reworded)
    with pytest.raises(CommandError, match="do not match"):
        call_command("privacy", "publish", "--check")
    second = policy_publish(summary="Clearer wording.")
    assert second is not None and second.facts == first.facts
    assert "one month" in second.documents["en"]["privacy"]
    assert "30 days" in PolicyVersion.objects.get(pk=first.pk).documents["en"]["privacy"]
