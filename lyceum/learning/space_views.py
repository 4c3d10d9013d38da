"""A class's space (P28): members, the class profile, announcements, messages and files."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lyceum.accounts.http import AuthenticatedRequest
from lyceum.learning import services
from lyceum.learning.forms import AnnouncementForm, FileForm, MessageForm
from lyceum.learning.models import Enrolment, Material
from lyceum.learning.selectors import active_enrolments, can_teach, class_for_member
from lyceum.learning.services import LearningError
from lyceum.privacy.limits import allowed
from lyceum.privacy.register import Purpose


@login_required
def class_space(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    klass = class_for_member(request.user, pk)
    teaches = can_teach(request.user, klass)
    enrolments = list(active_enrolments(klass))
    instructors = list(klass.instructors.all())
    # Contact data only for members and staff (P28), only where the learner agreed; nothing
    # of someone who restricted the use of their data or is deleting their account (P44).
    people = [e.user_id for e in enrolments] + [i.pk for i in instructors]
    shown = allowed(people, Purpose.SERVICE)
    profile = [
        {
            "enrolment": e,
            "user": e.user,
            "shown": e.user_id in shown,
            "email": e.user.email if e.shares_contact and e.user_id in shown else "",
        }
        for e in enrolments
    ]
    mine = next((e for e in enrolments if e.user_id == request.user.pk), None)
    now = timezone.now()
    lessons = klass.lessons.prefetch_related("materials")
    upcoming = lessons.filter(starts_at__gte=now)[:20]
    past = lessons.filter(starts_at__lt=now).order_by("-starts_at")[:20]
    course_materials = klass.course.materials.filter(lesson=None)
    context = {
        "klass": klass,
        "teaches": teaches,
        "profile": profile,
        "instructors": [i for i in instructors if i.pk in shown],
        "mine": mine,
        "upcoming": upcoming,
        "past": past,
        "announcements": klass.announcements.select_related("author")[:10],
        "class_messages": klass.messages.select_related("author").order_by("-created_at")[:50],
        "files": klass.files.select_related("uploader")[:50],
        "course_materials": course_materials,
        "message_form": MessageForm(),
        "announcement_form": AnnouncementForm(),
        "file_form": FileForm(),
        "max_file_mb": services.MAX_FILE_SIZE // (1024 * 1024),
        "file_types": ", ".join(sorted(services.ALLOWED_FILE_TYPES)),
    }
    response = render(request, "learning/class.html", context)
    # The lessons and materials as rendered (their querysets are evaluated): no new query.
    shown_lessons = [*upcoming, *past]
    materials = [
        *course_materials,
        *(m for lesson in shown_lessons for m in lesson.materials.all()),
    ]
    _allow_players(request, response, materials)
    return response


def _allow_players(
    request: AuthenticatedRequest, response: HttpResponse, materials: list[Material]
) -> None:
    """Video players are let into the page's Content-Security-Policy only for those who
    allowed content from other sites (P06): the browser itself then refuses the rest."""
    if not request.consent.marketing:  # type: ignore[attr-defined]
        return
    origins = sorted({m.video.origin for m in materials if m.video})
    if origins:
        response._csp_update = {"frame-src": origins}  # type: ignore[attr-defined]


@login_required
@require_POST
def message_post(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    klass = class_for_member(request.user, pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        services.class_message_post(actor=request.user, klass=klass, body=form.cleaned_data["body"])
        messages.success(request, _("Your message is posted."))
    else:
        messages.error(request, _("Write a message of at most 5,000 characters."))
    return redirect("learning:class", pk=klass.pk)


@login_required
@require_POST
def message_delete(request: AuthenticatedRequest, pk: int, message_pk: int) -> HttpResponse:
    klass = class_for_member(request.user, pk)
    message = get_object_or_404(klass.messages, pk=message_pk)
    if message.author_id != request.user.pk and not can_teach(request.user, klass):
        messages.error(request, _("Only its author or an instructor can delete a message."))
    else:
        services.class_message_delete(actor=request.user, message=message)
        messages.success(request, _("The message is deleted."))
    return redirect("learning:class", pk=klass.pk)


@login_required
@require_POST
def announcement_post(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    klass = class_for_member(request.user, pk)
    if not can_teach(request.user, klass):
        messages.error(request, _("Only instructors post announcements."))
        return redirect("learning:class", pk=klass.pk)
    form = AnnouncementForm(request.POST)
    if form.is_valid():
        services.announcement_post(actor=request.user, klass=klass, **form.cleaned_data)
        messages.success(request, _("The announcement is posted."))
    else:
        messages.error(request, _("An announcement needs a title and a text."))
    return redirect("learning:class", pk=klass.pk)


@login_required
@require_POST
def file_upload(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    klass = class_for_member(request.user, pk)
    form = FileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to share."))
        return redirect("learning:class", pk=klass.pk)
    try:
        shared = services.class_file_upload(
            actor=request.user, klass=klass, upload=form.cleaned_data["file"]
        )
    except LearningError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(name)s is shared with the class.") % {"name": shared.name})
    return redirect("learning:class", pk=klass.pk)


@login_required
def file_download(request: AuthenticatedRequest, pk: int, file_pk: int) -> FileResponse:
    """Always a download with a fixed type, never shown inline from the site's origin: a
    shared file can carry no script into the site."""
    klass = class_for_member(request.user, pk)
    shared = get_object_or_404(klass.files, pk=file_pk)
    response = FileResponse(
        shared.file.open("rb"),
        as_attachment=True,
        filename=shared.name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def material_file(request: AuthenticatedRequest, pk: int, material_pk: int) -> FileResponse:
    """A course or lesson document, for the class's members only, always as a download."""
    klass = class_for_member(request.user, pk)
    material = get_object_or_404(Material, pk=material_pk, course_id=klass.course_id)
    if material.lesson is not None and material.lesson.klass_id != klass.pk:
        raise Http404
    if not material.file:
        raise Http404
    extension = material.file.name.rsplit(".", 1)[-1] if material.file.name else ""
    response = FileResponse(
        material.file.open("rb"),
        as_attachment=True,
        filename=f"{slugify(material.title) or 'material'}.{extension}",
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def file_delete(request: AuthenticatedRequest, pk: int, file_pk: int) -> HttpResponse:
    klass = class_for_member(request.user, pk)
    shared = get_object_or_404(klass.files, pk=file_pk)
    if shared.uploader_id != request.user.pk and not can_teach(request.user, klass):
        messages.error(request, _("Only whoever shared a file or an instructor can delete it."))
    else:
        services.class_file_delete(actor=request.user, shared=shared)
        messages.success(request, _("The file is deleted."))
    return redirect("learning:class", pk=klass.pk)


@login_required
@require_POST
def contact_sharing(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    klass = class_for_member(request.user, pk)
    enrolment = get_object_or_404(
        klass.enrolments, user=request.user, status=Enrolment.Status.ACTIVE
    )
    shares = request.POST.get("shares_contact") == "on"
    services.enrolment_share_contact(user=request.user, enrolment=enrolment, shares=shares)
    if shares:
        messages.success(request, _("Your class can now see your email address."))
    else:
        messages.success(request, _("Your email address is hidden from your class."))
    return redirect("learning:class", pk=klass.pk)
