from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lyceum.accounts.http import AuthenticatedRequest
from lyceum.accounts.middleware import second_factor_missing
from lyceum.orgs.forms import InviteForm, RosterForm
from lyceum.orgs.models import Membership, Organisation
from lyceum.orgs.roster import member_invite, roster_import, roster_read
from lyceum.orgs.selectors import (
    member_list,
    organisation_administered_by,
    organisation_list_for_user,
)
from lyceum.orgs.services import membership_remove
from lyceum.privacy.audit import audit_record
from lyceum.privacy.limits import allowed as privacy_allowed
from lyceum.privacy.register import Purpose


@login_required
def my_organisations(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "orgs/my_organisations.html",
        {"memberships": organisation_list_for_user(request.user)},
    )


def _administered(request: AuthenticatedRequest, slug: str) -> Organisation:
    organisation = organisation_administered_by(user=request.user, slug=slug)
    if organisation is None:
        # Not "forbidden": whether another client exists is not this person's business.
        raise Http404
    return organisation


@login_required
def members(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    organisation = _administered(request, slug)
    if redirect_to_setup := second_factor_missing(request):
        return redirect_to_setup
    invite_form = InviteForm(request.POST if request.POST.get("action") == "invite" else None)
    roster_form = RosterForm(
        request.POST if request.POST.get("action") == "import" else None,
        request.FILES if request.POST.get("action") == "import" else None,
    )
    report = None
    base_url = request.build_absolute_uri("/")
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
            messages.info(request, _("%(email)s is a member already.") % {"email": data["email"]})
        else:
            messages.success(request, _("%(email)s is a member now and was told by email.") % data)
        return redirect("orgs:members", slug=organisation.slug)
    if roster_form.is_bound and roster_form.is_valid():
        report = roster_read(roster_form.cleaned_data["roster"].read())
        if report.ok:
            roster_import(
                actor=request.user, organisation=organisation, report=report, base_url=base_url
            )
            counts = {"created": report.created, "added": report.added, "already": report.already}
            messages.success(
                request,
                _(
                    "Roster imported. New accounts: %(created)d. Existing accounts added: "
                    "%(added)d. Members already: %(already)d."
                )
                % counts,
            )
            return redirect("orgs:members", slug=organisation.slug)
    audit_record(action="organisation.members.viewed", actor=request.user, target=organisation)
    memberships = list(member_list(organisation))
    # A restricted member's data is used for nothing but storage (P44); an account being
    # deleted is hidden from others at once (P43).
    shown = privacy_allowed([m.user_id for m in memberships], Purpose.SERVICE)
    for membership in memberships:
        membership.shown = membership.user_id in shown and membership.user.is_active  # type: ignore[attr-defined]
    return render(
        request,
        "orgs/members.html",
        {
            "organisation": organisation,
            "memberships": memberships,
            "invite_form": invite_form,
            "roster_form": roster_form,
            "report": report,
        },
    )


@login_required
@require_POST
def member_remove(request: AuthenticatedRequest, slug: str, membership_pk: int) -> HttpResponse:
    organisation = _administered(request, slug)
    membership = get_object_or_404(Membership, pk=membership_pk, organisation=organisation)
    if membership.user_id == request.user.pk:
        messages.error(request, _("You cannot remove yourself; ask another administrator."))
    else:
        membership_remove(actor=request.user, membership=membership)
        messages.success(request, _("The member is removed."))
    return redirect("orgs:members", slug=organisation.slug)
