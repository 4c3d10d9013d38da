from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from lyceum.accounts.http import AuthenticatedRequest
from lyceum.accounts.middleware import second_factor_missing
from lyceum.orgs.selectors import (
    member_list,
    organisation_administered_by,
    organisation_list_for_user,
)
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


@login_required
def members(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    organisation = organisation_administered_by(user=request.user, slug=slug)
    if organisation is None:
        # Not "forbidden": whether another client exists is not this person's business.
        raise Http404
    if redirect_to_setup := second_factor_missing(request):
        return redirect_to_setup
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
        {"organisation": organisation, "memberships": memberships},
    )
