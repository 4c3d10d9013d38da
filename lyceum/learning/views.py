"""Courses, classes, lessons, attendance, the timetable and joining a class."""

from __future__ import annotations

from datetime import timedelta

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from lyceum.accounts.http import AuthenticatedRequest
from lyceum.learning import calendar, services
from lyceum.learning.forms import (
    ClassForm,
    InvitationForm,
    JoinForm,
    LessonEditForm,
    LessonForm,
    MaterialForm,
    PseudonymSignInForm,
)
from lyceum.learning.models import Attendance, CalendarFeed, Class, Course, Material
from lyceum.learning.selectors import (
    active_enrolments,
    class_for_instructor,
    class_ids_of,
    classes_of,
    is_member,
    teaches,
)
from lyceum.learning.selectors import (
    timetable as timetable_of,
)
from lyceum.learning.services import LearningError

PSEUDONYM_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


# Catalogue --------------------------------------------------------------------------------


def catalogue(request: HttpRequest) -> HttpResponse:
    courses = Course.objects.filter(is_published=True).prefetch_related("classes")
    return render(request, "learning/catalogue.html", {"courses": courses})


def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug, is_published=True)
    classes = course.classes.filter(organisation=None).order_by("starts_on", "title")
    mine: set[int] = set()
    if request.user.is_authenticated:
        mine = set(classes_of(request.user).values_list("pk", flat=True))  # type: ignore[arg-type]
    return render(
        request, "learning/course.html", {"course": course, "classes": classes, "mine": mine}
    )


@login_required
@require_POST
def class_enrol(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    klass = get_object_or_404(Class.objects.select_related("course"), pk=pk)
    try:
        services.self_enrol(user=request.user, klass=klass)
    except LearningError as error:
        messages.error(request, str(error))
        return redirect("learning:course", slug=klass.course.slug)
    messages.success(request, _("You are enrolled in %(class)s.") % {"class": klass})
    return redirect("learning:class", pk=klass.pk)


# Timetable and calendar feed --------------------------------------------------------------


@login_required
def timetable(request: AuthenticatedRequest) -> HttpResponse:
    ids = class_ids_of(request.user)
    lessons = list(timetable_of(request.user, ids=ids)[:200])
    feed = CalendarFeed.objects.filter(user=request.user).first()
    feed_url = (
        request.build_absolute_uri(reverse("learning:feed", args=[feed.token])) if feed else ""
    )
    return render(
        request,
        "learning/timetable.html",
        {"lessons": lessons, "classes": classes_of(request.user, ids), "feed_url": feed_url},
    )


@login_required
@require_POST
def feed_create(request: AuthenticatedRequest) -> HttpResponse:
    if CalendarFeed.objects.filter(user=request.user).exists():
        services.calendar_feed_reset(user=request.user)
        messages.success(
            request, _("Your calendar has a new address; the old one no longer works.")
        )
    else:
        services.calendar_feed_of(request.user)
        messages.success(
            request, _("Your calendar feed is ready. Add its address to your calendar.")
        )
    return redirect("learning:timetable")


@login_required
@require_POST
def feed_revoke(request: AuthenticatedRequest) -> HttpResponse:
    CalendarFeed.objects.filter(user=request.user).delete()
    messages.success(request, _("Your calendar feed is turned off."))
    return redirect("learning:timetable")


def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The iCalendar feed: its secret address is the only key, as calendar apps expect."""
    found = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if found is None or not found.user.is_active:
        raise Http404
    since = timezone.now() - timedelta(days=90)
    body = calendar.ical(found.user, timetable_of(found.user, since=since), request)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="timetable.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


# Teaching ---------------------------------------------------------------------------------


@login_required
def class_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    klass = class_for_instructor(request.user, pk)
    form = ClassForm(request.POST or None, instance=klass)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        form.instance.refresh_from_db()  # the service compares with what is stored
        services.class_update(actor=request.user, klass=klass, data=data)
        messages.success(request, _("The class is saved."))
        return redirect("learning:class", pk=klass.pk)
    return render(request, "learning/class_edit.html", {"klass": klass, "form": form})


@login_required
def lesson_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    klass = class_for_instructor(request.user, pk)
    form = LessonForm(request.POST or None, klass=klass)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        starts_at = services.local_to_aware(data["day"], data["time"], klass.time_zone)
        lessons = services.lesson_schedule(
            actor=request.user,
            klass=klass,
            starts_at=starts_at,
            duration=data["duration"],
            topic=data["topic"],
            homework=data["homework"],
            weeks=data["weeks"],
        )
        messages.success(
            request,
            ngettext("%(count)d lesson scheduled.", "%(count)d lessons scheduled.", len(lessons))
            % {"count": len(lessons)},
        )
        return redirect("learning:class", pk=klass.pk)
    return render(request, "learning/lesson_new.html", {"klass": klass, "form": form})


@login_required
def lesson_edit(request: AuthenticatedRequest, pk: int, lesson_pk: int) -> HttpResponse:
    klass = class_for_instructor(request.user, pk)
    lesson = get_object_or_404(klass.lessons.select_related("klass"), pk=lesson_pk)
    form = LessonEditForm(request.POST or None, lesson=lesson)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["starts_at"] = services.local_to_aware(
            data.pop("day"), data.pop("time"), klass.time_zone
        )
        services.lesson_update(actor=request.user, lesson=lesson, data=data)
        messages.success(request, _("The lesson is saved."))
        return redirect("learning:class", pk=klass.pk)
    return render(
        request,
        "learning/lesson_edit.html",
        {
            "klass": klass,
            "lesson": lesson,
            "form": form,
            "material_form": MaterialForm(),
            "materials": lesson.materials.all(),
        },
    )


@login_required
@require_POST
def material_add(request: AuthenticatedRequest, pk: int, lesson_pk: int) -> HttpResponse:
    klass = class_for_instructor(request.user, pk)
    lesson = get_object_or_404(klass.lessons, pk=lesson_pk)
    form = MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.material_add(
                actor=request.user,
                course=klass.course,
                lesson=lesson,
                title=form.cleaned_data["title"],
                url=form.cleaned_data["url"],
                upload=form.cleaned_data["file"],
            )
        except LearningError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The material is added to the lesson."))
    else:
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, str(problem))
    return redirect("learning:lesson_edit", pk=klass.pk, lesson_pk=lesson.pk)


@login_required
@require_POST
def material_delete(
    request: AuthenticatedRequest, pk: int, lesson_pk: int, material_pk: int
) -> HttpResponse:
    klass = class_for_instructor(request.user, pk)
    material = get_object_or_404(Material, pk=material_pk, lesson_id=lesson_pk, lesson__klass=klass)
    services.material_delete(actor=request.user, material=material)
    messages.success(request, _("The material is removed."))
    return redirect("learning:lesson_edit", pk=klass.pk, lesson_pk=lesson_pk)


@login_required
def attendance(request: AuthenticatedRequest, pk: int, lesson_pk: int) -> HttpResponse:
    klass = class_for_instructor(request.user, pk)
    lesson = get_object_or_404(klass.lessons, pk=lesson_pk)
    # Everyone in the class at the lesson (those who left since too), and everyone in it now.
    people = {e.user_id: e for e in active_enrolments(klass)}
    for stay in services.stays_at(lesson).select_related("user"):
        people.setdefault(stay.user_id, stay)
    enrolments = sorted(people.values(), key=lambda e: (e.user.name, e.user_id))
    recorded = {a.user_id: a.status for a in lesson.attendance.all()}
    error = ""
    if request.method == "POST":
        valid = set(Attendance.Status.values)
        marks = {}
        for enrolment in enrolments:
            value = request.POST.get(f"status-{enrolment.user_id}", "")
            if value in valid:
                marks[enrolment.user_id] = value
            elif value:
                error = _("Choose one of the listed values for everyone.")
        if not error:
            try:
                changed = services.attendance_record(actor=request.user, lesson=lesson, marks=marks)
            except LearningError as problem:
                error = str(problem)
            else:
                messages.success(
                    request,
                    ngettext(
                        "Attendance saved: %(count)d change.",
                        "Attendance saved: %(count)d changes.",
                        changed,
                    )
                    % {"count": changed},
                )
                return redirect("learning:class", pk=klass.pk)
        for enrolment in enrolments:  # show what was chosen, not what was stored
            if value := request.POST.get(f"status-{enrolment.user_id}", ""):
                recorded[enrolment.user_id] = str(value)
    rows = [(e, recorded.get(e.user_id, "")) for e in enrolments]
    return render(
        request,
        "learning/attendance.html",
        {
            "klass": klass,
            "lesson": lesson,
            "rows": rows,
            "statuses": Attendance.Status.choices,
            "error": error,
        },
    )


@login_required
def invitations(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    klass = class_for_instructor(request.user, pk)
    form = InvitationForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and form.cleaned_data["email"]
        and not ratelimit.consume(request, action="lyceum_invite", user=request.user)
    ):
        form.add_error(None, _("Too many invitations in an hour. Try again later."))
    if request.method == "POST" and form.is_valid():
        invitation = services.class_invitation_create(
            actor=request.user,
            klass=klass,
            email=form.cleaned_data["email"],
            base_url=_base_url(request),
        )
        if invitation.email:
            messages.success(
                request, _("An invitation was sent to %(email)s.") % {"email": invitation.email}
            )
        else:
            messages.success(request, _("A new invitation link is ready to share."))
        return redirect("learning:invitations", pk=klass.pk)
    open_ones = klass.invitations.filter(revoked_at=None, expires_at__gt=timezone.now()).order_by(
        "-created_at"
    )
    links = [
        (i, request.build_absolute_uri(reverse("learning:join", args=[i.token]))) for i in open_ones
    ]
    pseudonymous = [e for e in active_enrolments(klass) if e.user.is_pseudonymous]
    return render(
        request,
        "learning/invitations.html",
        {"klass": klass, "form": form, "links": links, "pseudonymous": pseudonymous},
    )


@login_required
@require_POST
def invitation_revoke(request: AuthenticatedRequest, pk: int, invitation_pk: int) -> HttpResponse:
    klass = class_for_instructor(request.user, pk)
    invitation = get_object_or_404(klass.invitations, pk=invitation_pk)
    services.class_invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(request, _("The invitation no longer works."))
    return redirect("learning:invitations", pk=klass.pk)


@login_required
@require_POST
def class_code_renew(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    klass = class_for_instructor(request.user, pk)
    services.class_code_renew(actor=request.user, klass=klass)
    messages.success(request, _("The class has a new code; the old one no longer works."))
    return redirect("learning:invitations", pk=klass.pk)


@login_required
@require_POST
def pseudonym_code_reset(request: AuthenticatedRequest, pk: int, user_pk: int) -> HttpResponse:
    from lyceum.accounts.services import pseudonym_code_reset as reset

    klass = class_for_instructor(request.user, pk)
    if not teaches(request.user, klass):
        # A new code signs in as the student: only their own teachers may hand one out.
        raise Http404
    enrolment = get_object_or_404(
        active_enrolments(klass), user_id=user_pk, user__is_pseudonymous=True
    )
    code = reset(actor=request.user, user=enrolment.user)
    messages.success(
        request,
        _("New personal code for %(name)s: %(code)s. Give it to them; it is not shown again.")
        % {"name": enrolment.user.shown_name, "code": code},
    )
    return redirect("learning:invitations", pk=klass.pk)


@login_required
@require_POST
def enrolment_remove(request: AuthenticatedRequest, pk: int, user_pk: int) -> HttpResponse:
    klass = class_for_instructor(request.user, pk)
    enrolment = get_object_or_404(active_enrolments(klass), user_id=user_pk)
    services.enrolment_withdraw(actor=request.user, enrolment=enrolment)
    messages.success(request, _("%(name)s left the class.") % {"name": enrolment.user.shown_name})
    return redirect("learning:class", pk=klass.pk)


# Joining ----------------------------------------------------------------------------------


def join_invitation(request: HttpRequest, token: str) -> HttpResponse:
    from lyceum.accounts.children import waiting_child

    invitation = services.invitation_usable(token)
    if invitation is None:
        return render(request, "learning/join_invalid.html", status=404)
    klass = invitation.klass
    if request.user.is_authenticated and is_member(request.user, klass):  # type: ignore[arg-type]
        return redirect("learning:class", pk=klass.pk)
    # A child waiting for a parent's consent may join: the school's consent covers them (P31).
    child = None if request.user.is_authenticated else waiting_child(request)
    if request.method == "POST" and (request.user.is_authenticated or child is not None):
        try:
            services.class_invitation_accept(invitation=invitation, user=child or request.user)  # type: ignore[arg-type]
        except LearningError as error:
            messages.error(request, str(error))
        else:
            if child is not None:
                messages.success(
                    request,
                    _(
                        "You joined %(class)s. Your school's consent covers your account: "
                        "sign in to start."
                    )
                    % {"class": klass},
                )
                return redirect("account_login")
            messages.success(request, _("Welcome to %(class)s.") % {"class": klass})
            return redirect("learning:class", pk=klass.pk)
    return render(
        request,
        "learning/join_invitation.html",
        {"invitation": invitation, "klass": klass, "waiting_child": child},
    )


def _limited(request: HttpRequest, action: str, key: str | None = None) -> bool:
    """Has this address (and key) used up its attempts? Checks without counting."""
    return not ratelimit.consume(request, action=action, key=key, dry_run=True)


def join(request: HttpRequest) -> HttpResponse:
    """Join a class with its code under a pseudonym, or sign in with one's personal code.

    Only failures count against the limits, so a whole class signing in from one school
    network at the start of a lesson is never refused."""
    # Prefixed: both forms have a "code", and each label must point at its own field.
    join_form = JoinForm(
        request.POST if request.POST.get("action") == "join" else None, prefix="join"
    )
    sign_in_form = PseudonymSignInForm(
        request.POST if request.POST.get("action") == "sign-in" else None, prefix="signin"
    )
    if request.method == "POST" and _limited(request, "pseudonym_failed"):
        return render(request, "429.html", status=429)
    signed_in_already = request.user.is_authenticated
    if join_form.is_bound and join_form.is_valid():
        klass = Class.objects.filter(code=join_form.cleaned_data["code"]).first()
        if signed_in_already:
            join_form.add_error(
                None,
                _("You are signed in already. Sign out first to join under a pseudonym."),
            )
        elif klass is None or not klass.allows_pseudonyms:
            ratelimit.consume(request, action="pseudonym_failed")
            join_form.add_error("code", _("No class takes students with this code."))
        elif not ratelimit.consume(request, action="pseudonym_join"):
            return render(request, "429.html", status=429)
        else:
            try:
                user, code, _enrolment = services.pseudonym_join(
                    klass=klass, pseudonym=join_form.cleaned_data["pseudonym"]
                )
            except LearningError as error:
                join_form.add_error(None, str(error))
            else:
                login(request, user, backend=PSEUDONYM_BACKEND)
                return render(
                    request, "learning/joined.html", {"klass": klass, "code": code, "joined": user}
                )
    if sign_in_form.is_bound and sign_in_form.is_valid() and signed_in_already:
        sign_in_form.add_error(None, _("You are signed in already. Sign out first."))
    if sign_in_form.is_bound and sign_in_form.is_valid():
        from lyceum.accounts.services import pseudonym_authenticate

        code = sign_in_form.cleaned_data["code"]
        handle = code.strip().upper()[:4]
        signed_in = None
        if not _limited(request, "pseudonym_code_failed", key=handle):
            signed_in = pseudonym_authenticate(code)
        if signed_in is None:
            ratelimit.consume(request, action="pseudonym_failed")
            ratelimit.consume(request, action="pseudonym_code_failed", key=handle)
            sign_in_form.add_error(
                "code", _("This code is not right. Ask your teacher for a new one.")
            )
        else:
            login(request, signed_in, backend=PSEUDONYM_BACKEND)
            return redirect("learning:timetable")
    return render(
        request,
        "learning/join.html",
        {
            "join_form": join_form,
            "sign_in_form": sign_in_form,
            "signed_in_already": signed_in_already,
        },
    )
