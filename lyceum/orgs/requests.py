"""Processor mode (P30): an organisation that controls its members' data decides their data
protection requests. The privacy core asks this directory who that is (it knows no app above
it); ``orgs/privacy.py`` registers it at start-up."""

from __future__ import annotations

from datetime import date

from allauth.account.models import EmailAddress
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from lyceum.accounts.models import User
from lyceum.orgs.models import Contract, Membership, Organisation
from lyceum.privacy.desk_selectors import Controller
from lyceum.privacy.models import RightsRequest


def _current(on: date) -> Q:
    return Q(starts_on__lte=on, ends_on__gte=on, controller=Contract.Controller.ORGANISATION)


def is_controller(organisation: Organisation) -> bool:
    """Does a current contract make the organisation the controller of its members' data?"""
    return organisation.contracts.filter(_current(timezone.localdate())).exists()


def _administering() -> Q:
    """Accepted, active administrators."""
    return Q(role=Membership.Role.ADMIN, accepted_at__isnull=False, user__is_active=True)


def administrators_of(organisation: Organisation) -> list[User]:
    """Who answers the organisation's members' requests: its accepted administrators."""
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organisation=organisation,
            memberships__role=Membership.Role.ADMIN,
            memberships__accepted_at__isnull=False,
        ).order_by("name")
    )


def _controlling(on: date) -> Q:
    """Organisations that control their members' data today."""
    return Q(contracts__in=Contract.objects.filter(_current(on)))


class OrganisationDirectory:
    """The controller of a member's data: an organisation of which they are an accepted
    member under a current contract that makes it the controller, and which has an accepted
    administrator to decide (without one, the school's desk answers). Should a person belong
    to several, the first by name decides (and the school's DPO sees the request in the staff
    queue)."""

    def of_person(self, user_id: int) -> Controller | None:
        answering = Membership.objects.filter(_administering()).values("organisation_id")
        organisation = (
            Organisation.objects.filter(
                _controlling(timezone.localdate()),
                memberships__user_id=user_id,
                memberships__accepted_at__isnull=False,
                pk__in=answering,
            )
            .order_by("name", "pk")
            .first()
        )
        return self.of_organisation(organisation) if organisation is not None else None

    def controls(self, organisation: object, user_id: int) -> bool:
        return (
            isinstance(organisation, Organisation)
            and Organisation.objects.filter(
                _controlling(timezone.localdate()),
                pk=organisation.pk,
                memberships__user_id=user_id,
                memberships__accepted_at__isnull=False,
            ).exists()
        )

    def organisations_of(self, user_id: int) -> list[Organisation]:
        return list(
            Organisation.objects.filter(
                memberships__user_id=user_id, memberships__accepted_at__isnull=False
            ).distinct()
        )

    def administered_by(self, addresses: set[str]) -> list[Organisation]:
        """Every organisation in which an account with one of these addresses is an
        administrator (accepted or not: the question is whose side they are on)."""
        addresses = {a.lower() for a in addresses if a}
        if not addresses:
            return []
        matching = Q()
        for address in addresses:
            matching |= Q(email__iexact=address)
        users = set(User._base_manager.filter(matching).values_list("pk", flat=True))
        users |= set(EmailAddress.objects.filter(matching).values_list("user_id", flat=True))
        return list(
            Organisation.objects.filter(
                memberships__user_id__in=users, memberships__role=Membership.Role.ADMIN
            ).distinct()
        )

    def of_organisation(self, organisation: object) -> Controller:
        assert isinstance(organisation, Organisation)  # only organisations are routed to
        holds = organisation.contracts.filter(
            _current(timezone.localdate()), self_service_via_organisation=True
        ).exists()
        slug = organisation.slug

        def request_path(request: RightsRequest) -> str:
            return reverse("orgs:request", args=[slug, request.public_id])

        return Controller(
            organisation=organisation,
            administrators=tuple(administrators_of(organisation)),
            holds_self_service=holds,
            request_path=request_path,
        )
