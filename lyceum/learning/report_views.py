"""Reports (P27) on screen, as CSV and as PDF; a client's contracts and their seats."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lyceum.accounts.http import AuthenticatedRequest
from lyceum.accounts.middleware import second_factor_missing
from lyceum.core.spreadsheet import cell
from lyceum.learning import reports, services
from lyceum.learning.forms import SeatsForm
from lyceum.learning.models import Class, Enrolment
from lyceum.learning.reports import Report
from lyceum.learning.selectors import class_for_instructor
from lyceum.learning.services import LearningError
from lyceum.orgs.models import Contract, Membership
from lyceum.orgs.selectors import organisation_administered_or_404
from lyceum.privacy.audit import audit_record
from lyceum.privacy.limits import allowed
from lyceum.privacy.register import Purpose

FORMATS = ("html", "csv", "pdf")


def _page(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv(
    filename: str, first: Report, more: Callable[[int], Report], learner_column: str
) -> StreamingHttpResponse:
    """Every line of the report, read page by page so memory stays flat."""

    def rows() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield "\ufeff"  # so spreadsheet programs read UTF-8
        yield writer.writerow(
            [
                learner_column,
                _("Lessons held"),
                _("Present"),
                _("Late"),
                _("Absent"),
                _("Excused"),
                _("Attendance (%)"),
                _("Hours attended"),
            ]
        )
        report = first
        while True:
            for line in report.lines:
                yield writer.writerow(
                    [
                        cell(line.label),
                        line.lessons,
                        line.counts["present"],
                        line.counts["late"],
                        line.counts["absent"],
                        line.counts["excused"],
                        "" if line.rate is None else line.rate,
                        line.hours,
                    ]
                )
            if report.page is None or not report.page.has_next():
                return
            report = more(report.page.next_page_number())

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _pdf(
    request: HttpRequest, filename: str, report: Report, more: Callable[[int], Report]
) -> HttpResponse:
    from weasyprint import HTML

    lines = list(report.lines)
    page = report.page
    while page is not None and page.has_next():
        following = more(page.next_page_number())
        lines.extend(following.lines)
        page = following.page
    html = render_to_string(
        "learning/report_pdf.html", {"report": report, "lines": lines}, request=request
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
    return response


def _respond(
    request: HttpRequest,
    fmt: str,
    report: Report,
    more: Callable[[int], Report],
    *,
    filename: str,
    context: dict[str, Any],
    learner_column: str,
) -> HttpResponse:
    if fmt == "csv":
        return _csv(filename, report, more, learner_column)  # type: ignore[return-value]
    if fmt == "pdf":
        return _pdf(request, filename, report, more)
    name, kwargs = context.pop("base"), context.pop("kwargs")
    links = {
        f"{kind}_url": reverse(name, kwargs={**kwargs, "fmt": kind}) for kind in ("csv", "pdf")
    }
    return render(request, "learning/report.html", {"report": report, **context, **links})


@login_required
def my_report(request: AuthenticatedRequest, fmt: str = "html") -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    report = reports.learner_report(request.user)
    stamp = timezone.localdate().isoformat()
    return _respond(
        request,
        fmt,
        report,
        lambda page: report,
        filename=f"attendance-{stamp}",
        context={"base": "learning:my_report", "kwargs": {}},
        learner_column=_("Class"),
    )


@login_required
def class_report(request: AuthenticatedRequest, pk: int, fmt: str = "html") -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    klass = class_for_instructor(request.user, pk)
    report = reports.class_report(klass, page=_page(request))
    audit_record(action="report.class.viewed", actor=request.user, target=klass)
    return _respond(
        request,
        fmt,
        report,
        lambda page: reports.class_report(klass, page=page),
        filename=f"class-{slugify(klass.title)}-{timezone.localdate().isoformat()}",
        context={"base": "learning:class_report", "kwargs": {"pk": klass.pk}, "klass": klass},
        learner_column=_("Learner"),
    )


@login_required
def client_report(request: AuthenticatedRequest, slug: str, fmt: str = "html") -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    organisation = organisation_administered_or_404(user=request.user, slug=slug)
    if redirect_to_setup := second_factor_missing(request):
        return redirect_to_setup
    report = reports.client_report(organisation, page=_page(request))
    audit_record(action="report.client.viewed", actor=request.user, target=organisation)
    return _respond(
        request,
        fmt,
        report,
        lambda page: reports.client_report(organisation, page=page),
        filename=f"usage-{organisation.slug}-{timezone.localdate().isoformat()}",
        context={
            "base": "learning:client_report",
            "kwargs": {"slug": organisation.slug},
            "organisation": organisation,
        },
        learner_column=_("Member"),
    )


@login_required
def contracts(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    organisation = organisation_administered_or_404(user=request.user, slug=slug)
    if redirect_to_setup := second_factor_missing(request):
        return redirect_to_setup
    rows = []
    for contract in organisation.contracts.prefetch_related("courses"):
        used = contract.enrolments.filter(status=Enrolment.Status.ACTIVE).count()
        rows.append({"contract": contract, "used": used, "free": max(contract.seats - used, 0)})
    return render(request, "learning/contracts.html", {"organisation": organisation, "rows": rows})


@login_required
def seats(request: AuthenticatedRequest, slug: str, contract_pk: int) -> HttpResponse:
    organisation = organisation_administered_or_404(user=request.user, slug=slug)
    if redirect_to_setup := second_factor_missing(request):
        return redirect_to_setup
    contract = get_object_or_404(Contract, pk=contract_pk, organisation=organisation)
    classes = (
        Class.objects.filter(
            Q(organisation=None) | Q(organisation=organisation),
            course__in=contract.courses.all(),
        )
        .exclude(ends_on__lt=timezone.localdate())
        .select_related("course")
    )
    members = Membership.objects.accepted().filter(organisation=organisation)
    members = members.select_related("user")
    members = members.filter(user__is_active=True).order_by("user__name")
    form = SeatsForm(request.POST or None)
    form.fields["klass"].queryset = classes  # type: ignore[attr-defined]
    # A restricted member's data is used for nothing but storage (P44): no new seat for them.
    usable = allowed([m.user_id for m in members], Purpose.SERVICE)
    form.fields["members"].choices = [  # type: ignore[attr-defined]
        (m.user_id, f"{m.user.shown_name} <{m.user.email}>" if m.user.email else m.user.shown_name)
        for m in members
        if m.user_id in usable
    ]
    if request.method == "POST" and form.is_valid():
        chosen = [m.user for m in members if m.user_id in set(form.cleaned_data["members"])]
        try:
            services.seats_assign(
                actor=request.user,
                contract=contract,
                klass=form.cleaned_data["klass"],
                users=chosen,
            )
        except LearningError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d seat assigned in %(class)s.",
                    "%(count)d seats assigned in %(class)s.",
                    len(chosen),
                )
                % {"count": len(chosen), "class": form.cleaned_data["klass"]},
            )
            return redirect("learning:seats", slug=organisation.slug, contract_pk=contract.pk)
    taken = (
        contract.enrolments.filter(status=Enrolment.Status.ACTIVE)
        .select_related("user", "klass__course")
        .order_by("user__name")
    )
    return render(
        request,
        "learning/seats.html",
        {
            "organisation": organisation,
            "contract": contract,
            "form": form,
            "taken": taken,
            "used": taken.count(),
            "shown": allowed(taken.values_list("user_id", flat=True), Purpose.SERVICE),
        },
    )


@login_required
def seat_release(
    request: AuthenticatedRequest, slug: str, contract_pk: int, enrolment_pk: int
) -> HttpResponse:
    if request.method != "POST":
        raise Http404
    organisation = organisation_administered_or_404(user=request.user, slug=slug)
    if redirect_to_setup := second_factor_missing(request):
        return redirect_to_setup
    contract = get_object_or_404(Contract, pk=contract_pk, organisation=organisation)
    enrolment = get_object_or_404(
        Enrolment, pk=enrolment_pk, contract=contract, status=Enrolment.Status.ACTIVE
    )
    services.enrolment_withdraw(actor=request.user, enrolment=enrolment)
    messages.success(request, _("The seat is free again."))
    return redirect("learning:seats", slug=organisation.slug, contract_pk=contract.pk)
