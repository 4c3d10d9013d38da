"""Writes to organisations and memberships, each audit-logged in its transaction."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from lyceum.accounts.models import User
from lyceum.orgs.models import Contract, Membership, Organisation
from lyceum.privacy.audit import audit_record


@transaction.atomic
def organisation_create(
    *, actor: User | None, name: str, kind: Organisation.Kind, slug: str = ""
) -> Organisation:
    organisation = Organisation.objects.create(name=name, kind=kind, slug=slug or slugify(name))
    audit_record(action="organisation.created", actor=actor, target=organisation)
    return organisation


@transaction.atomic
def membership_add(
    *,
    actor: User | None,
    organisation: Organisation,
    user: User,
    role: Membership.Role = Membership.Role.MEMBER,
    pending: bool = False,
) -> Membership:
    """Add a member; ``pending``: an invitation the person accepts (``membership_accept``)."""
    membership, created = Membership.objects.get_or_create(
        organisation=organisation,
        user=user,
        defaults={
            "role": role,
            "accepted_at": None if pending else timezone.now(),
            "token": secrets.token_urlsafe(32) if pending else "",
        },
    )
    if created:
        action = "membership.invited" if pending else "membership.added"
        audit_record(action=action, actor=actor, target=membership, subject=user)
    elif membership.role != role:
        membership_set_role(actor=actor, membership=membership, role=role)
    return membership


@transaction.atomic
def membership_set_role(
    *, actor: User | None, membership: Membership, role: Membership.Role
) -> Membership:
    """Make a member a client administrator or back (a role change, audit-logged)."""
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.role != role:
        locked.role = role
        locked.save(update_fields=["role", "updated_at"])
        audit_record(
            action="roles.changed",
            actor=actor,
            target=locked,
            subject=locked.user_id,
            changed_fields=["role"],
        )
    return locked


@transaction.atomic
def membership_accept(*, membership: Membership, user: User) -> Membership:
    """The invited person accepts: from now on the organisation sees them as a member."""
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.user_id != user.pk:
        raise PermissionError("another person's invitation")
    if locked.accepted_at is None:
        locked.accepted_at = timezone.now()
        locked.token = ""
        locked.save(update_fields=["accepted_at", "token", "updated_at"])
        audit_record(
            action="membership.accepted",
            actor=user,
            target=locked,
            subject=user,
            changed_fields=["accepted_at"],
        )
    return locked


@transaction.atomic
def membership_remove(*, actor: User | None, membership: Membership) -> None:
    audit_record(
        action="membership.removed", actor=actor, target=membership, subject=membership.user_id
    )
    membership.delete()


@transaction.atomic
def contract_create(
    *, actor: User | None, organisation: Organisation, **fields: object
) -> Contract:
    contract = Contract.objects.create(organisation=organisation, **fields)
    audit_record(action="contract.created", actor=actor, target=contract)
    return contract
