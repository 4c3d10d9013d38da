"""Every write to an account goes through here, audit-logged in the same transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from lyceum.accounts.models import User
from lyceum.core.roles import Role
from lyceum.privacy.audit import audit_record

PROFILE_FIELDS = ("name", "display_name", "pronouns", "language", "time_zone")
_ROLE_FLAGS = {
    Role.INSTRUCTOR: "is_instructor",
    Role.STAFF: "is_staff",
    Role.DPO: "is_dpo",
    Role.SUPERUSER: "is_superuser",
}


class RoleNotAssignable(ValueError):
    """The role is not a platform-wide flag (learner is implicit, client admin is per org)."""


@transaction.atomic
def user_profile_update(*, actor: User, user: User, data: dict[str, Any]) -> list[str]:
    """Change the owner's profile fields (P42); logs which fields changed, never their values."""
    changed = [f for f in PROFILE_FIELDS if f in data and getattr(user, f) != data[f]]
    if not changed:
        return []
    for field in changed:
        setattr(user, field, data[field])
    user.full_clean(exclude=["password", "email"])
    user.save(update_fields=changed)
    audit_record(
        action="profile.updated", actor=actor, target=user, subject=user, changed_fields=changed
    )
    return changed


@transaction.atomic
def user_roles_set(*, actor: User | None, user: User, roles: set[Role]) -> list[str]:
    """Grant exactly these platform roles. A DPO and a superuser are staff too: both work
    in the back office."""
    if unknown := roles - set(_ROLE_FLAGS) - {Role.LEARNER}:
        raise RoleNotAssignable(", ".join(sorted(unknown)))
    wanted = {flag: role in roles for role, flag in _ROLE_FLAGS.items()}
    if wanted["is_dpo"] or wanted["is_superuser"]:
        wanted["is_staff"] = True
    changed = [flag for flag, value in wanted.items() if getattr(user, flag) != value]
    if not changed:
        return []
    for flag in changed:
        setattr(user, flag, wanted[flag])
    user.save(update_fields=changed)
    audit_record(
        action="roles.changed", actor=actor, target=user, subject=user, changed_fields=changed
    )
    return changed
