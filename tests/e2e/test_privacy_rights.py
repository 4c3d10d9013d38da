"""Each right, used end to end in Chromium as the person would (P41-P46)."""

from __future__ import annotations

import json
import zipfile

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from lyceum import privacy
from lyceum.accounts.models import User
from lyceum.privacy.consent import consent_record
from lyceum.privacy.models import ConsentRecord, RightsRequest
from lyceum.privacy.register import Purpose

from .conftest import MailFolder, screenshot, sign_in, watch_page_problems

pytestmark = pytest.mark.e2e

EMAIL = "grace.hopper@example.org"
NAME = "Grace Hopper"


@pytest.fixture
def person(make_user):
    return make_user(email=EMAIL, name=NAME)


def _to_your_data(page: Page, base: str, password: str) -> None:
    sign_in(page, base, EMAIL, password)
    page.get_by_role("link", name="My account", exact=True).click()
    page.get_by_role("link", name="Download a copy of your data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data")


def test_p41_p46_a_person_downloads_their_data(
    page: Page, live_server: LiveServer, person, password, mail_folder: MailFolder
):
    problems = watch_page_problems(page)
    _to_your_data(page, live_server.url, password)
    page.get_by_role("button", name="Prepare a copy of my data").click()
    expect(page.locator(".messages")).to_contain_text("we will email you when it is ready")
    assert "ready to download" in mail_folder.newest()["Subject"]
    page.reload()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download (ZIP)").click()
    archive = zipfile.ZipFile(download_info.value.path())
    assert {"README.txt", "report.html", "data.json"} <= set(archive.namelist())
    data = json.loads(archive.read("data.json"))
    users = next(s for s in data["sections"] if s["id"] == "accounts.user")
    assert users["rows"][0]["name"] == NAME
    assert users["legal_basis"]["code"] == "contract"
    screenshot(page, "rights-access")
    assert problems == []


def test_p42_a_person_corrects_their_profile_and_asks_for_another_correction(
    page: Page, live_server: LiveServer, person, password, mail_folder: MailFolder
):
    _to_your_data(page, live_server.url, password)
    page.get_by_role("link", name="Edit your profile").click()
    page.get_by_label("Full name").fill("Grace Brewster Hopper")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("Full name")).to_have_value("Grace Brewster Hopper")
    page.goto(f"{live_server.url}/account/data/")
    page.get_by_role("link", name="Ask for a correction").click()
    field = page.get_by_label("What is wrong, and what should it say?")
    field.fill("short")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("alert").first).to_contain_text("at least 10 characters")
    expect(field).to_have_value("short")  # nothing typed is lost
    field.fill("My certificate says 1907; I was born in 1906.")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("table")).to_contain_text("My certificate says 1907")
    expect(page.get_by_role("table")).to_contain_text("Identity verified")
    screenshot(page, "rights-rectification")
    request = RightsRequest.objects.get(user=person)
    assert request.kind == RightsRequest.Kind.RECTIFICATION
    assert User.objects.get(pk=person.pk).name == "Grace Brewster Hopper"


def test_p43_a_person_deletes_their_account_and_keeps_it_after_all(
    page: Page, live_server: LiveServer, person, password, mail_folder: MailFolder
):
    base = live_server.url
    _to_your_data(page, base, password)
    page.get_by_role("link", name="Delete my account").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Confirm Access")  # the password again
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Confirm").click()
    expect(heading).to_have_text("Delete my account")
    expect(page.get_by_role("region", name="What will be erased")).to_contain_text("Users")
    expect(page.get_by_role("region", name="What we must keep, and why")).to_be_visible()
    screenshot(page, "rights-erasure-preview")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("alert").first).to_contain_text("Tick the box")
    page.get_by_label("I understand that my account").check()
    page.get_by_role("button", name="Delete my account").click()
    expect(heading).to_have_text("Your account is being deleted")

    sign_in(page, base, EMAIL, password)
    expect(heading).to_have_text("This account is closed")

    keep = mail_folder.newest_link(r"/account/data/delete/keep/[^/\s]+/")
    page.goto(keep)
    page.get_by_role("button", name="Keep my account").click()
    expect(page.locator(".messages")).to_contain_text("Your account is kept")
    sign_in(page, base, EMAIL, password)
    expect(page.get_by_role("link", name="My account", exact=True)).to_be_visible()
    assert User.objects.get(pk=person.pk).is_active


def test_p44_a_person_restricts_the_use_of_their_data_and_lifts_it(
    page: Page, live_server: LiveServer, person, password
):
    from lyceum.privacy.consent import consent_record
    from lyceum.privacy.models import ConsentRecord

    # Analytics needs consent (P06): the person gave it, and objecting to profiling keeps it.
    consent_record(choices={"analytics": True}, method=ConsentRecord.Method.FORM, user=person)
    _to_your_data(page, live_server.url, password)
    page.get_by_role("link", name="Restrictions and objections").click()
    restrict = page.get_by_label("Restrict the use of my data")
    restrict.check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.locator(".messages")).to_contain_text("Your choices are saved")
    expect(restrict).to_be_checked()
    assert not privacy.allows(person, Purpose.SERVICE)
    assert privacy.allows(person, Purpose.LEGAL_CLAIMS)
    expect(page.get_by_role("table")).to_contain_text("In force")
    screenshot(page, "rights-restriction")
    restrict.uncheck()
    page.get_by_role("button", name="Save my choices").click()
    expect(restrict).not_to_be_checked()
    assert privacy.allows(person, Purpose.SERVICE)


def test_p45_a_person_objects_to_profiling_and_it_applies_at_once(
    page: Page, live_server: LiveServer, person, password
):
    # Analytics needs consent (P06): the person gave it, and objecting to profiling keeps it.
    consent_record(choices={"analytics": True}, method=ConsentRecord.Method.FORM, user=person)
    _to_your_data(page, live_server.url, password)
    page.get_by_role("link", name="Restrictions and objections").click()
    page.get_by_label("Profiling: recommendations based on your activity").check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_label("Profiling: recommendations based on your activity")).to_be_checked()
    assert not privacy.allows(person, Purpose.PROFILING)
    assert privacy.allows(person, Purpose.ANALYTICS)
    page.keyboard.press("Tab")  # the form is usable from the keyboard
