"""Pages of the request desk (P47, P30): the public request form, the requester's links,
the staff queue, and working one request (shared with the organisations' queues)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from allauth.core.internal import ratelimit
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from lyceum.privacy import desk, desk_mail
from lyceum.privacy.audit import audit_record
from lyceum.privacy.desk_forms import (
    DecideForm,
    EnterRequestForm,
    ExtendForm,
    LinkForm,
    QueueFilterForm,
    RequestForm,
    VerifyForm,
)
from lyceum.privacy.desk_selectors import (
    can_work_desk,
    desk_queue,
    mark_deadlines,
    request_history,
    routed_controllers,
    routed_organisation,
)
from lyceum.privacy.models import DataExport, RightsRequest

# Defaults, which ACCOUNT_RATE_LIMITS may override: a connection sends a few requests an hour,
# and one address receives at most three confirmation emails a day (P13).
RATE_LIMITS = {"privacy_request": "5/h/ip,20/d/ip", "privacy_request_address": "3/d/key"}


def _within_limits(request: HttpRequest, address: str) -> bool:
    """Counts one request against the connection's and the address's limits, unless either
    is used up already (then nothing is counted)."""
    configured = getattr(settings, "ACCOUNT_RATE_LIMITS", None)
    config = {**RATE_LIMITS, **(configured if isinstance(configured, dict) else {})}
    limits = [("privacy_request", None), ("privacy_request_address", address.lower())]
    for dry_run in (True, False):
        for action, key in limits:
            usage = ratelimit.consume(
                request,
                app="lyceum.privacy",
                action=action,
                config=config,
                key=key,
                dry_run=dry_run,
            )
            if usage is None:
                return False
    return True


# --- The public side ---------------------------------------------------------------------------


# What the public form and the staff's form both ask about a request.
REQUEST_FIELDS = (
    "kind",
    "requester_name",
    "requester_email",
    "on_behalf",
    "representative_of",
    "subject_name",
    "subject_email",
    "details",
)


def _request_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name in REQUEST_FIELDS}


@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    """Anyone, with or without an account, or a company's representative (P47)."""
    form = RequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if form.is_bot:
            return redirect("desk:sent")  # told the usual, nothing done
        data = form.cleaned_data
        if not _within_limits(request, data["requester_email"]):
            form.add_error(
                None,
                _(
                    "Too many requests have been sent from here or to this address. Try again "
                    "tomorrow, or write to our data protection officer at %(dpo)s."
                )
                % {"dpo": settings.LYCEUM_SCHOOL["dpo_email"]},
            )
            return render(request, "privacy/desk/form.html", {"form": form}, status=429)
        desk.desk_request_submit(
            **_request_fields(data),
            language=translation.get_language() or settings.LANGUAGE_CODE,
            base_url=request.build_absolute_uri("/"),
        )
        return redirect("desk:sent")
    return render(request, "privacy/desk/form.html", {"form": form})


def request_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/desk/sent.html")


@require_http_methods(["GET", "POST"])
def request_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the first email. A button, not the GET, confirms: mail scanners that
    follow links confirm nothing."""
    rights_request = desk_mail.request_from_confirm_token(token)
    if rights_request is None:
        return render(request, "privacy/desk/link_invalid.html", status=404)
    if request.method == "POST":
        rights_request = desk.desk_email_confirm(
            request=rights_request, base_url=request.build_absolute_uri("/")
        )
        if rights_request.email_confirmed_at is None:  # closed before it was confirmed
            return redirect("desk:confirm", token=token)
        messages.success(
            request,
            _("Thank you: your request is confirmed. We will answer by %(date)s.")
            % {"date": _date(rights_request.due_at)},
        )
        return redirect("desk:confirm", token=token)
    return render(request, "privacy/desk/confirm.html", {"rights_request": rights_request})


@require_http_methods(["GET", "POST"])
def request_file(request: HttpRequest, token: str) -> HttpResponseBase:
    """The copy of the data sent in answer, behind a link that expires (7 days)."""
    rights_request = desk_mail.request_from_file_token(token)
    if rights_request is None:
        return render(request, "privacy/desk/link_invalid.html", status=404)
    export = rights_request.export
    context = {"rights_request": rights_request, "export": export, "expired": False}
    if export is None or not _downloadable(export):
        context["expired"] = True
        return render(request, "privacy/desk/file.html", context, status=410)
    if request.method == "POST":
        desk.desk_file_downloaded(request=rights_request)
        return FileResponse(
            export.archive.open("rb"),
            as_attachment=True,
            filename=f"personal-data-{rights_request.reference}.zip",
            content_type="application/zip",
        )
    return render(request, "privacy/desk/file.html", context)


def _downloadable(export: DataExport) -> bool:
    return (
        export.status == DataExport.Status.READY
        and export.expires_at is not None
        and export.expires_at > timezone.now()
        and bool(export.archive)
    )


def _date(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATE_FORMAT")


# --- Staff -------------------------------------------------------------------------------------


def _desk_staff(request: HttpRequest) -> HttpResponse | None:
    """Staff who work the desk, with a second factor (P11, P15); None when they may go on."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not can_work_desk(request.user):
        raise PermissionDenied
    if not is_mfa_enabled(request.user):
        messages.warning(
            request,
            _(
                "Pages that show other people's data need two-factor authentication. "
                "Turn it on below, then try again."
            ),
        )
        return redirect("mfa_index")
    return None


def queue(request: HttpRequest) -> HttpResponse:
    """Every request, soonest due first; overdue and due-soon ones highlighted (P47)."""
    if stop := _desk_staff(request):
        return stop
    controllers = routed_controllers()
    form = QueueFilterForm(request.GET or None, controllers=controllers)
    requests = list(desk_queue(**form.filters()))
    mark_deadlines(requests)
    names = dict(controllers)
    for rights_request in requests:
        key = f"{rights_request.controller_type_id}:{rights_request.controller_id}"
        rights_request.decider = names.get(key, "")  # type: ignore[attr-defined]
    audit_record(action="privacy.desk.queue_viewed", actor=request.user)
    return render(
        request,
        "privacy/desk/queue.html",
        {"requests": requests, "form": form, "organisation": None},
    )


@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest) -> HttpResponse:
    """Staff enter a request that came by email or letter (P47)."""
    if stop := _desk_staff(request):
        return stop
    form = EnterRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        received_on = data["received_on"]
        received_at = (
            timezone.now()
            if received_on == timezone.localdate()
            else timezone.make_aware(datetime.combine(received_on, time.min))
        )
        rights_request = desk.desk_request_submit(
            **_request_fields(data),
            language=data["language"],
            base_url=request.build_absolute_uri("/"),
            channel=RightsRequest.Channel.STAFF,
            actor=request.user,
            received_at=received_at,
        )
        messages.success(
            request,
            _("The request is entered; the requester was sent a link to confirm their address."),
        )
        return redirect("desk:detail", public_id=rights_request.public_id)
    return render(request, "privacy/desk/enter.html", {"form": form})


@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, public_id: str) -> HttpResponse:
    if stop := _desk_staff(request):
        return stop
    rights_request = get_object_or_404(
        RightsRequest.objects.select_related("user", "handled_by", "export"), public_id=public_id
    )
    base_url = request.build_absolute_uri("/")
    detail_url = reverse("desk:detail", args=[rights_request.public_id])
    if rights_request.routed:  # still the organisation's to decide? (P30)
        rights_request = desk.desk_route_check(
            request=rights_request, actor=request.user, base_url=base_url
        )
    if request.method == "POST" and request.POST.get("action") == "take_over":
        try:
            desk.desk_take_over(request=rights_request, actor=request.user, base_url=base_url)
        except desk.DeskError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("You took the request over: the school answers it now, and the record says why."),
            )
        return redirect(detail_url)
    organisation = routed_organisation(rights_request)
    return work_on(
        request,
        rights_request,
        scope=Scope(
            detail_url=detail_url,
            back_url=reverse("desk:queue"),
            view_action="staff.viewed",
            # The school is the processor of a routed request: its controller decides, unless
            # the DPO takes it over (no administrator to answer, or overdue).
            can_act=organisation is None,
            can_link=organisation is None,
            decider=str(organisation) if organisation is not None else "",
            take_over=desk.take_over_reason(rights_request, request.user),
        ),
    )


# --- Working one request: staff, or an organisation's administrators ---------------------------


@dataclass(frozen=True)
class Scope:
    detail_url: str
    back_url: str
    view_action: str
    can_act: bool
    can_link: bool
    decider: str = ""
    organisation: Any = None
    # Why the DPO may take a routed request over ("" when they may not).
    take_over: str = ""


HISTORY = {
    "privacy.desk.received": gettext_lazy("Received"),
    "privacy.desk.address_confirmed": gettext_lazy("Address confirmed by the requester"),
    "privacy.desk.verified": gettext_lazy("Identity verified"),
    "privacy.desk.started": gettext_lazy("Taken on"),
    "privacy.desk.extended": gettext_lazy("Deadline extended"),
    "privacy.desk.subject_linked": gettext_lazy("Linked to an account"),
    "privacy.desk.carried_out": gettext_lazy("Decided: carry it out"),
    "privacy.desk.done": gettext_lazy("Answered: done"),
    "privacy.desk.refused": gettext_lazy("Answered: refused"),
    "privacy.desk.file_sent": gettext_lazy("Copy of the data sent"),
    "privacy.desk.file_failed": gettext_lazy("Copy of the data failed; carry it out again"),
    "privacy.desk.file_downloaded": gettext_lazy("Copy of the data downloaded"),
    "privacy.desk.reminded": gettext_lazy("Reminder sent"),
    "privacy.desk.returned_to_school": gettext_lazy(
        "Back to the school: the person is no longer the organisation’s member"
    ),
    "privacy.desk.taken_over_no_administrator": gettext_lazy(
        "Taken over by the DPO: the organisation has no administrator"
    ),
    "privacy.desk.taken_over_overdue": gettext_lazy("Taken over by the DPO: overdue"),
    "privacy.desk.not_confirmed": gettext_lazy("Closed: the address was not confirmed in 7 days"),
    "privacy.desk.file_refused": gettext_lazy(
        "Copy of the data not sent: the verification no longer holds"
    ),
    "privacy.erasure.requested": gettext_lazy("Erasure scheduled"),
    "privacy.erasure.withdrawn": gettext_lazy("Erasure withdrawn: the account is kept"),
    "privacy.erasure.done": gettext_lazy("Erased"),
    "staff.viewed": gettext_lazy("Opened by staff"),
    "organisation.request.viewed": gettext_lazy("Opened by the organisation"),
}


def _forms(
    request: HttpRequest, rights_request: RightsRequest, action: str, choices: list[str]
) -> dict[str, Any]:
    def data(name: str) -> Any:
        return request.POST if action == name else None

    return {
        "verify": VerifyForm(
            data("verify"), prefix="verify", methods=desk.verification_methods(rights_request)
        ),
        "extend": ExtendForm(data("extend"), prefix="extend"),
        "decide": DecideForm(
            data("decide"), prefix="decide", request=rights_request, choices=choices
        ),
        "link": LinkForm(data("link"), prefix="link"),
    }


def _act(
    request: HttpRequest, rights_request: RightsRequest, action: str, form: Any, scope: Scope
) -> str | None:
    """Carry out one step; returns the message to show, or None when the form has errors."""
    actor, base_url = request.user, request.build_absolute_uri("/")
    if action == "start":
        desk.desk_start(request=rights_request, actor=actor)
        return _("You are working on this request.")
    if form is None or not form.is_valid():
        return None
    data = form.cleaned_data
    if action == "verify":
        desk.desk_verify(
            request=rights_request, actor=actor, method=data["method"], note=data["note"]
        )
        return _("The request is verified.")
    if action == "extend":
        done = desk.desk_extend(
            request=rights_request, actor=actor, months=data["months"], reason=data["reason"]
        )
        return _("The deadline is now %(date)s; the requester was told why.") % {
            "date": _date(done.due_at)
        }
    if action == "link" and scope.can_link:
        done = desk.desk_subject_link(
            request=rights_request, actor=actor, email=data["email"], base_url=base_url
        )
        if done.controller_id is not None:
            return _("The request is linked to the account, and now waits for its organisation.")
        return _("The request is linked to the account.")
    if action == "decide":
        done = desk.desk_decide(
            request=rights_request,
            actor=actor,
            decision=data["decision"],
            outcome=data["outcome"],
            purposes=data.get("purposes"),
            base_url=base_url,
        )
        return _decided_message(done, data["decision"])
    raise PermissionDenied


def _decided_message(rights_request: RightsRequest, decision: str) -> str:
    rights_request.refresh_from_db()  # the job making a copy may have run already
    if decision == desk.REFUSE:
        return _("The request is refused; the requester was told why.")
    if rights_request.kind in (RightsRequest.Kind.ACCESS, RightsRequest.Kind.PORTABILITY):
        if rights_request.files_sent:
            return _("The copy of the data is ready; the requester was sent a link, valid 7 days.")
        if decision == desk.CARRY_OUT:
            return _("The copy of the data is being prepared; the requester will get a link.")
    if rights_request.status == RightsRequest.Status.DONE:
        return _("The request is answered; the requester was told.")
    if rights_request.scheduled_for is not None:
        return _(
            "The account is out of use from now on and will be erased on %(date)s, unless "
            "the person keeps it; the requester hears when it is done."
        ) % {"date": _date(rights_request.scheduled_for)}
    return _("The request is answered; the requester was told.")


def work_on(request: HttpRequest, rights_request: RightsRequest, *, scope: Scope) -> HttpResponse:
    """The request's page: its facts, the next steps, and its history. Every step goes
    through a desk service, which checks the state and writes the audit log."""
    action = request.POST.get("action", "") if request.method == "POST" else ""
    choices = desk.decisions_for(rights_request)
    forms = _forms(request, rights_request, action, choices)
    if request.method == "POST":
        if not scope.can_act:
            raise PermissionDenied
        try:
            message = _act(request, rights_request, action, forms.get(action), scope)
        except desk.DeskError as error:
            messages.error(request, str(error))
            return redirect(scope.detail_url)
        if message is not None:
            messages.success(request, message)
            return redirect(scope.detail_url)
    else:
        audit_record(
            action=scope.view_action,
            actor=request.user,
            target=rights_request,
            subject=rights_request.user_id,
        )
    now = timezone.now()
    mark_deadlines([rights_request], now)
    verify_problem = (
        desk.verify_problem(rights_request, request.user)
        if rights_request.status == RightsRequest.Status.RECEIVED
        else None
    )
    carry_out_problem = (
        desk.carry_out_problem(rights_request)
        if rights_request.is_open
        and rights_request.status != RightsRequest.Status.RECEIVED
        and rights_request.kind in desk.CARRIED_OUT
        and rights_request.scheduled_for is None
        else None
    )
    history = [
        {"at": line.at, "action": HISTORY.get(line.action, line.action), "actor": line.actor}
        for line in request_history(rights_request)
    ]
    return render(
        request,
        "privacy/desk/detail.html",
        {
            "rights_request": rights_request,
            "forms": forms,
            "choices": choices,
            "scope": scope,
            "history": history,
            "can_verify": rights_request.status == RightsRequest.Status.RECEIVED
            and verify_problem is None,
            "verify_problem": verify_problem,
            "carry_out_problem": carry_out_problem,
            "can_start": rights_request.status == RightsRequest.Status.VERIFIED,
            "can_extend": rights_request.is_open
            and rights_request.extended_at is None
            and rights_request.due_at >= now
            and rights_request.scheduled_for is None,
            "organisation": scope.organisation,
        },
    )
