"""Audit events for what allauth and Django report only through signals (P15)."""

from __future__ import annotations

from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from allauth.socialaccount import signals as social_signals
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.utils.translation import gettext as _

from lyceum import privacy
from lyceum.core.notify import send_to_user
from lyceum.privacy.audit import audit_record
from lyceum.privacy.register import Purpose
from lyceum.privacy.signals import account_suspended


@receiver(user_logged_in)
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action="signin", actor=user, target=user, subject=user)
    if not privacy.allows(user, Purpose.SECURITY):
        return  # restricted (P44): the alert would use their data
    # Pages the person has open elsewhere learn at once that someone signed in.
    transaction.on_commit(
        lambda: send_to_user(
            user_id=user.pk,
            kind="signin",
            text=_(
                "Someone just signed in to your account. If it was not you, change your password."
            ),
        )
    )


@receiver(user_logged_out)
def _signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action="signout", actor=user, target=user, subject=user)


@receiver(user_login_failed)
def _signin_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any
) -> None:
    # The typed address is not stored: it may belong to someone else, or to nobody.
    email = (credentials.get("email") or credentials.get("username") or "").lower()
    subject = get_user_model().objects.filter(email=email).only("pk").first() if email else None
    audit_record(action="signin.failed", subject=subject)


@receiver(account_signals.user_signed_up)
def _signed_up(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action="signup", actor=user, target=user, subject=user)


@receiver(account_signals.password_changed)
@receiver(account_signals.password_set)
@receiver(account_signals.password_reset)
def _password_changed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action="password.changed", actor=user, target=user, subject=user)


@receiver(account_signals.email_confirmed)
def _email_confirmed(sender: Any, request: Any, email_address: Any, **kwargs: Any) -> None:
    from lyceum.accounts.services import pseudonym_address_confirmed

    user = email_address.user
    audit_record(action="email.confirmed", actor=user, target=user, subject=user)
    pseudonym_address_confirmed(user=user, email=email_address.email)


@receiver(account_signals.email_added)
def _email_added(sender: Any, request: Any, user: Any, email_address: Any, **kwargs: Any) -> None:
    audit_record(action="email.added", actor=user, target=user, subject=user)


@receiver(account_signals.email_removed)
def _email_removed(sender: Any, request: Any, user: Any, email_address: Any, **kw: Any) -> None:
    audit_record(action="email.removed", actor=user, target=user, subject=user)


@receiver(social_signals.social_account_added)
def _social_added(sender: Any, request: Any, sociallogin: Any, **kwargs: Any) -> None:
    user = sociallogin.user
    audit_record(action=f"social.added.{sociallogin.account.provider}", actor=user, subject=user)


@receiver(social_signals.social_account_removed)
def _social_removed(sender: Any, request: Any, socialaccount: Any, **kwargs: Any) -> None:
    user = socialaccount.user
    audit_record(action=f"social.removed.{socialaccount.provider}", actor=user, subject=user)


@receiver(account_signals.email_changed)
def _email_changed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(
        action="email.changed", actor=user, target=user, subject=user, changed_fields=["email"]
    )


@receiver(mfa_signals.authenticator_added)
def _mfa_added(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit_record(
        action=f"mfa.added.{authenticator.type}", actor=user, target=authenticator, subject=user
    )


@receiver(mfa_signals.authenticator_removed)
def _mfa_removed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit_record(action=f"mfa.removed.{authenticator.type}", actor=user, subject=user)


@receiver(mfa_signals.authenticator_reset)
def _mfa_reset(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit_record(
        action=f"mfa.reset.{authenticator.type}", actor=user, target=authenticator, subject=user
    )


@receiver(mfa_signals.authentication_failed)
def _mfa_failed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action="mfa.failed", subject=user)


@receiver(account_suspended)
def _sign_out_everywhere(sender: Any, user: Any, **kwargs: Any) -> None:
    """An account being deleted is out of use at once: every session ends, and so does every
    live connection its open pages hold (P43)."""
    from lyceum.accounts.children import user_sessions_end

    user_sessions_end(user)
