from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from lyceum.accounts.models import User
from lyceum.orgs.models import Membership, Organisation


def organisation_list_for_user(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organisation")


def invitation_for(*, user: User, token: str) -> Membership | None:
    """A pending membership of this person, by the token of its invitation."""
    if not token:
        return None
    return (
        Membership.objects.select_related("organisation")
        .filter(user=user, token=token, accepted_at__isnull=True)
        .first()
    )


def organisation_administered_by(*, user: User, slug: str) -> Organisation | None:
    """The organisation, if this person administers it; otherwise nothing at all."""
    return Organisation.objects.filter(
        slug=slug,
        memberships__user=user,
        memberships__role=Membership.Role.ADMIN,
        memberships__accepted_at__isnull=False,
    ).first()


def organisation_administered_or_404(*, user: User, slug: str) -> Organisation:
    """For pages of client administrators. Not "forbidden": whether another client exists
    is not this person's business."""
    organisation = organisation_administered_by(user=user, slug=slug)
    if organisation is None:
        raise Http404
    return organisation


def member_list(organisation: Organisation) -> QuerySet[Membership]:
    return organisation.memberships.select_related("user").order_by("user__name")


def user_is_client_admin(user: User) -> bool:
    return Membership.objects.accepted().filter(user=user, role=Membership.Role.ADMIN).exists()
