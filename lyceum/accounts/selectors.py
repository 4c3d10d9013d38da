from __future__ import annotations

from allauth.mfa.utils import is_mfa_enabled

from lyceum.accounts.models import User
from lyceum.core.roles import Role


def user_platform_roles(user: User) -> set[Role]:
    """Roles held across the platform (client administrator is per organisation, in orgs)."""
    roles = {Role.LEARNER}
    if user.is_instructor:
        roles.add(Role.INSTRUCTOR)
    if user.is_staff:
        roles.add(Role.STAFF)
    if user.is_dpo:
        roles.add(Role.DPO)
    if user.is_superuser:
        roles.add(Role.SUPERUSER)
    return roles


def user_has_second_factor(user: User) -> bool:
    return bool(user.is_authenticated) and is_mfa_enabled(user)
