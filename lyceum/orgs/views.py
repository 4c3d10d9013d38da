from __future__ import annotations

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from lyceum.accounts.http import AuthenticatedRequest
from lyceum.accounts.middleware import second_factor_missing
from lyceum.orgs.forms import InviteForm, RosterForm
from lyceum.orgs.models import Membership
from lyceum.orgs.requests import is_controller
from lyceum.orgs.roster import MAX_ROSTER_BYTES, member_invite, roster_import, roster_read
from lyceum.orgs.selectors import (
    invitation_for,
    member_list,
    organisation_administered_or_404,
    organisation_list_for_user,
)
from lyceum.orgs.services import membership_accept, membership_remove
from lyceum.privacy.audit import audit_record
from lyceum.privacy.desk import desk_route_check
from lyceum.privacy.desk_forms import QueueFilterForm
from lyceum.privacy.desk_selectors import mark_deadlines, organisation_queue, requests_routed_to
from lyceum.privacy.desk_views import Scope, work_on
from lyceum.privacy.limits import allowed as privacy_allowed
from lyceum.privacy.register import Purpose


@login_required
def my_organisations(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "orgs/my_organisations.html",
        {"memberships": organisation_list_for_user(request.user)},
    )


@login_required
def members(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    organisation = organisation_administered_or_404(user=request.user, slug=slug)
    if redirect_to_setup := second_factor_missing(request):
        return redirect_to_setup
    invite_form = InviteForm(request.POST if request.POST.get("action") == "invite" else None)
    roster_form = RosterForm(
        request.POST if request.POST.get("action") == "import" else None,
        request.FILES if request.POST.get("action") == "import" else None,
    )
    report = None
    base_url = request.build_absolute_uri("/")
    if request.method == "POST" and not ratelimit.consume(
        request, action="lyceum_invite", user=request.user
    ):
        for form in (invite_form, roster_form):
            if form.is_bound:
                form.add_error(None, _("Too many invitations in an hour. Try again later."))
    if invite_form.is_bound and invite_form.is_valid():
        data = invite_form.cleaned_data
        outcome = member_invite(
            actor=request.user,
            organisation=organisation,
            email=data["email"],
            name=data["name"],
            role=Membership.Role(data["role"]),
            base_url=base_url,
        )
        if outcome == "already":
            messages.info(
                request, _("%(email)s is a member or invited already.") % {"email": data["email"]}
            )
        else:
            messages.success(request, _("%(email)s was told by email.") % data)
        return redirect("orgs:members", slug=organisation.slug)
    if roster_form.is_bound and roster_form.is_valid():
        # Never more than the limit in memory: a larger file is refused by roster_read.
        report = roster_read(
            roster_form.cleaned_data["roster"].read(MAX_ROSTER_BYTES + 1),
            administrators=roster_form.cleaned_data["administrators"],
        )
        if report.ok:
            roster_import(
                actor=request.user, organisation=organisation, report=report, base_url=base_url
            )
            # Whether an address already had an account is not the organisation's business.
            told = report.created + report.invited
            messages.success(
                request,
                ngettext(
                    "Roster imported: %(count)d person was told by email.",
                    "Roster imported: %(count)d people were told by email.",
                    told,
                )
                % {"count": told},
            )
            return redirect("orgs:members", slug=organisation.slug)
    audit_record(action="organisation.members.viewed", actor=request.user, target=organisation)
    memberships = list(member_list(organisation))
    # A restricted member's data is used for nothing but storage (P44); an account being
    # deleted is hidden from others at once (P43).
    shown = privacy_allowed([m.user_id for m in memberships], Purpose.SERVICE)
    for membership in memberships:
        user = membership.user
        # Until the person answers (accepts, or sets up the account made for them), the
        # organisation sees only the address it typed, the same for everyone.
        membership.waiting = membership.accepted_at is None or (  # type: ignore[attr-defined]
            not user.has_usable_password() and user.last_login is None
        )
        membership.shown = (  # type: ignore[attr-defined]
            not membership.waiting and membership.user_id in shown and user.is_active  # type: ignore[attr-defined]
        )
    return render(
        request,
        "orgs/members.html",
        {
            "organisation": organisation,
            "memberships": memberships,
            "invite_form": invite_form,
            "roster_form": roster_form,
            "report": report,
            "controller": is_controller(organisation),
        },
    )


@login_required
def accept(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """The invited person's answer to an organisation's invitation."""
    membership = invitation_for(user=request.user, token=token)
    if membership is None:
        raise Http404
    if request.method == "POST":
        name = membership.organisation.name
        if request.POST.get("answer") == "accept":
            membership_accept(membership=membership, user=request.user)
            messages.success(request, _("You are a member of %(name)s.") % {"name": name})
        else:
            membership_remove(actor=request.user, membership=membership)
            messages.success(request, _("You declined to join %(name)s.") % {"name": name})
        return redirect("orgs:mine")
    return render(request, "orgs/accept.html", {"membership": membership})


@login_required
@require_POST
def member_remove(request: AuthenticatedRequest, slug: str, membership_pk: int) -> HttpResponse:
    organisation = organisation_administered_or_404(user=request.user, slug=slug)
    membership = get_object_or_404(Membership, pk=membership_pk, organisation=organisation)
    if redirect_to_setup := second_factor_missing(request):
        return redirect_to_setup
    if membership.user_id == request.user.pk:
        messages.error(request, _("You cannot remove yourself; ask another administrator."))
    else:
        membership_remove(actor=request.user, membership=membership)
        messages.success(request, _("The member is removed."))
    return redirect("orgs:members", slug=organisation.slug)


@login_required
def requests(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    """The data protection requests of the organisation's members, which its administrators
    decide when it is the controller of their data (P30)."""
    organisation = organisation_administered_or_404(user=request.user, slug=slug)
    if redirect_to_setup := second_factor_missing(request):
        return redirect_to_setup
    form = QueueFilterForm(request.GET or None, controllers=[])
    del form.fields["controller"]
    filters = form.filters()
    rows = list(organisation_queue(organisation, **filters))
    mark_deadlines(rows)
    audit_record(action="organisation.requests.viewed", actor=request.user, target=organisation)
    return render(
        request,
        "privacy/desk/queue.html",
        {
            "requests": rows,
            "form": form,
            "organisation": organisation,
            "controller": is_controller(organisation),
        },
    )


@login_required
def request_detail(request: AuthenticatedRequest, slug: str, public_id: str) -> HttpResponse:
    """One request: verify, extend, decide; the platform carries out the decision (P30).

    Routing was decided at receipt: it is checked again first, and a request about someone
    who is no longer a member whose data the organisation controls goes back to the school."""
    organisation = organisation_administered_or_404(user=request.user, slug=slug)
    rights_request = get_object_or_404(requests_routed_to(organisation), public_id=public_id)
    if redirect_to_setup := second_factor_missing(request):
        return redirect_to_setup
    rights_request = desk_route_check(
        request=rights_request, actor=request.user, base_url=request.build_absolute_uri("/")
    )
    if not rights_request.routed:
        messages.error(
            request,
            _(
                "This request has gone back to the school: the person is no longer a member "
                "whose data %(name)s controls."
            )
            % {"name": organisation.name},
        )
        return redirect("orgs:requests", slug=organisation.slug)
    return work_on(
        request,
        rights_request,
        scope=Scope(
            detail_url=reverse("orgs:request", args=[organisation.slug, public_id]),
            back_url=reverse("orgs:requests", args=[organisation.slug]),
            view_action="organisation.request.viewed",
            can_act=True,
            can_link=False,
            organisation=organisation,
        ),
    )
