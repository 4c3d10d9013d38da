"""Learning in Chromium: a client administrator imports a roster and assigns seats; an
instructor schedules a lesson and takes attendance; a learner follows the timetable and
downloads their report; a student joins under a pseudonym (P27, P28, P29)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from lyceum.accounts.models import User
from lyceum.learning import services
from lyceum.learning.models import Attendance, Enrolment
from lyceum.orgs.models import Contract, Membership, Organisation
from lyceum.orgs.services import membership_add, organisation_create

from .conftest import screenshot, sign_in, totp_code, watch_page_problems

pytestmark = pytest.mark.e2e


@pytest.fixture
def school(make_user, with_totp, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    instructor = make_user(email="ines@school.example", name="Ines Instructor", is_instructor=True)
    learner = make_user(email="lea@example.org", name="Léa Learner")
    admin = make_user(email="alice@acme.example", name="Alice Acme")
    secret = with_totp(admin)
    acme = organisation_create(actor=None, name="Acme", kind=Organisation.Kind.COMPANY)
    membership_add(actor=None, organisation=acme, user=admin, role=Membership.Role.ADMIN)
    contract = Contract.objects.create(
        organisation=acme,
        reference="ACME-2027",
        starts_on=date.today() - timedelta(days=10),
        ends_on=date.today() + timedelta(days=200),
        seats=2,
    )
    course = services.course_create(actor=None, title="Business English", level="B1")
    course.contracts.add(contract)
    klass = services.class_create(
        actor=None,
        course=course,
        title="Tuesdays",
        instructors=[instructor],
        capacity=10,
        time_zone="Europe/Paris",
        allows_pseudonyms=True,
    )
    services.enrol(actor=None, klass=klass, user=learner, source=Enrolment.Source.STAFF)
    return {
        "instructor": instructor,
        "learner": learner,
        "admin": admin,
        "secret": secret,
        "acme": acme,
        "contract": contract,
        "klass": klass,
    }


def test_p27_a_client_administrator_imports_a_roster_and_assigns_seats(
    page: Page, live_server: LiveServer, school, password, tmp_path
):
    problems = watch_page_problems(page)
    base = live_server.url
    sign_in(page, base, "alice@acme.example", password)
    page.get_by_placeholder("Code").fill(totp_code(school["secret"])[0])
    page.get_by_role("button", name="Sign In").click()
    page.goto(f"{base}/organisations/acme/members/")

    # A file with a mistake: nothing is imported, and the row is named.
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "givenName,familyName,email,role\nBo,Berg,bo@acme.example,student\nCy,Chen,oops,student\n"
    )
    page.get_by_label("Roster file (CSV)").set_input_files(str(bad))
    page.get_by_role("button", name="Import", exact=True).click()
    errors = page.locator("#roster-errors")
    expect(errors).to_contain_text("“oops” is not an email address")
    expect(errors.locator("tbody tr")).to_have_count(1)
    assert not User.objects.filter(email="bo@acme.example").exists()

    good = tmp_path / "users.csv"
    good.write_text(
        "givenName,familyName,email,role\n"
        "Bo,Berg,bo@acme.example,student\n"
        "Cy,Chen,cy@acme.example,student\n"
        "Di,Diaz,di@acme.example,student\n"
    )
    page.get_by_label("Roster file (CSV)").set_input_files(str(good))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("3 people were told by email")
    expect(page.get_by_role("table")).to_contain_text("cy@acme.example")

    page.get_by_role("link", name="Contracts and seats").click()
    page.get_by_role("link", name="Assign seats – ACME-2027").click()
    expect(page.locator("#seats-used")).to_have_text("0 of 2 seats used.")
    page.get_by_label("Class").select_option(label="Business English – Tuesdays")
    for name in ("Bo Berg", "Cy Chen", "Di Diaz"):
        page.get_by_label(name).check()
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("alert")).to_contain_text("Only 2 seats are left, for 3 people")
    page.get_by_label("Di Diaz").uncheck()
    page.get_by_role("button", name="Assign").click()
    expect(page.locator("#seats-used")).to_have_text("2 of 2 seats used.")
    expect(page.get_by_role("table")).to_contain_text("Bo Berg")
    screenshot(page, "learning-seats")
    assert set(
        Enrolment.objects.filter(contract=school["contract"]).values_list("user__name", flat=True)
    ) == {"Bo Berg", "Cy Chen"}
    assert problems == []


def test_an_instructor_schedules_a_lesson_and_takes_attendance(
    page: Page, live_server: LiveServer, school, password
):
    problems = watch_page_problems(page)
    base = live_server.url
    klass = school["klass"]
    services.lesson_schedule(
        actor=school["instructor"],
        klass=klass,
        starts_at=timezone.now() - timedelta(days=2),
        duration=60,
        topic="Introductions",
    )
    sign_in(page, base, "ines@school.example", password)
    page.get_by_role("link", name="Timetable").click()
    page.get_by_role("link", name="Business English – Tuesdays").first.click()
    page.get_by_role("link", name="Schedule a lesson").click()
    page.get_by_label("Date").fill("2028-03-07")
    page.get_by_label("Start time").fill("18:30")
    page.get_by_label("Duration (minutes)").fill("90")
    page.get_by_label("Topic").fill("Negotiation")
    page.get_by_label("Homework").fill("Read chapter 4")
    page.get_by_label("Repeat weekly for").fill("3")
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator(".messages")).to_contain_text("3 lessons scheduled")
    expect(page.get_by_role("table").first).to_contain_text("Negotiation")

    page.get_by_role("link", name="Take attendance – Introductions").click()
    row = page.get_by_role("row", name="Léa Learner")
    row.get_by_label("Late").check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.locator(".messages")).to_contain_text("Attendance saved: 1 change.")
    assert Attendance.objects.get(user=school["learner"]).status == "late"

    page.get_by_role("link", name="Class report").click()
    expect(page.get_by_role("table")).to_contain_text("Léa Learner")
    screenshot(page, "learning-class-report")
    assert problems == []


def test_a_learner_follows_the_timetable_and_downloads_their_report(
    page: Page, live_server: LiveServer, school, password
):
    problems = watch_page_problems(page)
    base = live_server.url
    klass = school["klass"]
    past, _upcoming = services.lesson_schedule(
        actor=school["instructor"],
        klass=klass,
        starts_at=timezone.now() - timedelta(days=3),
        duration=90,
        topic="Small talk",
        weeks=2,
    )
    services.attendance_record(
        actor=school["instructor"], lesson=past, marks={school["learner"].pk: "present"}
    )
    sign_in(page, base, "lea@example.org", password)
    page.get_by_role("link", name="Timetable").click()
    expect(page.get_by_role("table")).to_contain_text("Small talk")
    page.get_by_role("button", name="Get my calendar address").click()
    feed_url = page.get_by_label("Calendar address").input_value()
    assert "BEGIN:VCALENDAR" in page.request.get(feed_url).text()
    screenshot(page, "learning-timetable")

    page.get_by_role("link", name="My attendance report").click()
    expect(page.get_by_role("table")).to_contain_text("100 %")
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download as CSV").click()
    text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][:3] == ["Business English – Tuesdays", "1", "1"]
    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Download as PDF").click()
    assert Path(pdf_download.value.path()).read_bytes()[:5] == b"%PDF-"
    assert problems == []


def test_p29_a_student_joins_under_a_pseudonym_and_comes_back_with_their_code(
    page: Page, live_server: LiveServer, school
):
    problems = watch_page_problems(page)
    base = live_server.url
    page.goto(f"{base}/join/")
    page.get_by_label("Class code").fill(school["klass"].code)
    page.get_by_label("Your pseudonym").fill("Renard bleu")
    page.get_by_role("button", name="Join", exact=True).click()
    code = page.locator("#personal-code").inner_text()
    page.get_by_role("link", name="Go to the class").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Business English – Tuesdays")
    page.get_by_label("Message to the class").fill("Bonjour à tous !")
    page.get_by_role("button", name="Send to the class").click()
    expect(page.locator(".message-list").first).to_contain_text("Renard bleu")
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{base}/join/")
    page.get_by_label("Your personal code").fill(code.lower())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My timetable")
    student = User.objects.get(name="Renard bleu")
    assert student.email is None
    assert problems == []
