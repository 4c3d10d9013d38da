"""Every write to an account goes through here, audit-logged in the same transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from lyceum.accounts.models import User
from lyceum.core.codes import random_code
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


@transaction.atomic
def account_provision(*, actor: User | None, email: str, name: str) -> tuple[User, bool]:
    """The account of ``email``, created for someone else to finish (an organisation's roster,
    an invitation): no usable password and an unverified address until the person follows
    their welcome link. Returns (user, created)."""
    from allauth.account.models import EmailAddress

    email = User.objects.normalize_email(email).lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        return existing, False
    user = User(email=email, name=name.strip())
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    audit_record(action="account.provisioned", actor=actor, target=user, subject=user)
    return user, True


def welcome_token(user: User) -> str:
    """For the welcome link: valid until the person sets a password (or three days pass)."""
    from django.contrib.auth.tokens import default_token_generator

    return default_token_generator.make_token(user)


def welcome_user(uidb36: str, token: str) -> User | None:
    from allauth.account.utils import url_str_to_user_pk
    from django.contrib.auth.tokens import default_token_generator

    try:
        user = User.objects.get(pk=url_str_to_user_pk(uidb36), is_active=True)
    except (ValueError, User.DoesNotExist):
        return None
    if user.has_usable_password() or not default_token_generator.check_token(user, token):
        return None
    return user


@transaction.atomic
def account_welcome_complete(*, user: User, password: str) -> User:
    """The person chose their password from the welcome link, which proves the address."""
    from allauth.account.models import EmailAddress

    user.set_password(password)
    user.save(update_fields=["password"])
    EmailAddress.objects.filter(user=user, email__iexact=user.email).update(verified=True)
    audit_record(
        action="account.welcomed",
        actor=user,
        target=user,
        subject=user,
        changed_fields=["password"],
    )
    return user


# Pseudonymous students (P29) -------------------------------------------------------------


def _new_key(user: User) -> str:
    from django.contrib.auth.hashers import make_password

    from lyceum.accounts.models import PseudonymKey

    secret = random_code(8)
    while True:
        handle = random_code(4)
        if not PseudonymKey.objects.filter(handle=handle).exists():
            break
    PseudonymKey.objects.update_or_create(
        user=user, defaults={"handle": handle, "secret_hash": make_password(secret)}
    )
    return f"{handle}-{secret[:4]}-{secret[4:]}"


@transaction.atomic
def pseudonym_create(
    *, actor: User | None, pseudonym: str, time_zone: str = "UTC", language: str = "en"
) -> tuple[User, str]:
    """A student known only by a pseudonym: no email address, no password. Returns the
    account and the personal sign-in code, shown once."""
    user = User(
        email=None,
        name=pseudonym.strip(),
        is_pseudonymous=True,
        time_zone=time_zone,
        language=language,
    )
    user.set_unusable_password()
    user.save()
    code = _new_key(user)
    audit_record(action="pseudonym.created", actor=actor or user, target=user, subject=user)
    return user, code


@transaction.atomic
def pseudonym_code_reset(*, actor: User, user: User) -> str:
    """A new sign-in code for a student who lost theirs; the old one stops working, and so
    does every session signed in with it."""
    from lyceum.accounts.models import UserSession

    code = _new_key(user)
    UserSession.objects.filter(user=user).delete()
    audit_record(
        action="pseudonym.code_reset",
        actor=actor,
        target=user,
        subject=user,
        changed_fields=["code"],
    )
    return code


def pseudonym_authenticate(code: str) -> User | None:
    from django.contrib.auth.hashers import check_password, make_password

    from lyceum.accounts.models import PseudonymKey

    cleaned = code.strip().upper().replace(" ", "").replace("-", "")
    if len(cleaned) != 12:
        return None
    key = PseudonymKey.objects.select_related("user").filter(handle=cleaned[:4]).first()
    if key is None or not key.user.is_active or not key.user.is_pseudonymous:
        make_password(cleaned[4:])  # as slow either way: no telling which handles exist
        return None
    if not check_password(cleaned[4:], key.secret_hash):
        return None
    return key.user


@transaction.atomic
def pseudonym_attach_account(*, user: User, email: str, password: str) -> User:
    """A pseudonymous student adds an email address and a password: the same account, with
    its classes and history, becomes an ordinary one once the address is confirmed
    (``pseudonym_address_confirmed``). Until then the address is not the account's, so
    nobody can hold an address they do not own, and the personal code still works."""
    from allauth.account.models import EmailAddress

    email = User.objects.normalize_email(email).lower()
    user.set_password(password)
    user.save(update_fields=["password"])
    EmailAddress.objects.filter(user=user, verified=False).delete()  # an earlier attempt
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    audit_record(
        action="pseudonym.account_attached",
        actor=user,
        target=user,
        subject=user,
        changed_fields=["email", "password"],
    )
    return user


@transaction.atomic
def pseudonym_address_confirmed(*, user: User, email: str) -> None:
    """The confirmed address becomes the account's: no longer pseudonymous, no more code."""
    from lyceum.accounts.models import PseudonymKey

    if not user.is_pseudonymous:
        return
    user.email = email.lower()
    user.is_pseudonymous = False
    user.save(update_fields=["email", "is_pseudonymous"])
    PseudonymKey.objects.filter(user=user).delete()
