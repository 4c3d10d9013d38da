"""Attendance and usage reports (P27): per learner, per class, per client organisation.

Every figure comes from a few grouped queries, so a report costs the same number of queries
however many people and lessons it covers; long lists are read a page at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lyceum.accounts.models import User
from lyceum.learning.models import Attendance, Class, Enrolment
from lyceum.orgs.models import Membership, Organisation
from lyceum.privacy.limits import allowed
from lyceum.privacy.register import Purpose

PAGE_SIZE = 100
STATUSES = [s.value for s in Attendance.Status]


@dataclass
class Line:
    """One learner's figures (or one class's, in a learner's own report)."""

    key: int
    label: str
    lessons: int = 0  # lessons held so far in their classes
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    minutes: int = 0  # time at lessons attended (present or late)
    hidden: bool = False

    @property
    def attended(self) -> int:
        return self.counts["present"] + self.counts["late"]

    @property
    def rate(self) -> int | None:
        """Lessons attended, in percent of lessons held."""
        return round(100 * self.attended / self.lessons) if self.lessons else None

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


@dataclass
class Bar:
    label: str
    value: float
    shown: str


@dataclass
class Chart:
    title: str
    unit: str
    bars: list[Bar]

    MIN_SLOTS = 6  # so that one or two bars are not drawn as wide as the page

    @property
    def peak(self) -> float:
        if self.unit == "%":
            return 100
        return max((b.value for b in self.bars), default=0) or 1

    @property
    def slots(self) -> int:
        return max(len(self.bars), self.MIN_SLOTS)

    @property
    def padding(self) -> range:
        """Empty label places after the bars, to keep labels under their bars."""
        return range(self.slots - len(self.bars))

    def geometry(self) -> list[dict[str, Any]]:
        """Bars laid out in a 100 × 40 viewBox, for an SVG drawn by the template."""
        width = 100 / self.slots
        out = []
        for i, bar in enumerate(self.bars):
            height = 36 * bar.value / self.peak
            out.append(
                {
                    "bar": bar,
                    "x": round(i * width + width * 0.1, 2),
                    "width": round(width * 0.8, 2),
                    "y": round(38 - height, 2),
                    "height": round(height, 2),
                }
            )
        return out


@dataclass
class Report:
    title: str
    lines: list[Line]
    totals: Line
    over_time: Chart
    per_learner: Chart | None = None
    page: Page[Any] | None = None
    generated_at: datetime = field(default_factory=timezone.now)
    # When the totals and the chart were computed, if they come from the cache.
    totals_as_of: datetime | None = None


def counted(now: datetime) -> Q:
    """The attendance records that count: at lessons held (started, not cancelled) while
    the learner's own enrolment in that class lasted. Use it in the same ``filter()`` call
    as any other condition on ``lesson__klass__enrolments``, so both are about one stay."""
    return Q(
        lesson__is_cancelled=False,
        lesson__starts_at__lte=now,
        lesson__klass__enrolments__user_id=F("user_id"),
        lesson__starts_at__gte=F("lesson__klass__enrolments__joined_at"),
    ) & (
        Q(lesson__klass__enrolments__withdrawn_at__isnull=True)
        | Q(lesson__starts_at__lte=F("lesson__klass__enrolments__withdrawn_at"))
    )


def with_lessons_held(enrolments: QuerySet[Enrolment], now: datetime) -> QuerySet[Any]:
    """Each enrolment with ``held``: the lessons of its class held (started, not cancelled)
    while it lasted, from ``joined_at`` to ``withdrawn_at``."""
    in_window = Q(
        klass__lessons__is_cancelled=False,
        klass__lessons__starts_at__lte=now,
        klass__lessons__starts_at__gte=F("joined_at"),
    ) & (Q(withdrawn_at__isnull=True) | Q(klass__lessons__starts_at__lte=F("withdrawn_at")))
    return enrolments.annotate(held=Count("klass__lessons", filter=in_window))


def _fold(attendance: QuerySet[Attendance], label: str) -> tuple[Line, Chart]:
    """Totals by status, and attendance over time: lessons attended in percent of those
    recorded, month by month (the last twelve that have any), from one grouped query.

    Months are counted from one row per lesson rather than computed in SQL: SQLite has no
    date truncation of its own, and months are those of the viewer's time zone."""
    totals = Line(key=0, label=label)
    counts = {status: Count("pk", filter=Q(status=status)) for status in STATUSES}
    per_lesson = (
        attendance.values("lesson_id", "lesson__starts_at", "lesson__duration")
        .annotate(**counts)
        .order_by()
        .values_list("lesson__starts_at", "lesson__duration", *STATUSES)
    )
    months: dict[str, list[int]] = {}
    month_of: dict[datetime, str] = {}  # lessons often share a start: convert it once
    for starts_at, duration, *by_status in per_lesson:
        for status, n in zip(STATUSES, by_status, strict=True):
            totals.counts[status] += n
        came = by_status[0] + by_status[1]  # present, late
        totals.minutes += came * duration
        month = month_of.get(starts_at)
        if month is None:
            month = month_of[starts_at] = timezone.localtime(starts_at).strftime("%Y-%m")
        recorded_came = months.setdefault(month, [0, 0])
        recorded_came[0] += sum(by_status)
        recorded_came[1] += came
    bars = []
    for month in sorted(months)[-12:]:
        recorded, came = months[month]
        rate = round(100 * came / recorded) if recorded else 0
        bars.append(Bar(label=month, value=rate, shown=f"{rate} %"))
    return totals, Chart(title=_("Attendance over time"), unit="%", bars=bars)


def _hours_chart(lines: list[Line]) -> Chart:
    shown = [line for line in lines if not line.hidden][:30]
    return Chart(
        title=_("Hours per learner"),
        unit="h",
        bars=[Bar(label=line.label, value=line.hours, shown=f"{line.hours} h") for line in shown],
    )


def _add_attendance(lines: dict[int, Line], rows: QuerySet[Any], key: str) -> None:
    for row in rows:
        line = lines.get(row[key])
        if line is not None:
            line.counts[row["status"]] = row["n"]
            if row["status"] in ("present", "late"):
                line.minutes += row["minutes"] or 0


def _total(lines: list[Line], label: str) -> Line:
    total = Line(key=0, label=label)
    for line in lines:
        total.lessons += line.lessons
        total.minutes += line.minutes
        for status in STATUSES:
            total.counts[status] += line.counts[status]
    return total


def learner_report(user: User, now: datetime | None = None) -> Report:
    """A learner's own report: one line per class they are or were in."""
    now = now or timezone.now()
    enrolments = list(
        Enrolment.objects.filter(user=user).select_related("klass__course").order_by("created_at")
    )
    lines = {e.klass_id: Line(key=e.klass_id, label=str(e.klass)) for e in enrolments}
    held = with_lessons_held(Enrolment.objects.filter(user=user), now)
    for klass_id, n in held.values_list("klass_id", "held"):
        lines[klass_id].lessons += n  # over every stay in the class
    attendance = Attendance.objects.filter(counted(now), user=user, lesson__klass_id__in=lines)
    _add_attendance(
        lines,
        attendance.values("status", klass_id=F("lesson__klass_id")).annotate(
            n=Count("pk"), minutes=Sum("lesson__duration")
        ),
        "klass_id",
    )
    ordered = list(lines.values())
    _totals, over_time = _fold(attendance, "")
    return Report(
        title=_("Attendance report of %(name)s") % {"name": user.shown_name},
        lines=ordered,
        totals=_total(ordered, _("All classes")),
        over_time=over_time,
    )


def class_report(klass: Class, now: datetime | None = None, page: int = 1) -> Report:
    """A class's report for its instructors: one line per learner, a page at a time."""
    now = now or timezone.now()
    stays = Enrolment.objects.filter(klass=klass)
    people = (
        User.objects.filter(pk__in=stays.values("user_id"))
        .order_by("name", "pk")
        .only("pk", "name", "display_name", "email", "is_active")
    )
    paginator = Paginator(people, PAGE_SIZE)
    current = paginator.get_page(page)
    lines = _learner_lines(list(current.object_list))
    present = set(
        stays.filter(user_id__in=lines, status=Enrolment.Status.ACTIVE).values_list(
            "user_id", flat=True
        )
    )
    for user_id, line in lines.items():
        if user_id not in present:
            line.label += " " + _("(left the class)")
    held = with_lessons_held(stays, now)
    for user_id, n in held.filter(user_id__in=lines).values_list("user_id", "held"):
        lines[user_id].lessons += n  # over every stay in the class
    attendance = Attendance.objects.filter(counted(now), lesson__klass=klass)
    _add_attendance(
        lines,
        attendance.filter(user_id__in=lines)
        .values("user_id", "status")
        .annotate(n=Count("pk"), minutes=Sum("lesson__duration")),
        "user_id",
    )
    ordered = list(lines.values())
    everyone, over_time = _fold(attendance, _("Whole class"))
    everyone.lessons = held.aggregate(n=Sum("held"))["n"] or 0
    return Report(
        title=_("Attendance report of %(class)s") % {"class": klass},
        lines=ordered,
        totals=everyone,
        over_time=over_time,
        per_learner=_hours_chart(ordered),
        page=current,
    )


def _learner_lines(users: list[User]) -> dict[int, Line]:
    """Lines for these people; a restricted or departing person's name is not shown (P44)."""
    shown = allowed([u.pk for u in users], Purpose.SERVICE)
    return {
        u.pk: Line(
            key=u.pk,
            label=u.shown_name if u.pk in shown else _("(restricted)"),
            hidden=u.pk not in shown,
        )
        for u in users
    }


def client_scope(organisation: Organisation) -> QuerySet[Enrolment]:
    """The enrolments an organisation may see: its own members' places in its contracts or in
    classes run for it. A member's private classes are none of the employer's business."""
    members = Membership.objects.accepted().filter(
        organisation=organisation, user=OuterRef("user_id")
    )
    # Everyone in a class run for the organisation is its learner (an institution's
    # pseudonymous pupils are no members); elsewhere, its members' places it pays for.
    return Enrolment.objects.filter(
        Q(Exists(members), contract__organisation=organisation)
        | Q(klass__organisation=organisation)
    )


def client_attendance(organisation: Organisation, now: datetime) -> QuerySet[Attendance]:
    """Attendance the organisation may see: at lessons held during a stay of the learner
    that is in the client's scope (``client_scope``), found by joins."""
    member = Membership.objects.accepted().filter(
        organisation=organisation, user=OuterRef("user_id")
    )
    own_place = Q(
        Exists(member), lesson__klass__enrolments__contract__organisation=organisation
    ) | Q(lesson__klass__organisation=organisation)
    return Attendance.objects.filter(counted(now) & own_place)


def client_report(organisation: Organisation, now: datetime | None = None, page: int = 1) -> Report:
    """A client's usage report for its administrators: only their own members (P27)."""
    live = now is None  # a report for another moment is never cached
    now = now or timezone.now()
    scope = client_scope(organisation)
    people = (
        User.objects.filter(pk__in=scope.values("user_id"))
        .order_by("name", "pk")
        .only("pk", "name", "display_name", "email", "is_active")
    )
    paginator = Paginator(people, PAGE_SIZE)
    current = paginator.get_page(page)
    lines = _learner_lines(list(current.object_list))
    held = with_lessons_held(scope, now)
    for user_id, n in held.filter(user_id__in=lines).values_list("user_id", "held"):
        lines[user_id].lessons += n
    attendance = client_attendance(organisation, now)
    _add_attendance(
        lines,
        attendance.filter(user_id__in=lines)
        .values("user_id", "status")
        .annotate(n=Count("pk"), minutes=Sum("lesson__duration")),
        "user_id",
    )
    ordered = list(lines.values())
    everyone, over_time, as_of = _client_overview(organisation, held, attendance, cached=live)
    return Report(
        title=_("Usage report of %(organisation)s") % {"organisation": organisation.name},
        lines=ordered,
        totals=everyone,
        over_time=over_time,
        per_learner=_hours_chart(ordered),
        page=current,
        totals_as_of=as_of,
    )


OVERVIEW_SECONDS = 60


def _client_overview(
    organisation: Organisation,
    held: QuerySet[Any],
    attendance: QuerySet[Attendance],
    *,
    cached: bool,
) -> tuple[Line, Chart, datetime | None]:
    """The whole organisation's totals and chart. They read every record of the client, so
    they are kept a minute in the shared cache (the page's lines are always live); the page
    says when they were computed."""
    key = ":".join(
        (
            "learning:client-overview",
            str(organisation.pk),
            translation.get_language() or "",
            timezone.get_current_timezone_name(),
        )
    )
    if cached and (found := cache.get(key)) is not None:
        return found  # type: ignore[no-any-return]
    everyone, over_time = _fold(attendance, _("All members"))
    everyone.lessons = held.aggregate(n=Sum("held"))["n"] or 0
    computed = (everyone, over_time, timezone.now())
    if cached:
        cache.set(key, computed, OVERVIEW_SECONDS)
    return everyone, over_time, None
