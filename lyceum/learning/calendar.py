"""A person's timetable as iCalendar (RFC 5545), for their own calendar application."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from lyceum.accounts.models import User
from lyceum.learning.models import Lesson


def ical(user: User, lessons: Iterable[Lesson], request: HttpRequest) -> bytes:
    school = settings.LYCEUM_SCHOOL["name"]
    cal = Calendar()
    cal.add("prodid", f"-//{school}//Lyceum timetable//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{school}: {user.shown_name}")
    cal.add("x-published-ttl", "PT1H")
    host = request.get_host().split(":")[0]
    for lesson in lessons:
        event = Event()
        event.add("uid", f"lesson-{lesson.pk}@{host}")
        event.add("dtstamp", timezone.now())
        event.add("dtstart", lesson.starts_at)
        event.add("dtend", lesson.ends_at)
        event.add("summary", f"{lesson.klass.course.title}: {lesson.topic}")
        description = [str(lesson.klass)]
        if lesson.homework:
            description.append(lesson.homework)
        event.add("description", "\n\n".join(description))
        event.add(
            "url", request.build_absolute_uri(reverse("learning:class", args=[lesson.klass_id]))
        )
        event.add("status", "CANCELLED" if lesson.is_cancelled else "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()
