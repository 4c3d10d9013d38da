"""Lessons in the timetable, in each person's time zone, and as a revocable calendar feed."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time

import pytest
from django.urls import reverse
from icalendar import Calendar

from lyceum.learning import services
from lyceum.learning.models import Enrolment
from lyceum.learning.services import LearningError


def test_a_weekly_series_keeps_its_local_hour_across_daylight_saving(school):
    # Paris leaves summer time on the last Sunday of October 2027.
    first = services.local_to_aware(date(2027, 10, 26), time(18, 0), "Europe/Paris")
    lessons = services.lesson_schedule(
        actor=school.instructor,
        klass=school.klass,
        starts_at=first,
        duration=60,
        topic="Series",
        weeks=3,
    )
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    assert [lesson.starts_at.astimezone(paris).hour for lesson in lessons] == [18, 18, 18]
    assert [lesson.starts_at.astimezone(zoneinfo.ZoneInfo("UTC")).hour for lesson in lessons] == [
        16,
        17,
        17,
    ]


def test_an_instructor_schedules_a_lesson_in_the_class_time_zone(client, school):
    client.force_login(school.instructor)
    response = client.post(
        reverse("learning:lesson_new", args=[school.klass.pk]),
        {
            "day": "2028-03-07",
            "time": "18:30",
            "duration": "90",
            "topic": "Negotiation",
            "homework": "Read chapter 4",
            "weeks": "2",
        },
    )
    assert response.status_code == 302
    lessons = list(school.klass.lessons.filter(topic="Negotiation"))
    assert len(lessons) == 2
    assert lessons[0].starts_at == datetime(2028, 3, 7, 17, 30, tzinfo=zoneinfo.ZoneInfo("UTC"))


def test_bad_lesson_input_is_refused_with_its_reason_and_nothing_saved(client, school):
    client.force_login(school.instructor)
    response = client.post(
        reverse("learning:lesson_new", args=[school.klass.pk]),
        {"day": "5 March", "time": "25:00", "duration": "0", "topic": "", "weeks": "99"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"day", "time", "duration", "topic", "weeks"}
    assert school.klass.lessons.count() == 3


def test_the_timetable_shows_lessons_in_the_learners_time_zone(client, school):
    school.learner.time_zone = "Asia/Tokyo"
    school.learner.save()
    lesson = services.lesson_schedule(
        actor=school.instructor,
        klass=school.klass,
        starts_at=services.local_to_aware(date(2031, 1, 7), time(10, 0), "Europe/Paris"),
        duration=60,
        topic="Tokyo check",
    )[0]
    client.force_login(school.learner)
    page = client.get(reverse("learning:timetable")).content.decode()
    assert "Tokyo check" in page
    assert "7 Jan 2031, 18:00" in page  # 10:00 in Paris is 18:00 in Tokyo
    assert lesson.starts_at.isoformat() == "2031-01-07T10:00:00+01:00"


def test_the_calendar_feed_has_the_lessons_and_a_new_address_revokes_the_old(client, school):
    client.force_login(school.learner)
    client.post(reverse("learning:feed_create"))
    old_url = client.get(reverse("learning:timetable")).context["feed_url"]
    client.logout()
    response = client.get(old_url)
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    topics = sorted(str(e["summary"]) for e in calendar.walk("VEVENT"))
    assert topics == [
        "Business English: Emails",
        "Business English: Introductions",
        "Business English: Meetings",
    ]
    client.force_login(school.learner)
    client.post(reverse("learning:feed_create"))
    new_url = client.get(reverse("learning:timetable")).context["feed_url"]
    client.logout()
    assert new_url != old_url
    assert client.get(old_url).status_code == 404
    assert client.get(new_url).status_code == 200
    client.force_login(school.learner)
    client.post(reverse("learning:feed_revoke"))
    assert client.get(new_url).status_code == 404


def test_instructors_take_attendance_only_for_their_learners(client, school, make_user):
    lesson = school.lessons[0]
    url = reverse("learning:attendance", args=[school.klass.pk, lesson.pk])
    client.force_login(school.learner)
    assert client.get(url).status_code == 404
    client.force_login(school.instructor)
    response = client.post(
        url, {f"status-{school.learner.pk}": "present", f"status-{school.employee.pk}": "excused"}
    )
    assert response.status_code == 302
    assert dict(lesson.attendance.values_list("user__name", "status")) == {
        "Léa Learner": "present",
        "Sam Employee": "excused",
    }
    response = client.post(url, {f"status-{school.learner.pk}": "asleep"})
    assert "Choose one of the listed values" in response.content.decode()
    assert lesson.attendance.get(user=school.learner).status == "present"
    stranger = make_user()

    with pytest.raises(LearningError):
        services.attendance_record(
            actor=school.instructor, lesson=lesson, marks={stranger.pk: "present"}
        )


def test_the_timetable_costs_the_same_queries_with_more_classes_and_lessons(client, school):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        client.force_login(school.learner)
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("learning:timetable"))
        return len(captured)

    before = queries()
    for i in range(4):
        klass = services.class_create(actor=None, course=school.course, title=f"Extra {i}")
        services.enrol(actor=None, klass=klass, user=school.learner, source=Enrolment.Source.STAFF)
        services.lesson_schedule(
            actor=school.instructor,
            klass=klass,
            starts_at=services.local_to_aware(date(2032, 1, 5), time(9, 0), "UTC"),
            duration=45,
            topic=f"Extra {i}",
            weeks=5,
        )
    assert queries() == before


def test_an_instructor_moves_a_lesson_in_the_class_time_zone(client, school):
    lesson = school.lessons[2]
    client.force_login(school.instructor)
    url = reverse("learning:lesson_edit", args=[school.klass.pk, lesson.pk])
    form = client.get(url).context["form"]
    assert form["topic"].value() == "Meetings"
    response = client.post(
        url,
        {
            "day": "2027-06-15",
            "time": "09:15",
            "duration": "45",
            "topic": "Meetings",
            "homework": "",
        },
    )
    assert response.status_code == 302
    lesson.refresh_from_db()
    assert lesson.starts_at == datetime(2027, 6, 15, 7, 15, tzinfo=zoneinfo.ZoneInfo("UTC"))
    assert lesson.duration == 45
    response = client.post(
        url, {"day": "9999-12-31", "time": "09:15", "duration": "45", "topic": "Far"}
    )
    assert "Choose a date between" in response.content.decode()


def test_class_settings_refuse_what_cannot_be(client, school):
    client.force_login(school.instructor)
    url = reverse("learning:class_edit", args=[school.klass.pk])
    data = {
        "title": "Tuesdays",
        "capacity": "1",
        "time_zone": "Mars/Olympus",
        "schedule": "",
        "starts_on": "2027-02-01",
        "ends_on": "2027-01-01",
    }
    errors = client.post(url, data).context["form"].errors
    assert set(errors) == {"capacity", "time_zone", "ends_on"}
    school.klass.refresh_from_db()
    assert school.klass.capacity == 5
