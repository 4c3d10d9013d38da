"""Children and parents in Chromium (P31, P32): a child signs up and waits, a parent consents
by "email plus", a school's invitation covers a child, staff erase a child found without
consent, an account without consent goes after its deadline, and a parent uses their page."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connections
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from lyceum.accounts import children
from lyceum.accounts.models import ChildConsent, User
from lyceum.accounts.tasks import erase_children_without_consent, send_second_parent_confirmations
from lyceum.privacy.models import AuditEvent

from .conftest import MailFolder, screenshot, sign_in, totp_code, watch_page_problems

pytestmark = pytest.mark.e2e

CHILD = "Tom Thumb"
CHILD_EMAIL = "tom.child@example.org"
CHILD_PASSWORD = "a long pass phrase for tom"
PARENT_EMAIL = "parent.thumb@example.org"
CONSENT_LINK = r"/account/parents/consent/[^/\s]+/"
PARENT_LINK = r"/account/parents/[^/\s]+/"
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _ten_years_ago() -> str:
    today = timezone.localdate()
    return date(today.year - 10, today.month, min(today.day, 28)).isoformat()


def _axe(page: Page) -> list[str]:
    results = Axe().run(page, options=WCAG)
    return [f"{page.url}: {v['id']}: {v['help']}" for v in results.response["violations"]]


def _child_signs_up(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Full name").fill(CHILD)
    page.get_by_label("Date of birth").fill(_ten_years_ago())
    expect(page.get_by_text("Why we ask: children under 13")).to_be_visible()
    page.get_by_label("Email").fill(CHILD_EMAIL)
    page.get_by_label("Password").fill(CHILD_PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting for your parent's consent")


def _child_asks_parent(page: Page) -> None:
    page.get_by_label("Your parent's or guardian's email address").fill(PARENT_EMAIL)
    page.get_by_role("button", name="Ask my parent").click()
    expect(page.locator(".messages")).to_contain_text("We have emailed your parent.")


def _as_the_worker(job: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a job or service on a thread of its own, as the job worker does: this thread runs
    the browser driver's event loop, where closing live connections cannot be awaited."""

    def run() -> Any:
        try:
            return job(**kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def _a_day_passes() -> None:
    """The delay before the second email goes by (the clock cannot move, the rows can)."""
    earlier = timedelta(hours=25)
    ChildConsent.objects.update(
        first_confirmed_at=F("first_confirmed_at") - earlier,
        second_due_at=F("second_due_at") - earlier,
    )


@pytest.fixture
def parent_page(new_context: Callable[..., BrowserContext]) -> Page:
    """The parent's own browser: no account, nothing shared with the child's."""
    return new_context(silent_websockets=True).new_page()


def test_p31_a_child_waits_and_a_parent_consents_by_email_plus(
    page: Page,
    parent_page: Page,
    live_server: LiveServer,
    mail_folder: MailFolder,
    settings: Settings,
) -> None:
    settings.LYCEUM_SITE_URL = live_server.url  # links in mail sent by jobs
    base = live_server.url
    problems = watch_page_problems(page)
    _child_signs_up(page, base)
    found = _axe(page)
    screenshot(page, "child-waiting")
    _child_asks_parent(page)
    expect(page.get_by_role("region", name="We have emailed your parent")).to_contain_text(
        PARENT_EMAIL
    )

    # The account cannot be used: signing in leads back to the waiting page.
    sign_in(page, base, CHILD_EMAIL, CHILD_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting for your parent's consent")
    page.goto(f"{base}/account/profile/")
    expect(page).to_have_url(f"{base}/accounts/login/?next=/account/profile/")

    # The parent's first email: what the school keeps, and a link.
    request = mail_folder.newest()
    assert request["To"] == PARENT_EMAIL and CHILD in request["Subject"]
    parent_page.goto(mail_folder.newest_link(CONSENT_LINK))
    expect(parent_page.get_by_role("heading", level=1)).to_have_text(
        "Your consent for your child's account"
    )
    expect(
        parent_page.get_by_role("region", name="What the school keeps about your child")
    ).to_be_visible()
    found += _axe(parent_page)
    screenshot(parent_page, "parent-consent")
    parent_page.get_by_role("button", name="Give my consent").click()
    expect(parent_page.get_by_role("alert")).to_contain_text("This field is required")
    parent_page.get_by_label("I am this child's parent or legal guardian, and I agree.").check()
    parent_page.get_by_role("button", name="Give my consent").click()
    expect(parent_page.get_by_role("heading", level=1)).to_have_text("Thank you: one more step")

    # One confirmation is not enough.
    sign_in(page, base, CHILD_EMAIL, CHILD_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting for your parent's consent")
    expect(page.get_by_role("main")).to_contain_text("Your parent has agreed once")

    # A day later the job sends the second email; the parent confirms again.
    send_second_parent_confirmations()  # nothing is due yet
    assert "confirm again" not in str(mail_folder.newest()["Subject"])
    _a_day_passes()
    send_second_parent_confirmations()
    assert "Please confirm again" in str(mail_folder.newest()["Subject"])
    parent_page.goto(mail_folder.newest_link(CONSENT_LINK))
    expect(parent_page.get_by_role("heading", level=1)).to_have_text("Confirm your consent again")
    parent_page.get_by_label("I am this child's parent or legal guardian, and I agree.").check()
    parent_page.get_by_role("button", name="Confirm my consent").click()
    expect(parent_page.get_by_role("heading", level=1)).to_have_text("Your consent is recorded")
    consent = ChildConsent.objects.get()
    assert consent.method == ChildConsent.Method.PARENT_EMAIL_PLUS
    assert consent.first_confirmed_at and consent.given_at
    assert "is recorded" in str(mail_folder.newest()["Subject"])
    parent_link = mail_folder.newest_link(PARENT_LINK)

    # Now the child uses the account like anyone: confirm the address, then sign in.
    sign_in(page, base, CHILD_EMAIL, CHILD_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Your Email Address")
    page.goto(mail_folder.newest_link())
    page.get_by_role("button", name="Confirm").click()
    sign_in(page, base, CHILD_EMAIL, CHILD_PASSWORD)
    expect(page).to_have_url(f"{base}/account/profile/")
    expect(page.get_by_role("main")).to_contain_text(
        "You use your account with your parent's consent"
    )

    assert problems == []

    # The child cannot open the parent's page, even with its link.
    page.goto(parent_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This page is for your parent")
    assert found == []


@pytest.fixture
def consented_child(db) -> User:
    """A child whose parent consented twice (through the services, as the test above does
    in the browser)."""
    child = User.objects.create_user(
        email=CHILD_EMAIL, password=CHILD_PASSWORD, name=CHILD, date_of_birth=date(2016, 4, 3)
    )
    consent = children.child_account_hold(user=child)
    consent = children.child_consent_request(consent=consent, parent_email=PARENT_EMAIL)
    children.child_consent_confirm(consent=consent, step=children.FIRST)
    _a_day_passes()
    children.child_second_confirmations_send()
    children.child_consent_confirm(consent=consent, step=children.SECOND)
    return child


def test_p32_a_parent_sees_downloads_stops_withdraws_and_deletes(
    page: Page, live_server: LiveServer, mail_folder: MailFolder, consented_child: User
) -> None:
    base = live_server.url
    problems = watch_page_problems(page)

    # No account: the parent asks for a link with their address.
    page.goto(f"{base}/account/parents/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your child's account")
    page.get_by_label("Your email address").fill(PARENT_EMAIL)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.locator(".messages")).to_contain_text("we have emailed it a link")
    page.goto(mail_folder.newest_link(PARENT_LINK))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{CHILD}'s account")
    consent_panel = page.get_by_role("region", name="Your consent", exact=True)
    expect(consent_panel).to_contain_text("Given: the account can be used")
    expect(consent_panel).to_contain_text("A parent, by email, confirmed again")
    expect(
        page.get_by_role("heading", name="Users", exact=True)
    ).to_be_visible()  # the export's report
    expect(page.get_by_role("main")).to_contain_text(CHILD_EMAIL)
    found = _axe(page)
    screenshot(page, "parent-home")

    # The same archive the child would download.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download (ZIP)").click()
    archive = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
    assert {"README.txt", "report.html", "data.json"} <= set(archive.namelist())
    data = json.loads(archive.read("data.json"))
    users = next(s for s in data["sections"] if s["id"] == "accounts.user")
    assert users["rows"][0]["name"] == CHILD

    # Stop further collection, then let the child back in.
    page.get_by_role("button", name="Stop collecting my child's data").click()
    expect(page.locator(".messages")).to_contain_text("Nothing more is collected")
    expect(consent_panel).to_contain_text("Paused")
    page.get_by_role("button", name="Let my child use the account again").click()
    expect(consent_panel).to_contain_text("Given: the account can be used")

    # Withdraw consent, then give it again.
    page.get_by_role("button", name="Withdraw my consent").click()
    expect(consent_panel).to_contain_text("Withdrawn: the account cannot be used")
    expect(page.get_by_role("region", name="Give your consent again")).to_contain_text(
        "we delete the account and everything in it on"
    )
    page.get_by_role("button", name="Give my consent again").click()
    expect(consent_panel).to_contain_text("Given: the account can be used")

    # Delete: what goes and what stays, then at once.
    page.get_by_role("link", name="Delete my child's account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete my child's account")
    expect(page.get_by_role("region", name="What will be erased")).to_contain_text("Users")
    found += _axe(page)
    page.get_by_role("button", name="Delete the account now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The account is deleted")
    assert not User.objects.filter(email=CHILD_EMAIL).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "parent.viewed",
        "parent.exported",
        "parent.paused",
        "parent.resumed",
        "parent.consent.withdrawn",
        "parent.consent.renewed",
        "parent.erased",
    } <= actions
    assert "is deleted" in str(mail_folder.newest()["Subject"])
    assert found == []
    assert problems == []


def test_p31_p32_a_childs_sign_in_while_paused_or_withdrawn_shows_why(
    page: Page, live_server: LiveServer, consented_child: User
) -> None:
    from allauth.account.models import EmailAddress

    base = live_server.url
    EmailAddress.objects.create(
        user=consented_child, email=CHILD_EMAIL, verified=True, primary=True
    )
    consent = ChildConsent.objects.get()
    _as_the_worker(children.parent_pause, consent=consent, on=True)
    sign_in(page, base, CHILD_EMAIL, CHILD_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your parent has paused your account")
    _as_the_worker(children.parent_pause, consent=consent, on=False)
    _as_the_worker(children.parent_withdraw, consent=consent)
    sign_in(page, base, CHILD_EMAIL, CHILD_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your parent has withdrawn their consent"
    )
    # The child cannot send the request to another "parent" now.
    expect(page.get_by_label("Your parent's or guardian's email address")).to_have_count(0)
    page.get_by_role("button", name="Leave this page").click()
    expect(page).to_have_url(f"{base}/")


def test_p31_a_waiting_child_joins_a_class_through_the_teachers_invitation(
    page: Page, live_server: LiveServer, make_user, mail_folder: MailFolder
) -> None:
    from lyceum.learning import services
    from lyceum.learning.models import Enrolment

    base = live_server.url
    teacher = make_user(email="ines@school.example", name="Ines Instructor", is_instructor=True)
    course = services.course_create(actor=None, title="Reading", level="A1")
    klass = services.class_create(
        actor=None, course=course, title="Year 5", instructors=[teacher], capacity=30
    )
    invitation = services.class_invitation_create(actor=teacher, klass=klass)

    # The child follows the invitation, creates an account, and is held like any child...
    page.goto(f"{base}/join/{invitation.token}/")
    page.get_by_role("main").get_by_role("link", name="Create an account").click()
    page.get_by_label("Full name").fill(CHILD)
    page.get_by_label("Date of birth").fill(_ten_years_ago())
    page.get_by_label("Email").fill(CHILD_EMAIL)
    page.get_by_label("Password").fill(CHILD_PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting for your parent's consent")

    # ...until they go back to the invitation: the school's consent covers them.
    page.get_by_role("link", name="Back to the invitation").click()
    expect(page.get_by_role("main")).to_contain_text("the school's consent covers your account")
    page.get_by_role("button", name="Join the class").click()
    expect(page.locator(".messages")).to_contain_text("Your school's consent covers your account")
    consent = ChildConsent.objects.get(user__email=CHILD_EMAIL)
    assert consent.method == ChildConsent.Method.SCHOOL
    assert consent.school == "Lyceum Online School" and "Year 5" in consent.school_class
    assert Enrolment.objects.filter(user__email=CHILD_EMAIL, klass=klass).exists()
    sign_in(page, base, CHILD_EMAIL, CHILD_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Your Email Address")


def test_p31_a_childs_account_without_consent_is_erased_after_its_deadline(
    page: Page, live_server: LiveServer, mail_folder: MailFolder
) -> None:
    base = live_server.url
    _child_signs_up(page, base)
    _child_asks_parent(page)
    expect(page.get_by_role("main")).to_contain_text("we delete your account and all of it")

    # Seven days pass without consent; the periodic job erases the account.
    ChildConsent.objects.update(deadline=timezone.now() - timedelta(minutes=1))
    _as_the_worker(erase_children_without_consent)
    assert not User.objects.filter(email=CHILD_EMAIL).exists()
    told = mail_folder.newest()
    assert told["To"] == PARENT_EMAIL and "is deleted" in str(told["Subject"])

    sign_in(page, base, CHILD_EMAIL, CHILD_PASSWORD)
    expect(page.get_by_role("main")).to_contain_text("not correct")


def test_p31_staff_delete_a_child_found_without_consent_at_once(
    page: Page, live_server: LiveServer, make_user, with_totp, password
) -> None:
    base = live_server.url
    staff = make_user(email="dpo@school.example", name="Dana DPO", is_staff=True, is_dpo=True)
    secret = with_totp(staff)
    make_user(email="found.child@example.org", name="Found Child")
    sign_in(page, base, "dpo@school.example", password)
    page.get_by_placeholder("Code").fill(totp_code(secret)[0])
    page.get_by_role("button", name="Sign In").click()
    page.goto(f"{base}/admin/accounts/user/?q=found.child")
    page.get_by_role("row", name="found.child@example.org").get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option(
        label="Child found without consent: delete now"
    )
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("main")).to_contain_text("with no grace period")
    assert User.objects.filter(email="found.child@example.org").exists()
    page.get_by_role("button", name="Yes, delete them now").click()
    expect(page.locator(".messagelist")).to_contain_text("1 account erased.")
    assert not User.objects.filter(email="found.child@example.org").exists()
    event = AuditEvent.objects.get(action="child.found_without_consent")
    assert event.actor_id == staff.pk
