from __future__ import annotations

from datetime import timedelta
from typing import Any

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lyceum.privacy.desk import desk_self_service_route
from lyceum.privacy.desk_selectors import Controller, controller_of_person
from lyceum.privacy.erasure import preview
from lyceum.privacy.forms import (
    AccountDeletionForm,
    ConsentForm,
    ProcessingLimitsForm,
    RectificationForm,
)
from lyceum.privacy.limits import active_limits
from lyceum.privacy.models import ConsentRecord, DataExport, ProcessingLimit, RightsRequest
from lyceum.privacy.register import OBJECTABLE, ErasureAction, Purpose
from lyceum.privacy.services import (
    EXPORT_LIFETIME,
    data_export_download,
    data_export_request,
    erasure_cancel,
    erasure_from_keep_token,
    erasure_keep_token,
    erasure_request,
    grace_period,
    processing_limit_set,
    rectification_request,
)


@login_required
@require_http_methods(["GET", "POST"])
def data(request: HttpRequest) -> HttpResponse:
    """Your data: ask for a copy and download it (P41, P46)."""
    owner: Any = request.user  # signed in: login_required
    controller = _holding_controller(owner)
    if request.method == "POST" and controller is not None:
        _route(request, owner, controller, RightsRequest.Kind.ACCESS)
        return redirect("privacy:data")
    if request.method == "POST":
        data_export_request(user=owner, base_url=request.build_absolute_uri("/"))
        messages.success(
            request,
            _(
                "We are preparing your data. It takes a few minutes; "
                "we will email you when it is ready."
            ),
        )
        return redirect("privacy:data")
    exports = DataExport.objects.filter(
        user=owner,
        requested_at__gte=timezone.now() - EXPORT_LIFETIME - timedelta(days=1),
    )
    return render(
        request,
        "privacy/data.html",
        {
            "exports": exports,
            "now": timezone.now(),
            "grace": grace_period().days,
            "controller": controller,
        },
    )


def _holding_controller(owner: Any) -> Controller | None:
    """The organisation that decides this member's own downloads and deletions, if it asked
    to (P30); None when they go straight through."""
    controller = controller_of_person(owner.pk)
    return controller if controller is not None and controller.holds_self_service else None


def _route(
    request: HttpRequest, owner: Any, controller: Controller, kind: str, details: str = ""
) -> None:
    """The member's request goes to their organisation's administrators (P30), and the
    member is told so, and by when they will hear."""
    rights_request = desk_self_service_route(
        user=owner,
        kind=kind,
        controller=controller,
        details=details,
        base_url=request.build_absolute_uri("/"),
    )
    messages.info(
        request,
        _(
            "%(organisation)s is responsible for your data here, and its administrators "
            "decide on this request. We have passed it on: you will hear from us by "
            "%(date)s, by email."
        )
        % {
            "organisation": controller.name,
            "date": date_format(timezone.localtime(rights_request.due_at), "DATE_FORMAT"),
        },
    )


@login_required
def data_download(request: HttpRequest, public_id: str) -> HttpResponseBase:
    owner: Any = request.user  # signed in: login_required
    export = DataExport.objects.filter(
        public_id=public_id, user=owner, status=DataExport.Status.READY
    ).first()
    if export is None:
        raise Http404  # someone else's copy does not exist, as far as this person knows
    if export.expires_at is None or export.expires_at < timezone.now() or not export.archive:
        return render(request, "privacy/data_expired.html", status=410)
    data_export_download(export=export, user=owner)
    return FileResponse(
        export.archive.open("rb"),
        as_attachment=True,
        filename=f"personal-data-{export.ready_at:%Y-%m-%d}.zip",
        content_type="application/zip",
    )


@login_required
@require_http_methods(["GET", "POST"])
def rectification(request: HttpRequest) -> HttpResponse:
    """Correct data the profile page does not edit (P42): a request staff answer."""
    owner: Any = request.user
    form = RectificationForm(request.POST if request.method == "POST" else None)
    controller = controller_of_person(owner.pk)
    if request.method == "POST" and form.is_valid() and controller is not None:
        # A correction is a request, never self-service: the controller always decides it.
        _route(
            request,
            owner,
            controller,
            RightsRequest.Kind.RECTIFICATION,
            details=form.cleaned_data["details"],
        )
        return redirect("privacy:rectification")
    if request.method == "POST" and form.is_valid():
        rectification_request(
            user=owner,
            details=form.cleaned_data["details"],
            base_url=request.build_absolute_uri("/"),
        )
        messages.success(
            request, _("We have received your request. We will answer within 30 days.")
        )
        return redirect("privacy:rectification")
    requests = RightsRequest.objects.filter(user=owner, kind=RightsRequest.Kind.RECTIFICATION)
    return render(request, "privacy/rectification.html", {"form": form, "requests": requests})


@login_required
@require_http_methods(["GET", "POST"])
def limits(request: HttpRequest) -> HttpResponse:
    """Restrict processing (P44) and object to legitimate-interest purposes (P45)."""
    owner: Any = request.user
    restricted, objected = active_limits(owner)
    form = ProcessingLimitsForm(
        request.POST if request.method == "POST" else None,
        initial={"restrict": restricted, "objections": sorted(objected)},
    )
    if request.method == "POST" and form.is_valid():
        changed = processing_limit_set(
            user=owner,
            actor=owner,
            kind=ProcessingLimit.Kind.RESTRICTION,
            on=form.cleaned_data["restrict"],
        )
        chosen = set(form.cleaned_data["objections"])
        for purpose in OBJECTABLE:
            changed |= processing_limit_set(
                user=owner,
                actor=owner,
                kind=ProcessingLimit.Kind.OBJECTION,
                purpose=purpose,
                on=purpose in chosen,
            )
        if changed:
            messages.success(request, _("Your choices are saved and apply from now on."))
        return redirect("privacy:limits")
    history = ProcessingLimit.objects.filter(user=owner)
    return render(
        request,
        "privacy/limits.html",
        {"form": form, "history": history, "purposes": dict(Purpose.choices)},
    )


@login_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def erasure(request: HttpRequest) -> HttpResponse:
    """Delete one's account (P43): what goes, what stays and why, then out of use at once."""
    owner: Any = request.user
    form = AccountDeletionForm(request.POST if request.method == "POST" else None)
    controller = _holding_controller(owner)
    if request.method == "POST" and form.is_valid() and controller is not None:
        # Not signed out, nothing suspended: the organisation decides first.
        _route(request, owner, controller, RightsRequest.Kind.ERASURE)
        return redirect("privacy:data")
    if request.method == "POST" and form.is_valid():
        base_url = request.build_absolute_uri("/")
        # Signed out first: with no grace period the erasure runs now, and nothing about the
        # person (a sign-out event with their address) may be written after it.
        logout(request)
        rights_request = erasure_request(user=owner, actor=owner, base_url=base_url)
        keep_link = ""
        if not owner.email and rights_request.status != RightsRequest.Status.DONE:
            # No address to send the link to (a pseudonymous student): it is shown here.
            token = erasure_keep_token(rights_request)
            keep_link = request.build_absolute_uri(reverse("privacy:erasure_keep", args=[token]))
        return render(
            request,
            "privacy/erasure_scheduled.html",
            {
                "rights_request": rights_request,
                "grace": grace_period().days,
                "keep_link": keep_link,
                "by_email": bool(owner.email),
            },
        )
    items = preview(owner.pk)
    return render(
        request,
        "privacy/erasure.html",
        {
            "form": form,
            "erased": [i for i in items if i.action != ErasureAction.HOLD],
            "kept": [i for i in items if i.action == ErasureAction.HOLD],
            "grace": grace_period().days,
            "controller": controller,
        },
    )


@require_http_methods(["GET", "POST"])
def erasure_keep(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the email: keep the account during the grace period. A button, not the
    GET, does it, so mail scanners that follow links change nothing."""
    rights_request = erasure_from_keep_token(token)
    if rights_request is None:
        return render(request, "privacy/erasure_keep_invalid.html", status=404)
    if request.method == "POST":
        erasure_cancel(request=rights_request, actor=rights_request.user)
        messages.success(request, _("Your account is kept. You can sign in again."))
        return redirect("account_login")
    return render(request, "privacy/erasure_keep.html", {"rights_request": rights_request})


@login_required
@require_http_methods(["GET", "POST"])
def consents(request: HttpRequest) -> HttpResponse:
    """A person's consents: change them, and see every choice recorded (P06)."""
    from lyceum.privacy.consent import consent_record, current, history

    owner: Any = request.user
    in_force = {p: r.given for p, r in current(user_id=owner.pk).items()}
    # Bound on every POST: unticking every box sends no field at all, and is a choice too.
    form = ConsentForm(request.POST if request.method == "POST" else None, current=in_force)
    if request.method == "POST" and form.is_valid():
        added = consent_record(
            choices=form.cleaned_data,
            method=ConsentRecord.Method.FORM,
            user=owner,
            user_agent=request.headers.get("User-Agent", ""),
        )
        messages.success(
            request,
            _("Your choices are saved and apply from now on.") if added else _("Nothing changed."),
        )
        return redirect("privacy:consents")
    return render(
        request,
        "privacy/consents.html",
        {
            "form": form,
            "history": history(user_id=owner.pk),
            "signal": getattr(request, "privacy_signal", False),
        },
    )


def gpc(request: HttpRequest) -> JsonResponse:
    """``/.well-known/gpc.json``: this site honours Global Privacy Control (P07)."""
    return JsonResponse({"gpc": True, "lastUpdate": "2026-12-02"})
