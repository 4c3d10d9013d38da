"""The request desk in Chromium (P47, P30): a request by the public form, confirmed by email,
answered by the DPO from the queue with a copy of the data behind an expiring link; and a
member's own download routed to their institution's administrator, who decides it."""

from __future__ import annotations

import email
import json
import re
import zipfile
from datetime import date, timedelta
from email import policy
from email.message import EmailMessage

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from lyceum.orgs.models import Contract, Membership, Organisation
from lyceum.orgs.services import contract_create, membership_add, organisation_create
from lyceum.privacy.desk import desk_request_submit
from lyceum.privacy.models import RightsRequest

from .conftest import MailFolder, screenshot, sign_in, totp_code, watch_page_problems

pytestmark = pytest.mark.e2e

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _mail_to(folder: MailFolder, address: str, containing: str) -> str:
    """The text of the newest message to ``address`` whose body holds ``containing``."""
    for path in reversed(folder.messages()):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        if address in str(message["To"]) and containing in text:
            return str(text)
    raise AssertionError(f"no message to {address} with {containing!r}")


def _link(text: str, path: str) -> str:
    match = re.search(rf"https?://\S*{path}\S+/", text)
    assert match, text
    return match.group(0)


def _sign_in_with_code(page: Page, base: str, address: str, password: str, secret: str) -> None:
    sign_in(page, base, address, password)
    page.get_by_placeholder("Code").fill(totp_code(secret)[0])
    page.get_by_role("button", name="Sign In").click()


def _axe(page: Page) -> list[str]:
    results = Axe().run(page, options=WCAG)
    return [f"{page.url}: {v['id']}: {v['help']}" for v in results.response["violations"]]


@pytest.fixture
def desk_school(make_user, with_totp, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    dpo = make_user(email="dpo@school.example", name="Dee Pio", is_staff=True, is_dpo=True)
    rosa = make_user(email="rosa@example.org", name="Rosa Parks")
    # Requests received 25 and 33 days ago, still unanswered: one due soon, one overdue.
    for name, days in (("Sam Soon", 25), ("Olga Overdue", 33)):
        desk_request_submit(
            kind="erasure",
            requester_name=name,
            requester_email=f"{name.split()[0].lower()}@example.net",
            language="en",
            base_url="http://testserver/",
            received_at=timezone.now() - timedelta(days=days),
        )
    return {"dpo": dpo, "secret": with_totp(dpo), "rosa": rosa}


def test_p47_a_request_by_form_is_confirmed_answered_from_the_queue_and_downloaded(
    page: Page, live_server: LiveServer, desk_school, password, mail_folder: MailFolder
):
    problems = watch_page_problems(page)
    base = live_server.url
    found = []

    # A visitor without signing in: the public form.
    page.goto(f"{base}/privacy/requests/")
    found += _axe(page)
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("alert").first).to_contain_text("This field is required")
    # Every error is summed up at the top, read out at once, each a link to its field.
    summary = page.locator(".error-summary")
    expect(summary).to_have_attribute("role", "alert")
    expect(summary.get_by_role("link").first).to_have_attribute("href", "#id_kind_0")
    expect(page.get_by_role("group", name="If you are asking for someone else")).to_contain_text(
        "their name and their email address with us are required"
    )
    found += _axe(page)
    page.get_by_label("Access: a copy of the personal data you hold").check()
    page.get_by_label("Your name").fill("Rosa Parks")
    page.get_by_label("Your email address").fill("rosa@example.org")
    page.get_by_label("Mine").check()
    screenshot(page, "desk-form")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    confirm = _link(
        _mail_to(mail_folder, "rosa@example.org", "confirm"), "/privacy/requests/confirm/"
    )
    page.goto(confirm)
    found += _axe(page)
    page.get_by_role("button", name="Confirm my request").click()
    expect(page.locator(".messages")).to_contain_text("your request is confirmed")
    request = RightsRequest.objects.get(kind="access")
    assert request.status == "verified" and request.user == desk_school["rosa"]
    _mail_to(mail_folder, "dpo@school.example", request.reference)

    # The DPO works it from the queue.
    staff = page.context.browser.new_context(locale="en-GB")  # type: ignore[union-attr]
    staff.route_web_socket(re.compile(r"/ws/"), lambda ws: None)
    dpo_page = staff.new_page()
    _sign_in_with_code(dpo_page, base, "dpo@school.example", password, desk_school["secret"])
    dpo_page.goto(f"{base}/privacy/requests/queue/")
    found += _axe(dpo_page)
    overdue_row = dpo_page.locator("tr", has_text="Olga Overdue")
    expect(overdue_row).to_have_class("row-error")
    expect(overdue_row).to_contain_text("Overdue")
    expect(dpo_page.locator("tr", has_text="Sam Soon")).to_contain_text("Due soon")
    dpo_page.get_by_label("Kind").select_option("access")
    dpo_page.get_by_role("button", name="Filter").click()
    expect(dpo_page.locator("tbody tr")).to_have_count(1)
    screenshot(dpo_page, "desk-queue")
    dpo_page.get_by_role("link", name=request.reference).click()
    expect(dpo_page.get_by_role("heading", level=1)).to_contain_text(request.reference)
    found += _axe(dpo_page)
    screenshot(dpo_page, "desk-detail-open")
    dpo_page.get_by_label("Carry it out now").check()
    dpo_page.get_by_label("Answer to the requester").fill("Here is everything we hold.")
    dpo_page.get_by_role("button", name="Send the answer").click()
    expect(dpo_page.locator(".messages")).to_contain_text("the requester was sent a link")
    dpo_page.reload()
    expect(dpo_page.locator(".status").first).to_have_text("Done")
    expect(dpo_page.get_by_role("table")).to_contain_text("Copy of the data sent")
    screenshot(dpo_page, "desk-detail")

    # The requester downloads the copy through the link in the answer.
    answer = _mail_to(mail_folder, "rosa@example.org", "Here is everything we hold.")
    page.goto(_link(answer, "/privacy/requests/copy/"))
    with page.expect_download() as download:
        page.get_by_role("button", name="Download (ZIP)").click()
    archive = zipfile.ZipFile(download.value.path())
    assert json.loads(archive.read("data.json"))["person"]["email"] == "rosa@example.org"
    request.refresh_from_db()
    assert request.files_sent[0]["downloaded_at"]
    assert found == []
    assert problems == []


@pytest.fixture
def lycee(make_user, with_totp):
    school = organisation_create(
        actor=None, name="Lycée Victor Hugo", kind=Organisation.Kind.INSTITUTION, slug="lvh"
    )
    admin = make_user(email="head@lvh.example", name="Hélène Head")
    student = make_user(email="sami@lvh.example", name="Sami Student")
    membership_add(actor=None, organisation=school, user=admin, role=Membership.Role.ADMIN)
    membership_add(actor=None, organisation=school, user=student)
    contract_create(
        actor=None,
        organisation=school,
        reference="LVH-LICENCE",
        starts_on=date.today() - timedelta(days=10),
        ends_on=date.today() + timedelta(days=200),
        seats=30,
        controller=Contract.Controller.ORGANISATION,
        self_service_via_organisation=True,
    )
    return {"admin": admin, "student": student, "secret": with_totp(admin)}


def test_p30_a_members_download_is_decided_by_their_institution_and_carried_out(
    page: Page,
    live_server: LiveServer,
    lycee,
    password,
    mail_folder: MailFolder,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    problems = watch_page_problems(page)
    base = live_server.url
    sign_in(page, base, "sami@lvh.example", password)
    page.goto(f"{base}/account/data/")
    expect(page.locator(".message-warning")).to_contain_text(
        "Lycée Victor Hugo is responsible for your data here"
    )
    page.get_by_role("button", name="Prepare a copy of my data").click()
    expect(page.locator(".messages")).to_contain_text("its administrators decide on this request")
    request = RightsRequest.objects.get()
    assert request.status == "verified" and request.channel == "self_service"

    admin = page.context.browser.new_context(locale="en-GB")  # type: ignore[union-attr]
    admin.route_web_socket(re.compile(r"/ws/"), lambda ws: None)
    admin_page = admin.new_page()
    _sign_in_with_code(admin_page, base, "head@lvh.example", password, lycee["secret"])
    link = _link(_mail_to(mail_folder, "head@lvh.example", request.reference), "/organisations/")
    assert "/organisations/lvh/requests/" in link
    admin_page.goto(f"{base}/organisations/lvh/requests/")
    expect(admin_page.get_by_role("heading", level=1)).to_contain_text("Lycée Victor Hugo")
    found = _axe(admin_page)
    admin_page.get_by_role("link", name=request.reference).click()
    expect(admin_page.get_by_role("region", name="The request")).to_contain_text("Sami Student")
    found += _axe(admin_page)
    admin_page.get_by_label("Carry it out now").focus()
    admin_page.keyboard.press("Space")  # the form works from the keyboard
    admin_page.get_by_label("Answer to the requester").fill("Approved by the school office.")
    admin_page.get_by_role("button", name="Send the answer").click()
    expect(admin_page.locator(".messages")).to_contain_text("the requester was sent a link")
    screenshot(admin_page, "desk-organisation")
    request.refresh_from_db()
    assert request.status == "done" and request.handled_by == lycee["admin"]
    _mail_to(mail_folder, "sami@lvh.example", "Decided by Lycée Victor Hugo")
    assert found == []
    assert problems == []
